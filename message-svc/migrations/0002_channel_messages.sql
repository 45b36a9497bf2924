-- Messages of community text channels, and what hangs off them: previous versions, mentions,
-- reactions, pins, and each user's read marker per channel. Channels, members and permissions
-- live in community-svc; ids here are its ids, without foreign keys across services.

create table channel_messages (
    -- A UUIDv7: history is ordered by it, and it orders by time.
    message_id uuid primary key,
    channel_id uuid not null,
    community_id uuid not null,
    author_id uuid not null,
    -- The client's idempotency key: a resend with the same nonce finds the first message.
    nonce text not null,
    -- Markdown as written; emptied when the message is deleted (the row stays as a tombstone).
    body text not null check (char_length(body) <= 4000),
    reply_to uuid,
    thread_root_id uuid,
    forwarded_from_channel_id uuid,
    forwarded_from_message_id uuid,
    forwarded_from_author_id uuid,
    deleted boolean not null default false,
    created_at timestamptz not null default now(),
    edited_at timestamptz,
    deleted_at timestamptz,
    search_vector tsvector generated always as (to_tsvector('simple', body)) stored,
    constraint channel_messages_author_nonce unique (author_id, nonce),
    check (deleted = (deleted_at is not null)),
    check (
        (forwarded_from_message_id is null) = (forwarded_from_channel_id is null)
        and (forwarded_from_message_id is null) = (forwarded_from_author_id is null)
    )
);

-- Main history (thread replies excluded), threads, everything after a marker, search.
create index channel_messages_main on channel_messages (channel_id, message_id)
    where thread_root_id is null;
create index channel_messages_all on channel_messages (channel_id, message_id);
create index channel_messages_thread on channel_messages (thread_root_id, message_id)
    where thread_root_id is not null;
create index channel_messages_search on channel_messages using gin (search_vector);

-- Previous bodies, kept when a message is edited; forgotten when it is deleted.
create table channel_message_edits (
    edit_id uuid primary key,
    message_id uuid not null references channel_messages on delete cascade,
    body text not null,
    edited_at timestamptz not null
);

create index channel_message_edits_message on channel_message_edits (message_id, edit_id);

-- Who a message mentions: exactly one of a user, a role, or everyone (@everyone / @here).
create table channel_mentions (
    message_id uuid not null references channel_messages on delete cascade,
    channel_id uuid not null,
    community_id uuid not null,
    author_id uuid not null,
    user_id uuid,
    role_id uuid,
    everyone boolean not null default false,
    check (num_nonnulls(user_id, role_id) + everyone::integer = 1)
);

create index channel_mentions_message on channel_mentions (message_id);
create index channel_mentions_channel on channel_mentions (channel_id, message_id);

create table channel_reactions (
    message_id uuid not null references channel_messages on delete cascade,
    emoji text not null,
    user_id uuid not null,
    created_at timestamptz not null default now(),
    primary key (message_id, emoji, user_id)
);

create table channel_pins (
    message_id uuid primary key references channel_messages on delete cascade,
    channel_id uuid not null,
    pinned_by uuid not null,
    pinned_at timestamptz not null default now()
);

create index channel_pins_channel on channel_pins (channel_id, pinned_at);

-- The newest message a user has read in a channel; it only moves forward.
create table channel_read_states (
    user_id uuid not null,
    channel_id uuid not null,
    last_read_message_id uuid not null,
    updated_at timestamptz not null default now(),
    primary key (user_id, channel_id)
);
