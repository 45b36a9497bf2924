//! Members: joining and leaving, listing, nicknames and role assignments.

use super::{
    membership,
    standing::{Access, Actor, community_not_found},
};
use crate::{
    domain::{Nickname, PageLimit, SearchQuery},
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        bans, communities, contains_pattern, members,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            AssignRoleRequest, CommunityAuditAction, CommunityView, CommunityVisibility,
            DepartureReason, GetMemberRequest, JoinCommunityRequest, LeaveCommunityRequest,
            ListMembersRequest, Member, MemberPage, RemoveRoleRequest, UpdateMemberRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use serde_json::json;

/// The refusal a banned user gets, whichever way they try to come back.
pub fn banned() -> ApiError {
    ApiError::forbidden("you are banned from this community")
}

/// Joins a public community directly and returns the new member's view. Joining a community one
/// already belongs to (public or private) returns the view. To anyone else a private community is
/// `not_found` here: the way in is an invite.
pub async fn join_community(
    state: AppState,
    ctx: CallerContext,
    req: JoinCommunityRequest,
) -> Result<CommunityView, ApiError> {
    let caller = ctx.require_caller()?;
    // A first look without locks, so repeated joins and refusals cost no lookup at auth-svc.
    {
        let mut conn = state.connection().await?;
        let community = communities::find(&mut conn, req.community_id)
            .await?
            .ok_or_else(community_not_found)?;
        if members::find(&mut conn, community.community_id, caller.user_id)
            .await?
            .is_some()
        {
            drop(conn);
            return membership::view_of(&state, req.community_id, caller.user_id).await;
        }
        if community.visibility != CommunityVisibility::Public {
            return Err(community_not_found());
        }
        if bans::is_banned(&mut conn, community.community_id, caller.user_id).await? {
            return Err(banned());
        }
    }
    let profile = membership::lookup_profile(&state, &ctx, caller.user_id).await?;

    let mut tx = state.begin().await?;
    // Checked again under the lock: the community may have gone private, or a ban or another
    // join of the same user may have landed meanwhile.
    let community = communities::lock(&mut tx, req.community_id)
        .await?
        .ok_or_else(community_not_found)?;
    if members::find(&mut tx, community.community_id, caller.user_id)
        .await?
        .is_none()
    {
        if community.visibility != CommunityVisibility::Public {
            return Err(community_not_found());
        }
        if bans::is_banned(&mut tx, community.community_id, caller.user_id).await? {
            return Err(banned());
        }
        let member = membership::admit(&mut tx, community.community_id, &profile).await?;
        tx.commit().await.or_internal("committing a join")?;
        notify::member_joined(&state, &member).await;
    } else {
        drop(tx);
    }
    membership::view_of(&state, req.community_id, caller.user_id).await
}

/// Leaves a community. The owner must transfer ownership first.
pub async fn leave_community(
    state: AppState,
    ctx: CallerContext,
    req: LeaveCommunityRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    if actor.is_owner() {
        return Err(ApiError::invalid_request(
            "the owner cannot leave the community; transfer ownership first",
        ));
    }
    membership::remove(&mut tx, req.community_id, caller.user_id).await?;
    tx.commit().await.or_internal("committing a departure")?;
    notify::member_removed(
        &state,
        req.community_id,
        caller.user_id,
        DepartureReason::Left,
    )
    .await;
    Ok(Empty {})
}

/// Members in user id order, optionally those whose username, display name or nickname
/// contains `query` (members only).
pub async fn list_members(
    state: AppState,
    ctx: CallerContext,
    req: ListMembersRequest,
) -> Result<MemberPage, ApiError> {
    let caller = ctx.require_caller()?;
    let limit = PageLimit::parse(req.limit)?;
    let query = req.query.as_deref().map(SearchQuery::parse).transpose()?;
    let pattern = query
        .as_ref()
        .map(SearchQuery::as_str)
        .filter(|q| !q.is_empty())
        .map(contains_pattern);
    let mut conn = state.connection().await?;
    Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    let members = members::list_page(
        &mut conn,
        req.community_id,
        pattern.as_deref(),
        req.after,
        limit.as_i64(),
    )
    .await?;
    let next_cursor = limit.next_cursor(&members, |m| m.user_id);
    Ok(MemberPage {
        members,
        next_cursor,
    })
}

/// One member (members only).
pub async fn get_member(
    state: AppState,
    ctx: CallerContext,
    req: GetMemberRequest,
) -> Result<Member, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    actor.member(&mut conn, req.user_id).await
}

/// Sets a nickname: one's own, or (with `manage_roles`) that of a member below oneself.
pub async fn update_member(
    state: AppState,
    ctx: CallerContext,
    req: UpdateMemberRequest,
) -> Result<Member, ApiError> {
    let caller = ctx.require_caller()?;
    let nickname = req.nickname.as_deref().map(Nickname::parse).transpose()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    let target = actor.member(&mut tx, req.user_id).await?;
    let on_other = target.user_id != actor.user_id();
    if on_other {
        actor.require(Permission::ManageRoles)?;
        actor.require_member_below(&target)?;
    }
    let Some(nickname) = nickname else {
        return Ok(target);
    };
    let member =
        members::set_nickname(&mut tx, req.community_id, target.user_id, nickname.value()).await?;
    if member.nickname == target.nickname {
        return Ok(member);
    }
    // A member renaming themself is not a management action; renaming someone else is.
    if on_other {
        let entry = NewEntry::new(
            req.community_id,
            CommunityAuditAction::NicknameChanged,
            actor.user_id(),
        )
        .target(target.user_id)
        .details(json!({ "from": target.nickname, "to": member.nickname }));
        audit::record(&mut tx, entry).await?;
    }
    tx.commit()
        .await
        .or_internal("committing a nickname change")?;
    notify::member_changed(&state, &member, false).await;
    Ok(member)
}

/// Which way a role assignment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assignment {
    Assign,
    Remove,
}

/// Gives a role to a member or takes it away (`manage_roles`; the role and the member must
/// both be below the caller). Doing what is already done returns the member unchanged.
async fn change_role(
    state: AppState,
    ctx: CallerContext,
    community_id: uuid::Uuid,
    user_id: uuid::Uuid,
    role_id: uuid::Uuid,
    assignment: Assignment,
) -> Result<Member, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageRoles)?;
    let role = actor.role(role_id)?.clone();
    if role.is_everyone {
        return Err(ApiError::invalid_request(
            "every member has the @everyone role; it cannot be assigned or removed",
        ));
    }
    actor.require_role_below(&role)?;
    let target = actor.member(&mut tx, user_id).await?;
    actor.require_member_manageable(&target)?;
    let (changed, action) = match assignment {
        Assignment::Assign => (
            members::add_role(&mut tx, community_id, target.user_id, role.role_id).await?,
            CommunityAuditAction::RoleAssigned,
        ),
        Assignment::Remove => (
            members::remove_role(&mut tx, community_id, target.user_id, role.role_id).await?,
            CommunityAuditAction::RoleRemoved,
        ),
    };
    if !changed {
        return Ok(target);
    }
    let member = members::find(&mut tx, community_id, target.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))?;
    let entry = NewEntry::new(community_id, action, actor.user_id())
        .target(target.user_id)
        .details(json!({ "role_id": role.role_id, "role_name": role.name }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a role assignment")?;
    notify::member_changed(&state, &member, true).await;
    Ok(member)
}

pub async fn assign_role(
    state: AppState,
    ctx: CallerContext,
    req: AssignRoleRequest,
) -> Result<Member, ApiError> {
    change_role(
        state,
        ctx,
        req.community_id,
        req.user_id,
        req.role_id,
        Assignment::Assign,
    )
    .await
}

pub async fn remove_role(
    state: AppState,
    ctx: CallerContext,
    req: RemoveRoleRequest,
) -> Result<Member, ApiError> {
    change_role(
        state,
        ctx,
        req.community_id,
        req.user_id,
        req.role_id,
        Assignment::Remove,
    )
    .await
}
