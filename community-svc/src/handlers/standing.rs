//! Where the caller stands in a community: loaded once per request, then asked "may they do
//! this?". Outsiders learn nothing about private communities: for them every answer is
//! `not_found`, exactly as for a community that does not exist.

use crate::{
    hierarchy::{self, Rank},
    permissions::{self, Roles},
    repository::{communities, enums, members, roles},
    views,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        community::{Community, CommunityVisibility, Member, Role},
        permissions::{Permission, PermissionSet},
    },
};
use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

/// Whether the request only reads or changes the community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Locks the community row until the transaction ends (see `communities::lock`).
    Write,
}

/// A member acting in their community.
#[derive(Debug, Clone)]
pub struct Actor {
    pub community: Community,
    /// Every role of the community, by position.
    pub roles: Vec<Role>,
    pub member: Member,
    /// Community-wide permissions (roles only; everything for the owner and administrators).
    pub permissions: PermissionSet,
    pub rank: Rank,
}

/// The community, if the user may know it exists (public, or they are a member).
pub async fn visible_community(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<Community, ApiError> {
    let community = communities::find(conn, community_id)
        .await?
        .ok_or_else(community_not_found)?;
    if community.visibility == CommunityVisibility::Public
        || members::find(conn, community_id, user_id).await?.is_some()
    {
        Ok(community)
    } else {
        Err(community_not_found())
    }
}

pub fn community_not_found() -> ApiError {
    ApiError::not_found("community")
}

/// The error for someone who is not a member: `not_found` for a private community (its
/// existence is not revealed), `forbidden` for a public one (anyone can see it exists).
pub fn not_a_member(community: &Community) -> ApiError {
    match community.visibility {
        CommunityVisibility::Private => community_not_found(),
        CommunityVisibility::Public => {
            ApiError::forbidden("you are not a member of this community")
        }
    }
}

impl Actor {
    /// The caller's standing in `community_id`; see [`not_a_member`] for outsiders.
    pub async fn load(
        conn: &mut PgConnection,
        community_id: Uuid,
        user_id: Uuid,
        access: Access,
    ) -> Result<Self, ApiError> {
        let community = match access {
            Access::Read => communities::find(conn, community_id).await?,
            Access::Write => communities::lock(conn, community_id).await?,
        }
        .ok_or_else(community_not_found)?;
        let Some(member) = members::find(conn, community_id, user_id).await? else {
            return Err(not_a_member(&community));
        };
        let roles = roles::list(conn, community_id).await?;
        let rules = views::rules(&community, &roles);
        let subject = views::subject(&member);
        let permissions = permissions::community_permissions(rules, subject, Utc::now());
        let rank = hierarchy::rank(rules, subject);
        Ok(Self {
            community,
            roles,
            member,
            permissions,
            rank,
        })
    }

    pub fn user_id(&self) -> Uuid {
        self.member.user_id
    }

    pub fn community_id(&self) -> Uuid {
        self.community.community_id
    }

    pub fn is_owner(&self) -> bool {
        self.rank == Rank::Owner
    }

    pub fn rules(&self) -> Roles<'_> {
        views::rules(&self.community, &self.roles)
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "you need the {} permission",
                enums::name(permission)
            )))
        }
    }

    /// At least one of `permissions`.
    pub fn require_any(&self, permissions: &[Permission]) -> Result<(), ApiError> {
        if permissions.iter().any(|p| self.has(*p)) {
            return Ok(());
        }
        let names: Vec<String> = permissions.iter().map(|p| enums::name(*p)).collect();
        Err(ApiError::forbidden(format!(
            "you need one of the permissions {}",
            names.join(", ")
        )))
    }

    pub fn require_owner(&self) -> Result<(), ApiError> {
        if self.is_owner() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only the owner of the community may do this",
            ))
        }
    }

    /// A role of this community (`not_found` for a role of another one).
    pub fn role(&self, role_id: Uuid) -> Result<&Role, ApiError> {
        self.roles
            .iter()
            .find(|role| role.role_id == role_id)
            .ok_or_else(|| ApiError::not_found("role"))
    }

    pub fn rank_of(&self, member: &Member) -> Rank {
        hierarchy::rank(self.rules(), views::subject(member))
    }

    /// The role ranks strictly below the caller's highest role (or the caller is the owner).
    pub fn require_role_below(&self, role: &Role) -> Result<(), ApiError> {
        if hierarchy::may_manage_role(self.rank, role.position) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "you can only manage roles below your highest role",
            ))
        }
    }

    /// The member ranks strictly below the caller, for moderation (kick, ban, timeout, warn)
    /// and for changing someone else's nickname. Nobody acts on the owner, the owner included.
    pub fn require_member_below(&self, target: &Member) -> Result<(), ApiError> {
        if hierarchy::may_act_on(self.rank, self.rank_of(target)) {
            Ok(())
        } else if target.user_id == self.community.owner_id {
            Err(ApiError::forbidden("nobody can act on the owner"))
        } else {
            Err(ApiError::forbidden(
                "you can only act on members whose highest role is below yours",
            ))
        }
    }

    /// Like [`Actor::require_member_below`], but the owner may also manage their own roles and
    /// overwrites (to wear a role's colour, say): that cannot lock anyone out.
    pub fn require_member_manageable(&self, target: &Member) -> Result<(), ApiError> {
        if self.is_owner() && target.user_id == self.user_id() {
            Ok(())
        } else {
            self.require_member_below(target)
        }
    }

    /// The caller holds every permission in `granted` (or is the owner).
    pub fn require_grantable(&self, granted: PermissionSet) -> Result<(), ApiError> {
        if hierarchy::may_grant(self.rank, self.permissions, granted) {
            return Ok(());
        }
        let missing: Vec<String> = granted
            .difference(self.permissions)
            .iter()
            .map(enums::name)
            .collect();
        Err(ApiError::forbidden(format!(
            "you cannot grant permissions you do not have: {}",
            missing.join(", ")
        )))
    }

    /// Another member of this community (`not_found` otherwise).
    pub async fn member(&self, conn: &mut PgConnection, user_id: Uuid) -> Result<Member, ApiError> {
        if user_id == self.user_id() {
            return Ok(self.member.clone());
        }
        members::find(conn, self.community_id(), user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("member"))
    }
}
