//! The resolution rules, one behaviour per test; `docs/permissions.md` has the same cases in
//! words.

use super::*;
use Permission::*;
use chatalot_shared::contracts::community::OverwriteTarget;
use chrono::Duration;

fn set(permissions: &[Permission]) -> PermissionSet {
    permissions.iter().copied().collect()
}

/// A community with an owner, `@everyone` and whatever roles a test adds.
struct World {
    community_id: Uuid,
    owner_id: Uuid,
    roles: Vec<Role>,
    group_id: Uuid,
    channel_id: Uuid,
}

impl World {
    fn new(everyone: PermissionSet) -> Self {
        let community_id = Uuid::now_v7();
        Self {
            community_id,
            owner_id: Uuid::now_v7(),
            roles: vec![Role {
                role_id: community_id,
                community_id,
                name: "@everyone".into(),
                color: 0,
                position: 0,
                permissions: everyone,
                is_everyone: true,
            }],
            group_id: Uuid::now_v7(),
            channel_id: Uuid::now_v7(),
        }
    }

    fn with_defaults() -> Self {
        Self::new(default_everyone())
    }

    fn add_role(&mut self, position: i32, permissions: PermissionSet) -> Uuid {
        let role_id = Uuid::now_v7();
        self.roles.push(Role {
            role_id,
            community_id: self.community_id,
            name: format!("role{position}"),
            color: 0,
            position,
            permissions,
            is_everyone: false,
        });
        role_id
    }

    fn roles(&self) -> Roles<'_> {
        Roles {
            owner_id: self.owner_id,
            everyone_role_id: self.community_id,
            roles: &self.roles,
        }
    }

    fn on_group(
        &self,
        subject: OverwriteSubject,
        allow: &[Permission],
        deny: &[Permission],
    ) -> Overwrite {
        self.overwrite(OverwriteTarget::Group(self.group_id), subject, allow, deny)
    }

    fn on_channel(
        &self,
        subject: OverwriteSubject,
        allow: &[Permission],
        deny: &[Permission],
    ) -> Overwrite {
        self.overwrite(
            OverwriteTarget::Channel(self.channel_id),
            subject,
            allow,
            deny,
        )
    }

    fn overwrite(
        &self,
        target: OverwriteTarget,
        subject: OverwriteSubject,
        allow: &[Permission],
        deny: &[Permission],
    ) -> Overwrite {
        Overwrite {
            community_id: self.community_id,
            target,
            subject,
            allow: set(allow),
            deny: set(deny),
        }
    }

    fn everyone(&self) -> OverwriteSubject {
        OverwriteSubject::Role(self.community_id)
    }
}

fn member(role_ids: &[Uuid]) -> Subject<'_> {
    Subject {
        user_id: Uuid::from_u128(42),
        role_ids,
        timed_out_until: None,
    }
}

fn public_place<'a>(group: &'a [Overwrite], channel: &'a [Overwrite]) -> Place<'a> {
    Place {
        group_visibility: GroupVisibility::Public,
        group_overwrites: group,
        channel_overwrites: channel,
        read_only: false,
        archived: false,
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[test]
fn a_plain_member_gets_everyone_in_a_public_channel() {
    let world = World::with_defaults();
    let got = channel_permissions(world.roles(), member(&[]), public_place(&[], &[]), now());
    assert_eq!(got, default_everyone());
}

#[test]
fn roles_add_to_everyone() {
    let mut world = World::with_defaults();
    let moderator = world.add_role(1, set(&[ManageMessages, KickMembers]));
    let roles = [moderator];
    let got = channel_permissions(world.roles(), member(&roles), public_place(&[], &[]), now());
    assert_eq!(
        got,
        default_everyone().union(set(&[ManageMessages, KickMembers]))
    );
    assert_eq!(
        community_permissions(world.roles(), member(&roles), now()),
        got
    );
}

#[test]
fn the_owner_may_do_everything_whatever_the_overwrites_and_flags() {
    let world = World::new(PermissionSet::EMPTY);
    let owner = Subject {
        user_id: world.owner_id,
        role_ids: &[],
        timed_out_until: Some(now() + Duration::hours(1)),
    };
    let deny_all = [world.on_channel(
        OverwriteSubject::Member(world.owner_id),
        &[],
        &Permission::ALL,
    )];
    let place = Place {
        group_visibility: GroupVisibility::Private,
        group_overwrites: &[],
        channel_overwrites: &deny_all,
        read_only: true,
        archived: true,
    };
    assert_eq!(
        channel_permissions(world.roles(), owner, place, now()),
        PermissionSet::all()
    );
    assert_eq!(
        community_permissions(world.roles(), owner, now()),
        PermissionSet::all()
    );
}

#[test]
fn administrators_ignore_overwrites_and_timeouts_but_not_archives() {
    let mut world = World::new(PermissionSet::EMPTY);
    let admin = world.add_role(1, set(&[Administrator]));
    let roles = [admin];
    let mut subject = member(&roles);
    subject.timed_out_until = Some(now() + Duration::hours(1));
    let deny = [world.on_channel(
        OverwriteSubject::Role(admin),
        &[],
        &[ViewChannel, SendMessages],
    )];
    let place = Place {
        group_visibility: GroupVisibility::Private,
        ..public_place(&[], &deny)
    };
    assert_eq!(
        channel_permissions(world.roles(), subject, place, now()),
        PermissionSet::all()
    );
    assert_eq!(
        community_permissions(world.roles(), subject, now()),
        PermissionSet::all()
    );
    let archived = Place {
        archived: true,
        ..place
    };
    let got = channel_permissions(world.roles(), subject, archived, now());
    assert!(!got.contains(SendMessages) && !got.contains(AddReactions));
    assert!(got.contains(ViewChannel) && got.contains(ManageMessages));
}

#[test]
fn at_one_level_an_allow_from_any_role_beats_a_deny_from_another() {
    let mut world = World::with_defaults();
    let muted = world.add_role(1, PermissionSet::EMPTY);
    let speaker = world.add_role(2, PermissionSet::EMPTY);
    let overwrites = [
        world.on_channel(OverwriteSubject::Role(muted), &[], &[SendMessages]),
        world.on_channel(OverwriteSubject::Role(speaker), &[SendMessages], &[]),
    ];
    let both = [muted, speaker];
    let got = channel_permissions(
        world.roles(),
        member(&both),
        public_place(&[], &overwrites),
        now(),
    );
    assert!(got.contains(SendMessages));
    let only_muted = [muted];
    let got = channel_permissions(
        world.roles(),
        member(&only_muted),
        public_place(&[], &overwrites),
        now(),
    );
    assert!(!got.contains(SendMessages));
}

#[test]
fn role_overwrites_beat_the_everyone_overwrite_at_the_same_level() {
    let mut world = World::with_defaults();
    let helper = world.add_role(1, PermissionSet::EMPTY);
    let overwrites = [
        world.on_channel(world.everyone(), &[], &[SendMessages]),
        world.on_channel(OverwriteSubject::Role(helper), &[SendMessages], &[]),
    ];
    let roles = [helper];
    let helped = channel_permissions(
        world.roles(),
        member(&roles),
        public_place(&[], &overwrites),
        now(),
    );
    let plain = channel_permissions(
        world.roles(),
        member(&[]),
        public_place(&[], &overwrites),
        now(),
    );
    assert!(helped.contains(SendMessages));
    assert!(!plain.contains(SendMessages));
}

#[test]
fn a_member_overwrite_beats_role_overwrites() {
    let mut world = World::with_defaults();
    let helper = world.add_role(1, PermissionSet::EMPTY);
    let roles = [helper];
    let subject = member(&roles);
    let overwrites = [
        world.on_channel(OverwriteSubject::Role(helper), &[MentionEveryone], &[]),
        world.on_channel(
            OverwriteSubject::Member(subject.user_id),
            &[],
            &[MentionEveryone, SendMessages],
        ),
    ];
    let got = channel_permissions(
        world.roles(),
        subject,
        public_place(&[], &overwrites),
        now(),
    );
    assert!(!got.contains(MentionEveryone));
    assert!(!got.contains(SendMessages));
    assert!(got.contains(ViewChannel));
}

#[test]
fn a_channel_overwrite_beats_a_group_overwrite() {
    let mut world = World::with_defaults();
    let guest = world.add_role(1, PermissionSet::EMPTY);
    let roles = [guest];
    // The group hides itself from guests; one channel in it shows itself to them again.
    let group = [world.on_group(OverwriteSubject::Role(guest), &[], &[ViewChannel])];
    let channel = [world.on_channel(OverwriteSubject::Role(guest), &[ViewChannel], &[])];
    let hidden = channel_permissions(
        world.roles(),
        member(&roles),
        public_place(&group, &[]),
        now(),
    );
    assert_eq!(hidden, PermissionSet::EMPTY);
    let shown = channel_permissions(
        world.roles(),
        member(&roles),
        public_place(&group, &channel),
        now(),
    );
    assert!(shown.contains(ViewChannel) && shown.contains(SendMessages));
    // Even an `@everyone` overwrite on the channel beats a member's own overwrite on the group.
    let subject = member(&[]);
    let group = [world.on_group(
        OverwriteSubject::Member(subject.user_id),
        &[SendMessages],
        &[],
    )];
    let channel = [world.on_channel(world.everyone(), &[], &[SendMessages])];
    let got = channel_permissions(
        world.roles(),
        subject,
        public_place(&group, &channel),
        now(),
    );
    assert!(!got.contains(SendMessages));
}

#[test]
fn without_view_channel_nothing_is_left() {
    let world = World::with_defaults();
    let overwrites = [world.on_channel(world.everyone(), &[], &[ViewChannel])];
    let got = channel_permissions(
        world.roles(),
        member(&[]),
        public_place(&[], &overwrites),
        now(),
    );
    assert_eq!(got, PermissionSet::EMPTY);
}

#[test]
fn a_private_group_is_hidden_unless_an_overwrite_or_manage_groups_shows_it() {
    let mut world = World::with_defaults();
    let staff = world.add_role(1, PermissionSet::EMPTY);
    let managers = world.add_role(2, set(&[ManageGroups]));
    let show_staff = [world.on_group(OverwriteSubject::Role(staff), &[ViewChannel], &[])];
    let place = |group| Place {
        group_visibility: GroupVisibility::Private,
        ..public_place(group, &[])
    };
    let plain = channel_permissions(world.roles(), member(&[]), place(&show_staff), now());
    assert_eq!(plain, PermissionSet::EMPTY);
    let staff_ids = [staff];
    let staffed = channel_permissions(world.roles(), member(&staff_ids), place(&show_staff), now());
    assert!(staffed.contains(ViewChannel) && staffed.contains(SendMessages));
    let manager_ids = [managers];
    let managed = channel_permissions(world.roles(), member(&manager_ids), place(&[]), now());
    assert!(managed.contains(ViewChannel));
    // A member overwrite shows it too.
    let subject = member(&[]);
    let show_one = [world.on_group(
        OverwriteSubject::Member(subject.user_id),
        &[ViewChannel],
        &[],
    )];
    assert!(
        channel_permissions(world.roles(), subject, place(&show_one), now()).contains(ViewChannel)
    );
    // An explicit `@everyone` allow makes it visible to all, like a public group.
    let show_all = [world.on_group(world.everyone(), &[ViewChannel], &[])];
    assert!(
        channel_permissions(world.roles(), subject, place(&show_all), now()).contains(ViewChannel)
    );
    // Group-level answers say the same (for groups without visible channels).
    assert!(
        !group_permissions(world.roles(), subject, GroupVisibility::Private, &[])
            .contains(ViewChannel)
    );
    assert!(
        group_permissions(world.roles(), subject, GroupVisibility::Private, &show_one)
            .contains(ViewChannel)
    );
    assert!(
        group_permissions(world.roles(), subject, GroupVisibility::Public, &[])
            .contains(ViewChannel)
    );
}

#[test]
fn read_only_channels_take_send_from_all_but_message_managers() {
    let mut world = World::with_defaults();
    let moderator = world.add_role(1, set(&[ManageMessages]));
    let place = Place {
        read_only: true,
        ..public_place(&[], &[])
    };
    let plain = channel_permissions(world.roles(), member(&[]), place, now());
    assert!(!plain.contains(SendMessages));
    assert!(plain.contains(ViewChannel) && plain.contains(AddReactions));
    let roles = [moderator];
    let moderated = channel_permissions(world.roles(), member(&roles), place, now());
    assert!(moderated.contains(SendMessages));
}

#[test]
fn archived_channels_stay_visible_but_nobody_sends_or_reacts() {
    let mut world = World::with_defaults();
    let moderator = world.add_role(1, set(&[ManageMessages]));
    let place = Place {
        archived: true,
        ..public_place(&[], &[])
    };
    let roles = [moderator];
    for subject in [member(&[]), member(&roles)] {
        let got = channel_permissions(world.roles(), subject, place, now());
        assert!(got.contains(ViewChannel));
        assert!(!got.contains(SendMessages));
        assert!(!got.contains(AddReactions));
    }
}

#[test]
fn a_running_timeout_takes_away_speaking_but_an_expired_one_does_not() {
    let world = World::with_defaults();
    let mut subject = member(&[]);
    subject.timed_out_until = Some(now() + Duration::minutes(10));
    let got = channel_permissions(world.roles(), subject, public_place(&[], &[]), now());
    assert_eq!(got, set(&[ViewChannel, Connect]));
    let community = community_permissions(world.roles(), subject, now());
    assert!(!community.contains(CreateInvites));
    subject.timed_out_until = Some(now() - Duration::minutes(1));
    assert_eq!(
        channel_permissions(world.roles(), subject, public_place(&[], &[]), now()),
        default_everyone()
    );
}

#[test]
fn community_permissions_ignore_overwrites_and_grant_everything_to_administrators() {
    let mut world = World::new(set(&[ViewChannel]));
    let admin = world.add_role(3, set(&[Administrator]));
    let roles = [admin];
    assert_eq!(
        community_permissions(world.roles(), member(&roles), now()),
        PermissionSet::all()
    );
    assert_eq!(
        community_permissions(world.roles(), member(&[]), now()),
        set(&[ViewChannel])
    );
    assert!(is_above_overwrites(world.roles(), member(&roles)));
    assert!(!is_above_overwrites(world.roles(), member(&[])));
}

#[test]
fn unknown_and_foreign_roles_grant_nothing() {
    let world = World::new(set(&[ViewChannel]));
    let stranger = [Uuid::now_v7()];
    assert_eq!(
        base_permissions(world.roles(), member(&stranger)),
        set(&[ViewChannel])
    );
}

#[test]
fn defaults_match_the_documented_everyone_role() {
    assert_eq!(
        default_everyone(),
        set(&[
            ViewChannel,
            SendMessages,
            AddReactions,
            AttachFiles,
            Connect,
            Speak,
            Video,
            CreateInvites
        ])
    );
}
