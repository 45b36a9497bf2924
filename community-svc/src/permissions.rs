//! The permission answer: what a member may do in their community and in each channel of it.
//!
//! Pure functions over data the caller has already loaded, so one load of a community (roles,
//! groups, channels, overwrites) serves any number of answers, and every rule is unit tested.
//! The same rules in plain words, with worked examples, are in `docs/permissions.md`; keep the
//! two in step.
//!
//! In short, for a member in a channel:
//! 1. the owner may do everything;
//! 2. base = `@everyone` ∪ the member's roles; `administrator` in it means everything;
//! 3. the group's overwrites, then the channel's, each level in the order `@everyone`, the
//!    member's other roles (all denies, then all allows), the member;
//!    a private group first denies `view_channel` to those without `manage_groups`;
//! 4. without `view_channel` nothing at all;
//! 5. channel flags (read-only, archived) and a running timeout take their flags away.

use chatalot_shared::contracts::{
    community::{GroupVisibility, Overwrite, OverwriteSubject, Role},
    permissions::{Permission, PermissionSet},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The community-wide facts every answer starts from.
#[derive(Debug, Clone, Copy)]
pub struct Roles<'a> {
    pub owner_id: Uuid,
    /// The `@everyone` role's id, which is the community's id.
    pub everyone_role_id: Uuid,
    /// Every role of the community, `@everyone` included.
    pub roles: &'a [Role],
}

/// The member asking.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub user_id: Uuid,
    /// Their roles besides `@everyone` (unknown ids are ignored).
    pub role_ids: &'a [Uuid],
    pub timed_out_until: Option<DateTime<Utc>>,
}

/// Where they ask: a channel, the group it is in, and the overwrites on both.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub group_visibility: GroupVisibility,
    pub group_overwrites: &'a [Overwrite],
    pub channel_overwrites: &'a [Overwrite],
    pub read_only: bool,
    pub archived: bool,
}

/// What `@everyone` may do in a new community.
pub fn default_everyone() -> PermissionSet {
    [
        Permission::ViewChannel,
        Permission::SendMessages,
        Permission::AddReactions,
        Permission::AttachFiles,
        Permission::Connect,
        Permission::Speak,
        Permission::Video,
        Permission::CreateInvites,
    ]
    .into_iter()
    .collect()
}

/// What a running timeout takes away.
pub fn revoked_by_timeout() -> PermissionSet {
    [
        Permission::SendMessages,
        Permission::AddReactions,
        Permission::Speak,
        Permission::Video,
        Permission::AttachFiles,
        Permission::MentionEveryone,
        Permission::CreateInvites,
    ]
    .into_iter()
    .collect()
}

/// What an archived channel takes away from everyone but the owner.
fn revoked_by_archive() -> PermissionSet {
    [Permission::SendMessages, Permission::AddReactions]
        .into_iter()
        .collect()
}

impl Roles<'_> {
    fn is_owner(&self, member: &Subject<'_>) -> bool {
        member.user_id == self.owner_id
    }

    fn everyone(&self) -> PermissionSet {
        self.roles
            .iter()
            .find(|role| role.role_id == self.everyone_role_id)
            .map_or(PermissionSet::EMPTY, |role| role.permissions)
    }
}

impl Subject<'_> {
    fn has_role(&self, role_id: Uuid) -> bool {
        self.role_ids.contains(&role_id)
    }

    /// True while a timeout runs.
    pub fn is_timed_out(&self, now: DateTime<Utc>) -> bool {
        self.timed_out_until.is_some_and(|until| until > now)
    }
}

/// `@everyone`'s permissions and those of each of the member's roles (step 2, no owner, no
/// administrator shortcut).
pub fn base_permissions(roles: Roles<'_>, member: Subject<'_>) -> PermissionSet {
    roles
        .roles
        .iter()
        .filter(|role| member.has_role(role.role_id))
        .fold(roles.everyone(), |set, role| set.union(role.permissions))
}

/// True for the owner and for members whose roles grant `administrator`: both may do
/// everything, overwrites notwithstanding, and cannot be timed out.
pub fn is_above_overwrites(roles: Roles<'_>, member: Subject<'_>) -> bool {
    roles.is_owner(&member) || base_permissions(roles, member).contains(Permission::Administrator)
}

/// The member's community-wide permissions, for management actions (roles only, no
/// overwrites): everything for the owner and administrators; otherwise the base, less what a
/// running timeout takes away (so a timed-out member cannot create invites).
pub fn community_permissions(
    roles: Roles<'_>,
    member: Subject<'_>,
    now: DateTime<Utc>,
) -> PermissionSet {
    if is_above_overwrites(roles, member) {
        return PermissionSet::all();
    }
    let base = base_permissions(roles, member);
    if member.is_timed_out(now) {
        base.difference(revoked_by_timeout())
    } else {
        base
    }
}

/// The member's permissions at group level: base, the private group's implicit deny of
/// `view_channel`, then the group's overwrites. Used to tell whether a group is visible even
/// when it holds no channel the member can see; channel answers come from
/// [`channel_permissions`].
pub fn group_permissions(
    roles: Roles<'_>,
    member: Subject<'_>,
    visibility: GroupVisibility,
    group_overwrites: &[Overwrite],
) -> PermissionSet {
    if is_above_overwrites(roles, member) {
        return PermissionSet::all();
    }
    let base = base_permissions(roles, member);
    let start = private_group_start(base, visibility);
    apply_level(start, group_overwrites, roles.everyone_role_id, member)
}

/// The member's permissions in one channel (steps 1 to 8 of `docs/permissions.md`). Empty when
/// the member cannot see the channel.
pub fn channel_permissions(
    roles: Roles<'_>,
    member: Subject<'_>,
    place: Place<'_>,
    now: DateTime<Utc>,
) -> PermissionSet {
    if roles.is_owner(&member) {
        return PermissionSet::all();
    }
    let base = base_permissions(roles, member);
    let administrator = base.contains(Permission::Administrator);
    let resolved = if administrator {
        PermissionSet::all()
    } else {
        let start = private_group_start(base, place.group_visibility);
        let group_level = apply_level(
            start,
            place.group_overwrites,
            roles.everyone_role_id,
            member,
        );
        apply_level(
            group_level,
            place.channel_overwrites,
            roles.everyone_role_id,
            member,
        )
    };
    if !resolved.contains(Permission::ViewChannel) {
        return PermissionSet::EMPTY;
    }
    let mut answer = resolved;
    if place.read_only && !answer.contains(Permission::ManageMessages) {
        answer = answer.without(Permission::SendMessages);
    }
    if place.archived {
        answer = answer.difference(revoked_by_archive());
    }
    if !administrator && member.is_timed_out(now) {
        answer = answer.difference(revoked_by_timeout());
    }
    answer
}

/// A private group hides itself from everyone who does not manage groups, before any explicit
/// overwrite is applied (so an overwrite can show it to a role or a member again).
fn private_group_start(base: PermissionSet, visibility: GroupVisibility) -> PermissionSet {
    match visibility {
        GroupVisibility::Private if !base.contains(Permission::ManageGroups) => {
            base.without(Permission::ViewChannel)
        }
        _ => base,
    }
}

/// One level (a group's or a channel's overwrites): `@everyone`, then the member's other roles
/// together (so at one level an allow from any role beats a deny from another), then the member.
fn apply_level(
    permissions: PermissionSet,
    overwrites: &[Overwrite],
    everyone_role_id: Uuid,
    member: Subject<'_>,
) -> PermissionSet {
    let mut permissions = permissions;
    if let Some(everyone) = overwrites
        .iter()
        .find(|o| o.subject == OverwriteSubject::Role(everyone_role_id))
    {
        permissions = permissions.difference(everyone.deny).union(everyone.allow);
    }
    let (deny, allow) = overwrites
        .iter()
        .filter(|o| match o.subject {
            OverwriteSubject::Role(role_id) => {
                role_id != everyone_role_id && member.has_role(role_id)
            }
            OverwriteSubject::Member(_) => false,
        })
        .fold((PermissionSet::EMPTY, PermissionSet::EMPTY), |(d, a), o| {
            (d.union(o.deny), a.union(o.allow))
        });
    permissions = permissions.difference(deny).union(allow);
    if let Some(own) = overwrites
        .iter()
        .find(|o| o.subject == OverwriteSubject::Member(member.user_id))
    {
        permissions = permissions.difference(own.deny).union(own.allow);
    }
    permissions
}

#[cfg(test)]
mod tests;
