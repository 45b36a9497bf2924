-- Accounts, their sessions (one per logged-in device) and the refresh tokens of each session.

create table users (
    user_id uuid primary key,
    username text not null,
    email text,
    password_hash text not null,
    display_name text not null,
    role text not null check (role in ('owner', 'admin', 'member')),
    disabled_at timestamptz,
    created_at timestamptz not null default now()
);

-- Usernames are unique ignoring case; the constraint name is mapped to `username_taken`.
create unique index users_username_lower_key on users (lower(username));
-- There is at most one owner (the first account).
create unique index users_single_owner_key on users (role) where role = 'owner';

create table sessions (
    session_id uuid primary key,
    user_id uuid not null references users (user_id),
    device_name text,
    ip text,
    user_agent text,
    created_at timestamptz not null default now(),
    last_used_at timestamptz not null default now(),
    -- Moves forward on every refresh: a session ends after a period without use.
    expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason text
);

create index sessions_user_id_idx on sessions (user_id);

-- Only the SHA-256 of a refresh token is stored. Rotated tokens stay as the family's history,
-- so presenting one again is recognised as reuse.
create table refresh_tokens (
    token_hash bytea primary key,
    session_id uuid not null references sessions (session_id),
    created_at timestamptz not null default now(),
    rotated_at timestamptz,
    replaced_by bytea,
    retried boolean not null default false
);

create index refresh_tokens_session_id_idx on refresh_tokens (session_id);
