-- Bans, warnings and the community audit log. None refers to `members`: they outlive the
-- membership they are about.

create table bans (
    community_id uuid not null references communities (community_id) on delete cascade,
    user_id uuid not null,
    reason text,
    banned_by uuid not null,
    created_at timestamptz not null default now(),
    primary key (community_id, user_id)
);

create table warnings (
    warning_id uuid primary key,
    community_id uuid not null references communities (community_id) on delete cascade,
    user_id uuid not null,
    reason text not null,
    issued_by uuid not null,
    created_at timestamptz not null default now()
);

create index warnings_member_idx on warnings (community_id, user_id, warning_id);

create table audit_log (
    -- UUIDv7: ordering by entry_id is ordering by time.
    entry_id uuid primary key,
    community_id uuid not null references communities (community_id) on delete cascade,
    action text not null,
    actor_id uuid not null,
    target_id uuid,
    reason text,
    details jsonb not null default '{}',
    created_at timestamptz not null default now()
);

create index audit_log_community_idx on audit_log (community_id, entry_id);
create index audit_log_action_idx on audit_log (community_id, action, entry_id);
create index audit_log_actor_idx on audit_log (community_id, actor_id, entry_id);
create index audit_log_target_idx on audit_log (community_id, target_id, entry_id);
