-- Community invite codes. Revoked codes are kept (revoked_at set) so they stay refused.

create table invites (
    code text primary key,
    community_id uuid not null references communities (community_id) on delete cascade,
    created_by uuid not null,
    max_uses integer check (max_uses >= 1),
    uses integer not null default 0 check (uses >= 0),
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

create index invites_community_id_idx on invites (community_id, created_at);
