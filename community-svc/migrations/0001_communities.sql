-- Communities, their roles and their members. The `@everyone` role of a community has the
-- community's own id and position 0; every member has it without a member_roles row.

create table communities (
    community_id uuid primary key,
    name text not null,
    description text not null default '',
    icon_ref text,
    welcome_message text,
    visibility text not null check (visibility in ('public', 'private')),
    owner_id uuid not null,
    -- Changed in the same transaction as `members`; membership changes lock this row first.
    member_count integer not null default 0 check (member_count >= 0),
    created_at timestamptz not null default now()
);

-- Discovery pages through public communities in id order.
create index communities_public_idx on communities (community_id) where visibility = 'public';

create table roles (
    role_id uuid primary key,
    community_id uuid not null references communities (community_id) on delete cascade,
    name text not null,
    color integer not null default 0 check (color between 0 and 16777215),
    -- Higher outranks lower; 0 is `@everyone`.
    position integer not null check (position >= 0),
    permissions bigint not null default 0,
    created_at timestamptz not null default now(),
    unique (role_id, community_id),
    -- Distinct, checked at commit: a move renumbers several roles one statement at a time.
    constraint roles_position_key unique (community_id, position) deferrable initially deferred
);

create table members (
    community_id uuid not null references communities (community_id) on delete cascade,
    user_id uuid not null,
    -- Copied from auth-svc at join and kept current from its `user_updated` events.
    username text not null,
    display_name text not null,
    nickname text,
    joined_at timestamptz not null default now(),
    timed_out_until timestamptz,
    primary key (community_id, user_id)
);

create index members_user_id_idx on members (user_id, joined_at);

create table member_roles (
    community_id uuid not null,
    user_id uuid not null,
    role_id uuid not null check (role_id <> community_id),
    primary key (community_id, user_id, role_id),
    foreign key (community_id, user_id) references members (community_id, user_id)
        on delete cascade,
    -- The role belongs to the member's community.
    foreign key (role_id, community_id) references roles (role_id, community_id)
        on delete cascade
);

create index member_roles_role_id_idx on member_roles (role_id);
