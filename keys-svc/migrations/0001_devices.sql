-- Devices and their public key material. Key ids are chosen by clients (u32, kept in bigint).

create table devices (
    device_id uuid primary key,
    user_id uuid not null,
    -- The session that registered the device: the only one that may change its keys.
    session_id uuid not null,
    name text not null,
    identity_key bytea not null,
    -- Set when `keys_low` was sent; cleared when an upload brings the stock back up, so the
    -- event is sent once per fall below the threshold.
    keys_low_notified boolean not null default false,
    created_at timestamptz not null default now(),
    constraint devices_session_id_key unique (session_id)
);

create index devices_user_id_idx on devices (user_id, created_at);

create table signed_prekeys (
    device_id uuid not null references devices (device_id) on delete cascade,
    key_id bigint not null check (key_id between 0 and 4294967295),
    public_key bytea not null,
    signature bytea not null,
    created_at timestamptz not null default now(),
    -- Null for the current one; a superseded key is kept for a grace period, then deleted.
    superseded_at timestamptz,
    primary key (device_id, key_id)
);

create unique index signed_prekeys_current_idx on signed_prekeys (device_id)
    where superseded_at is null;

create table one_time_prekeys (
    device_id uuid not null references devices (device_id) on delete cascade,
    key_id bigint not null check (key_id between 0 and 4294967295),
    public_key bytea not null,
    primary key (device_id, key_id)
);
