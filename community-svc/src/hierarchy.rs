//! The role hierarchy: who may manage which role and act on which member.
//!
//! A member's rank is the position of their highest role (`@everyone` is 0); the owner outranks
//! everyone. A non-owner may only manage roles and act on members strictly below their own rank,
//! and may only grant permissions they hold themselves. Nobody acts on the owner; the owner is
//! bound by none of this, except that they cannot moderate themself (the handlers let the owner
//! manage their own roles). Pure functions, so the rules are unit tested here.

use crate::permissions::{Roles, Subject};
use chatalot_shared::contracts::permissions::PermissionSet;

/// Where a member stands. Ordered: any position is below the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// The position of the member's highest role (0 with `@everyone` only).
    Position(i32),
    Owner,
}

/// The rank of `member` among `roles`.
pub fn rank(roles: Roles<'_>, member: Subject<'_>) -> Rank {
    if member.user_id == roles.owner_id {
        return Rank::Owner;
    }
    let highest = roles
        .roles
        .iter()
        .filter(|role| member.role_ids.contains(&role.role_id))
        .map(|role| role.position)
        .max()
        .unwrap_or(0);
    Rank::Position(highest.max(0))
}

/// Whether someone of rank `actor` may create, edit, delete, assign or remove a role at
/// `role_position`, or set overwrites for it.
pub fn may_manage_role(actor: Rank, role_position: i32) -> bool {
    actor > Rank::Position(role_position)
}

/// Whether someone of rank `actor` may kick, ban, time out, warn, rename or change the roles of
/// a member of rank `target`: strictly from above, and nobody acts on the owner (not even the
/// owner, who cannot kick or ban themself out of their own community).
pub fn may_act_on(actor: Rank, target: Rank) -> bool {
    target != Rank::Owner && actor > target
}

/// Whether someone of rank `actor` holding `held` may grant `granted` (on a role or an
/// overwrite): the owner may grant anything, everyone else only what they hold.
pub fn may_grant(actor: Rank, held: PermissionSet, granted: PermissionSet) -> bool {
    actor == Rank::Owner || held.contains_all(granted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::contracts::{community::Role, permissions::Permission};
    use uuid::Uuid;

    fn role(community_id: Uuid, position: i32) -> Role {
        Role {
            role_id: if position == 0 {
                community_id
            } else {
                Uuid::now_v7()
            },
            community_id,
            name: format!("r{position}"),
            color: 0,
            position,
            permissions: PermissionSet::EMPTY,
            is_everyone: position == 0,
        }
    }

    #[test]
    fn rank_is_the_highest_role_and_the_owner_is_above_all() {
        let community = Uuid::now_v7();
        let owner = Uuid::now_v7();
        let all = vec![role(community, 0), role(community, 1), role(community, 5)];
        let roles = Roles {
            owner_id: owner,
            everyone_role_id: community,
            roles: &all,
        };
        let both = [all[1].role_id, all[2].role_id];
        let stranger = [Uuid::now_v7()];
        fn subject(user_id: Uuid, role_ids: &[Uuid]) -> Subject<'_> {
            Subject {
                user_id,
                role_ids,
                timed_out_until: None,
            }
        }
        let user = Uuid::now_v7();
        assert_eq!(rank(roles, subject(user, &both)), Rank::Position(5));
        assert_eq!(rank(roles, subject(user, &[])), Rank::Position(0));
        assert_eq!(
            rank(roles, subject(user, &stranger)),
            Rank::Position(0),
            "unknown roles count for nothing"
        );
        assert_eq!(rank(roles, subject(owner, &[])), Rank::Owner);
        assert!(Rank::Owner > Rank::Position(i32::MAX));
    }

    #[test]
    fn roles_are_managed_strictly_from_above() {
        assert!(may_manage_role(Rank::Position(3), 2));
        assert!(!may_manage_role(Rank::Position(3), 3), "not one's equal");
        assert!(!may_manage_role(Rank::Position(3), 4));
        assert!(
            !may_manage_role(Rank::Position(0), 0),
            "@everyone only from above"
        );
        assert!(may_manage_role(Rank::Owner, i32::MAX));
    }

    #[test]
    fn members_are_acted_on_strictly_from_above_and_never_the_owner() {
        assert!(may_act_on(Rank::Position(3), Rank::Position(2)));
        assert!(!may_act_on(Rank::Position(3), Rank::Position(3)));
        assert!(!may_act_on(Rank::Position(2), Rank::Position(3)));
        assert!(!may_act_on(Rank::Position(99), Rank::Owner));
        assert!(may_act_on(Rank::Owner, Rank::Position(99)));
        assert!(!may_act_on(Rank::Owner, Rank::Owner));
    }

    #[test]
    fn only_held_permissions_can_be_granted_except_by_the_owner() {
        let held: PermissionSet = [Permission::ViewChannel, Permission::KickMembers]
            .into_iter()
            .collect();
        let kick = PermissionSet::EMPTY.with(Permission::KickMembers);
        let ban = PermissionSet::EMPTY.with(Permission::BanMembers);
        assert!(may_grant(Rank::Position(4), held, kick));
        assert!(may_grant(Rank::Position(4), held, PermissionSet::EMPTY));
        assert!(!may_grant(Rank::Position(4), held, kick.union(ban)));
        assert!(may_grant(Rank::Owner, PermissionSet::EMPTY, ban));
    }
}
