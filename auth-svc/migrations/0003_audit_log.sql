-- Security events. No foreign keys: entries outlive what they mention and never block a change.

create table audit_log (
    -- UUIDv7: ordering by entry_id is ordering by time.
    entry_id uuid primary key,
    action text not null,
    actor_id uuid,
    target_id uuid,
    ip text,
    user_agent text,
    details jsonb not null default '{}',
    created_at timestamptz not null default now()
);

create index audit_log_action_idx on audit_log (action, entry_id);
create index audit_log_actor_id_idx on audit_log (actor_id, entry_id);
create index audit_log_target_id_idx on audit_log (target_id, entry_id);
