-- Instance-wide settings (exactly one row) and the invite codes of invite-only registration.

create table instance_settings (
    instance_settings_id smallint primary key default 1 check (instance_settings_id = 1),
    registration_mode text not null default 'open'
        check (registration_mode in ('open', 'invite_only', 'closed')),
    updated_at timestamptz not null default now()
);

insert into instance_settings (instance_settings_id) values (1);

create table registration_invites (
    code text primary key,
    created_by uuid not null references users (user_id),
    max_uses integer check (max_uses >= 1),
    uses integer not null default 0 check (uses >= 0),
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);
