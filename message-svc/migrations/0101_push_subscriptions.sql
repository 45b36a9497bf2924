-- Web Push subscriptions: a browser's push endpoint and keys (RFC 8030, 8291), registered by its
-- user; message-svc pushes conversation-message metadata to them while the user has no live
-- connection (docs/push.md).

create table push_subscriptions (
    user_id uuid not null,
    -- The push service's URL for one browser profile: a capability, so whoever registers it
    -- last owns it (a browser shared by two accounts notifies only the one now using it).
    endpoint text not null,
    -- The browser's P-256 public key (65 bytes, uncompressed) and authentication secret (16).
    p256dh bytea not null check (length(p256dh) = 65),
    auth bytea not null check (length(auth) = 16),
    created_at timestamptz not null default now(),
    -- The last registration: the per-user bound replaces the subscription registered longest ago.
    updated_at timestamptz not null default now(),
    last_success_at timestamptz,
    last_failure_at timestamptz,
    primary key (user_id, endpoint),
    constraint push_subscriptions_endpoint_key unique (endpoint)
);
