-- Conversations: direct (two people) and group (up to 25) conversations, the end-to-end
-- encrypted messages relayed in them, read markers, read-receipt preferences and user blocks.
-- The server stores only ciphertexts (envelope_recipients.ciphertext), never a readable body.

create table conversations (
    conversation_id uuid primary key,
    kind text not null check (kind in ('direct', 'group')),
    -- Groups only.
    name text check (name is null or kind = 'group'),
    created_by uuid not null,
    created_at timestamptz not null default now(),
    -- The last message (or the creation): conversation lists are sorted by it.
    last_activity_at timestamptz not null default now(),
    -- Direct conversations only: the pair, lower id first, so a pair has one conversation.
    direct_low uuid,
    direct_high uuid,
    check ((kind = 'direct') = (direct_low is not null and direct_high is not null)),
    check (direct_low < direct_high),
    constraint conversations_direct_pair_key unique (direct_low, direct_high)
);

create table conversation_members (
    conversation_id uuid not null references conversations (conversation_id) on delete cascade,
    user_id uuid not null,
    joined_at timestamptz not null default now(),
    -- The read marker: the last message read, only ever moved forward (ids are UUIDv7).
    last_read_message_id uuid,
    last_read_at timestamptz,
    check ((last_read_message_id is null) = (last_read_at is null)),
    primary key (conversation_id, user_id)
);

create index conversation_members_user_idx on conversation_members (user_id);

create table conversation_messages (
    -- UUIDv7, so id order is time order (history pages and read markers compare ids).
    message_id uuid primary key,
    conversation_id uuid not null references conversations (conversation_id) on delete cascade,
    author_id uuid not null,
    -- The client's idempotency key.
    nonce text not null,
    sender_device_id text not null,
    created_at timestamptz not null default now(),
    deleted boolean not null default false,
    constraint conversation_messages_nonce_key unique (conversation_id, author_id, nonce)
);

create index conversation_messages_history_idx on conversation_messages (conversation_id, message_id);

-- One opaque ciphertext per recipient device.
create table envelope_recipients (
    message_id uuid not null references conversation_messages (message_id) on delete cascade,
    user_id uuid not null,
    device_id text not null,
    ciphertext bytea not null,
    primary key (message_id, user_id, device_id)
);

-- History shows a user the messages addressed to them.
create index envelope_recipients_user_idx on envelope_recipients (user_id, message_id);

create table blocks (
    blocker_id uuid not null,
    blocked_id uuid not null,
    created_at timestamptz not null default now(),
    check (blocker_id <> blocked_id),
    primary key (blocker_id, blocked_id)
);

-- "Has anyone blocked U?" (the other direction of the primary key).
create index blocks_blocked_idx on blocks (blocked_id);

-- Only users who changed the default (enabled) have a row.
create table read_receipt_settings (
    user_id uuid primary key,
    enabled boolean not null,
    updated_at timestamptz not null default now()
);
