//! What a member sees of a community, computed in memory from one [`Snapshot`] of it: the
//! snapshot costs a fixed number of queries whatever the number of channels, and one snapshot
//! answers for any number of members (`community_views`) or channels.

use crate::permissions::{self, Place, Roles, Subject};
use chatalot_shared::contracts::{
    community::{
        Channel, ChannelAccess, ChannelView, Community, CommunityView, Group, GroupVisibility,
        Member, Overwrite, OverwriteTarget, Role,
    },
    permissions::{Permission, PermissionSet},
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Everything about one community that permissions depend on.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub community: Community,
    /// By position, `@everyone` first.
    pub roles: Vec<Role>,
    /// By position.
    pub groups: Vec<Group>,
    /// By group position, then channel position.
    pub channels: Vec<Channel>,
    overwrites: HashMap<OverwriteTarget, Vec<Overwrite>>,
}

impl Snapshot {
    pub fn new(
        community: Community,
        roles: Vec<Role>,
        groups: Vec<Group>,
        channels: Vec<Channel>,
        overwrites: Vec<Overwrite>,
    ) -> Self {
        let mut by_target: HashMap<OverwriteTarget, Vec<Overwrite>> = HashMap::new();
        for overwrite in overwrites {
            by_target
                .entry(overwrite.target)
                .or_default()
                .push(overwrite);
        }
        Self {
            community,
            roles,
            groups,
            channels,
            overwrites: by_target,
        }
    }

    pub fn rules(&self) -> Roles<'_> {
        rules(&self.community, &self.roles)
    }

    fn overwrites_on(&self, target: OverwriteTarget) -> &[Overwrite] {
        self.overwrites.get(&target).map_or(&[], Vec::as_slice)
    }

    /// `member`'s view: their community-wide permissions, the groups and channels they can see
    /// (with what they may do in each) and the roles.
    pub fn view_of(&self, member: &Member, now: DateTime<Utc>) -> CommunityView {
        let roles = self.rules();
        let subject = subject(member);
        let community_permissions = permissions::community_permissions(roles, subject, now);
        let groups: HashMap<Uuid, &Group> = self.groups.iter().map(|g| (g.group_id, g)).collect();

        let channels: Vec<ChannelView> = self
            .channels
            .iter()
            .filter_map(|channel| {
                let group = groups.get(&channel.group_id)?;
                let place = Place {
                    group_visibility: group.visibility,
                    group_overwrites: self.overwrites_on(OverwriteTarget::Group(group.group_id)),
                    channel_overwrites: self
                        .overwrites_on(OverwriteTarget::Channel(channel.channel_id)),
                    read_only: channel.read_only,
                    archived: channel.archived,
                };
                let permissions = permissions::channel_permissions(roles, subject, place, now);
                permissions
                    .contains(Permission::ViewChannel)
                    .then(|| ChannelView {
                        channel: channel.clone(),
                        permissions,
                    })
            })
            .collect();

        let manages_groups = community_permissions.contains(Permission::ManageGroups);
        let visible_groups = self
            .groups
            .iter()
            .filter(|group| {
                manages_groups
                    || group.visibility == GroupVisibility::Public
                    || channels
                        .iter()
                        .any(|c| c.channel.group_id == group.group_id)
                    || permissions::group_permissions(
                        roles,
                        subject,
                        group.visibility,
                        self.overwrites_on(OverwriteTarget::Group(group.group_id)),
                    )
                    .contains(Permission::ViewChannel)
            })
            .cloned()
            .collect();

        CommunityView {
            community: self.community.clone(),
            me: member.clone(),
            permissions: community_permissions,
            groups: visible_groups,
            channels,
            roles: self.roles.clone(),
        }
    }
}

/// The permission inputs of a community's roles.
pub fn rules<'a>(community: &Community, roles: &'a [Role]) -> Roles<'a> {
    Roles {
        owner_id: community.owner_id,
        everyone_role_id: community.community_id,
        roles,
    }
}

/// The permission inputs of a member.
pub fn subject(member: &Member) -> Subject<'_> {
    Subject {
        user_id: member.user_id,
        role_ids: &member.role_ids,
        timed_out_until: member.timed_out_until,
    }
}

/// What a channel answer needs besides the member: the channel, its surroundings, the roles and
/// the overwrites on the channel and its group.
#[derive(Debug, Clone, Copy)]
pub struct ChannelFacts<'a> {
    pub channel: &'a Channel,
    pub owner_id: Uuid,
    pub group_visibility: GroupVisibility,
    pub roles: &'a [Role],
    /// The overwrites on the channel and on its group (others are ignored).
    pub overwrites: &'a [Overwrite],
}

/// The answer to "what may this member do in this channel?". `member` is `None` for a
/// non-member, who gets nothing.
pub fn channel_access(
    facts: ChannelFacts<'_>,
    member: Option<&Member>,
    now: DateTime<Utc>,
) -> ChannelAccess {
    let channel = facts.channel;
    let Some(member) = member else {
        return no_access(channel.channel_id);
    };
    let on = |target: OverwriteTarget| -> Vec<Overwrite> {
        facts
            .overwrites
            .iter()
            .filter(|o| o.target == target)
            .cloned()
            .collect()
    };
    let group_overwrites = on(OverwriteTarget::Group(channel.group_id));
    let channel_overwrites = on(OverwriteTarget::Channel(channel.channel_id));
    let roles = Roles {
        owner_id: facts.owner_id,
        everyone_role_id: channel.community_id,
        roles: facts.roles,
    };
    let place = Place {
        group_visibility: facts.group_visibility,
        group_overwrites: &group_overwrites,
        channel_overwrites: &channel_overwrites,
        read_only: channel.read_only,
        archived: channel.archived,
    };
    let permissions = permissions::channel_permissions(roles, subject(member), place, now);
    if permissions.is_empty() {
        return no_access(channel.channel_id);
    }
    ChannelAccess {
        channel_id: channel.channel_id,
        community_id: Some(channel.community_id),
        kind: Some(channel.kind),
        permissions,
        read_only: channel.read_only,
        archived: channel.archived,
        slow_mode_secs: channel.slow_mode_secs,
        voice_cap: channel.voice_cap,
        timed_out_until: member.timed_out_until,
    }
}

/// The answer for an unknown channel or one the user cannot see: nothing about the channel is
/// told, so the answer cannot be used to probe for channels.
pub fn no_access(channel_id: Uuid) -> ChannelAccess {
    ChannelAccess {
        channel_id,
        community_id: None,
        kind: None,
        permissions: PermissionSet::EMPTY,
        read_only: false,
        archived: false,
        slow_mode_secs: 0,
        voice_cap: None,
        timed_out_until: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::contracts::community::{
        ChannelKind, CommunityVisibility, OverwriteSubject,
    };

    struct Fixture {
        snapshot: Snapshot,
        staff_role: Uuid,
        public_channel: Uuid,
        private_group: Uuid,
        private_channel: Uuid,
        empty_private_group: Uuid,
    }

    fn group(community_id: Uuid, position: i32, visibility: GroupVisibility) -> Group {
        Group {
            group_id: Uuid::now_v7(),
            community_id,
            name: format!("g{position}"),
            visibility,
            position,
        }
    }

    fn channel(community_id: Uuid, group_id: Uuid, name: &str) -> Channel {
        Channel {
            channel_id: Uuid::now_v7(),
            community_id,
            group_id,
            name: name.into(),
            kind: ChannelKind::Text,
            topic: String::new(),
            position: 0,
            read_only: false,
            archived: false,
            slow_mode_secs: 0,
            voice_cap: None,
        }
    }

    fn fixture() -> Fixture {
        let community_id = Uuid::now_v7();
        let community = Community {
            community_id,
            name: "c".into(),
            description: String::new(),
            icon_ref: None,
            welcome_message: None,
            visibility: CommunityVisibility::Public,
            owner_id: Uuid::now_v7(),
            member_count: 2,
            created_at: Utc::now(),
        };
        let staff_role = Uuid::now_v7();
        let roles = vec![
            Role {
                role_id: community_id,
                community_id,
                name: "@everyone".into(),
                color: 0,
                position: 0,
                permissions: permissions::default_everyone(),
                is_everyone: true,
            },
            Role {
                role_id: staff_role,
                community_id,
                name: "staff".into(),
                color: 0,
                position: 1,
                permissions: PermissionSet::EMPTY,
                is_everyone: false,
            },
        ];
        let public = group(community_id, 0, GroupVisibility::Public);
        let private = group(community_id, 1, GroupVisibility::Private);
        let empty_private = group(community_id, 2, GroupVisibility::Private);
        let public_channel = channel(community_id, public.group_id, "general");
        let private_channel = channel(community_id, private.group_id, "staff-room");
        let overwrites = vec![Overwrite {
            community_id,
            target: OverwriteTarget::Group(private.group_id),
            subject: OverwriteSubject::Role(staff_role),
            allow: PermissionSet::EMPTY.with(Permission::ViewChannel),
            deny: PermissionSet::EMPTY,
        }];
        Fixture {
            staff_role,
            public_channel: public_channel.channel_id,
            private_group: private.group_id,
            private_channel: private_channel.channel_id,
            empty_private_group: empty_private.group_id,
            snapshot: Snapshot::new(
                community,
                roles,
                vec![public, private, empty_private],
                vec![public_channel, private_channel],
                overwrites,
            ),
        }
    }

    fn member(community_id: Uuid, user_id: Uuid, role_ids: Vec<Uuid>) -> Member {
        Member {
            community_id,
            user_id,
            username: "u".into(),
            display_name: "U".into(),
            nickname: None,
            role_ids,
            joined_at: Utc::now(),
            timed_out_until: None,
        }
    }

    fn channel_ids(view: &CommunityView) -> Vec<Uuid> {
        view.channels.iter().map(|c| c.channel.channel_id).collect()
    }

    fn group_ids(view: &CommunityView) -> Vec<Uuid> {
        view.groups.iter().map(|g| g.group_id).collect()
    }

    #[test]
    fn plain_members_see_public_groups_only() {
        let f = fixture();
        let community_id = f.snapshot.community.community_id;
        let view = f
            .snapshot
            .view_of(&member(community_id, Uuid::now_v7(), vec![]), Utc::now());
        assert_eq!(channel_ids(&view), vec![f.public_channel]);
        assert_eq!(group_ids(&view), vec![f.snapshot.groups[0].group_id]);
        assert_eq!(view.permissions, permissions::default_everyone());
        assert_eq!(view.roles.len(), 2);
    }

    #[test]
    fn an_overwrite_on_a_private_group_shows_it_and_its_channels() {
        let f = fixture();
        let community_id = f.snapshot.community.community_id;
        let staff = member(community_id, Uuid::now_v7(), vec![f.staff_role]);
        let view = f.snapshot.view_of(&staff, Utc::now());
        assert_eq!(
            channel_ids(&view),
            vec![f.public_channel, f.private_channel]
        );
        assert!(group_ids(&view).contains(&f.private_group));
        assert!(!group_ids(&view).contains(&f.empty_private_group));
    }

    #[test]
    fn the_owner_sees_every_group_even_empty_private_ones() {
        let f = fixture();
        let community_id = f.snapshot.community.community_id;
        let owner = member(community_id, f.snapshot.community.owner_id, vec![]);
        let view = f.snapshot.view_of(&owner, Utc::now());
        assert_eq!(group_ids(&view).len(), 3);
        assert_eq!(view.channels.len(), 2);
        assert_eq!(view.permissions, PermissionSet::all());
    }

    #[test]
    fn channel_access_is_empty_and_silent_for_outsiders_and_hidden_channels() {
        let f = fixture();
        let community_id = f.snapshot.community.community_id;
        let private = f
            .snapshot
            .channels
            .iter()
            .find(|c| c.channel_id == f.private_channel);
        let Some(private) = private else {
            panic!("fixture has a private channel");
        };
        let facts = ChannelFacts {
            channel: private,
            owner_id: f.snapshot.community.owner_id,
            group_visibility: GroupVisibility::Private,
            roles: &f.snapshot.roles,
            overwrites: f
                .snapshot
                .overwrites_on(OverwriteTarget::Group(f.private_group)),
        };
        let now = Utc::now();
        assert_eq!(
            channel_access(facts, None, now),
            no_access(f.private_channel)
        );
        let plain = member(community_id, Uuid::now_v7(), vec![]);
        assert_eq!(
            channel_access(facts, Some(&plain), now),
            no_access(f.private_channel)
        );
        let staff = member(community_id, Uuid::now_v7(), vec![f.staff_role]);
        let access = channel_access(facts, Some(&staff), now);
        assert_eq!(access.community_id, Some(community_id));
        assert!(access.permissions.contains(Permission::SendMessages));
    }
}
