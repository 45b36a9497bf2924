-- Groups (sections), their channels, and the permission overwrites on both.

create table groups (
    group_id uuid primary key,
    community_id uuid not null references communities (community_id) on delete cascade,
    name text not null,
    visibility text not null check (visibility in ('public', 'private')),
    position integer not null check (position >= 0),
    created_at timestamptz not null default now(),
    unique (group_id, community_id),
    constraint groups_position_key unique (community_id, position) deferrable initially deferred
);

create table channels (
    channel_id uuid primary key,
    community_id uuid not null,
    group_id uuid not null,
    name text not null,
    kind text not null check (kind in ('text', 'voice')),
    topic text not null default '',
    position integer not null check (position >= 0),
    read_only boolean not null default false,
    archived boolean not null default false,
    slow_mode_secs integer not null default 0
        check (slow_mode_secs = 0 or slow_mode_secs between 5 and 600),
    voice_cap integer check (
        (kind = 'voice' and voice_cap is not null and voice_cap between 1 and 25)
        or (kind = 'text' and voice_cap is null)
    ),
    created_at timestamptz not null default now(),
    unique (channel_id, community_id),
    -- A channel's group is always in the channel's community.
    foreign key (group_id, community_id) references groups (group_id, community_id)
        on delete cascade,
    constraint channels_position_key unique (group_id, position) deferrable initially deferred
);

create index channels_community_id_idx on channels (community_id);

-- Exactly one target (a group or a channel) and one subject (a role or a member), each checked
-- to be in the overwrite's community by its foreign key.
create table overwrites (
    overwrite_id uuid primary key,
    community_id uuid not null references communities (community_id) on delete cascade,
    group_id uuid,
    channel_id uuid,
    role_id uuid,
    user_id uuid,
    allow_bits bigint not null default 0,
    deny_bits bigint not null default 0,
    check (num_nonnulls(group_id, channel_id) = 1),
    check (num_nonnulls(role_id, user_id) = 1),
    foreign key (group_id, community_id) references groups (group_id, community_id)
        on delete cascade,
    foreign key (channel_id, community_id) references channels (channel_id, community_id)
        on delete cascade,
    foreign key (role_id, community_id) references roles (role_id, community_id)
        on delete cascade,
    -- A member's overwrites go when they leave: rejoining must not bring back old access.
    foreign key (community_id, user_id) references members (community_id, user_id)
        on delete cascade
);

create unique index overwrites_target_subject_key
    on overwrites ((coalesce(group_id, channel_id)), (coalesce(role_id, user_id)));
create index overwrites_community_id_idx on overwrites (community_id);
