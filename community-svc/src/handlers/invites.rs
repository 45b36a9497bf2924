//! Community invites: codes that let people in, with optional use limits and expiry.

use super::{
    members::banned,
    membership,
    standing::{Access, Actor},
};
use crate::{
    domain::{InviteCode, InviteExpiry, InviteMaxUses, invite::invite_invalid},
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        bans, communities, invites, members,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            AcceptInviteRequest, CommunityAuditAction, CommunityInvite, CommunityInviteList,
            CommunityView, CreateCommunityInviteRequest, InvitePreview,
            ListCommunityInvitesRequest, PreviewInviteRequest, RevokeCommunityInviteRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use serde_json::json;
use sqlx::PgConnection;

/// Creates an invite (`create_invites`, which a timeout takes away).
pub async fn create_invite(
    state: AppState,
    ctx: CallerContext,
    req: CreateCommunityInviteRequest,
) -> Result<CommunityInvite, ApiError> {
    let caller = ctx.require_caller()?;
    let max_uses = InviteMaxUses::parse_optional(req.max_uses)?;
    let expiry = InviteExpiry::parse_optional(req.expires_in_secs)?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Read).await?;
    actor.require(Permission::CreateInvites)?;
    let invite = invites::insert(
        &mut tx,
        &InviteCode::generate(),
        req.community_id,
        actor.user_id(),
        max_uses,
        expiry,
    )
    .await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::InviteCreated,
        actor.user_id(),
    )
    .details(json!({
        "code": invite.code,
        "max_uses": invite.max_uses,
        "expires_at": invite.expires_at,
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing an invite")?;
    Ok(invite.to_contract())
}

/// The community's invites that are not revoked, with their use counts (`manage_community`).
pub async fn list_invites(
    state: AppState,
    ctx: CallerContext,
    req: ListCommunityInvitesRequest,
) -> Result<CommunityInviteList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    actor.require(Permission::ManageCommunity)?;
    let invites = invites::list_unrevoked(&mut conn, req.community_id).await?;
    Ok(CommunityInviteList {
        invites: invites.iter().map(invites::Invite::to_contract).collect(),
    })
}

/// Revokes an invite (`manage_community`, or the member who created it).
pub async fn revoke_invite(
    state: AppState,
    ctx: CallerContext,
    req: RevokeCommunityInviteRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let code = InviteCode::parse_presented(&req.code).map_err(|_| invite_not_found())?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Read).await?;
    let invite = invites::find(&mut tx, &code)
        .await?
        .filter(|i| i.community_id == req.community_id && i.revoked_at.is_none())
        .ok_or_else(invite_not_found)?;
    if invite.created_by != actor.user_id() {
        actor.require(Permission::ManageCommunity)?;
    }
    let revoked = invites::revoke(&mut tx, req.community_id, &code)
        .await?
        .ok_or_else(invite_not_found)?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::InviteRevoked,
        actor.user_id(),
    )
    .target(revoked.created_by)
    .details(json!({ "code": revoked.code, "uses": revoked.uses }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing an invite revocation")?;
    Ok(Empty {})
}

fn invite_not_found() -> ApiError {
    ApiError::not_found("invite")
}

/// What anyone holding a code may see before joining, even without an account. Unknown,
/// revoked, expired and used-up codes get their own error codes.
pub async fn preview_invite(
    state: AppState,
    _ctx: CallerContext,
    req: PreviewInviteRequest,
) -> Result<InvitePreview, ApiError> {
    let code = InviteCode::parse_presented(&req.code)?;
    let mut conn = state.connection().await?;
    let invite = usable_invite(&mut conn, &code).await?;
    let community = communities::find(&mut conn, invite.community_id)
        .await?
        .ok_or_else(invite_invalid)?;
    Ok(InvitePreview {
        code: invite.code,
        community_id: community.community_id,
        name: community.name,
        description: community.description,
        icon_ref: community.icon_ref,
        member_count: community.member_count,
        expires_at: invite.expires_at,
    })
}

/// The invite, or the error that says why it cannot be used.
async fn usable_invite(
    conn: &mut PgConnection,
    code: &InviteCode,
) -> Result<invites::Invite, ApiError> {
    let invite = invites::find(conn, code)
        .await?
        .ok_or_else(invite_invalid)?;
    invite.state().check()?;
    Ok(invite)
}

/// Joins the invite's community and returns the new member's view. The use is taken in the
/// membership transaction by one conditional update, so two people racing for the last use
/// cannot both get it. A member already in the community gets their view and uses nothing;
/// a banned user is refused.
pub async fn accept_invite(
    state: AppState,
    ctx: CallerContext,
    req: AcceptInviteRequest,
) -> Result<CommunityView, ApiError> {
    let caller = ctx.require_caller()?;
    let code = InviteCode::parse_presented(&req.code)?;
    // A first look without locks, so members and refusals cost no lookup at auth-svc.
    let community_id = {
        let mut conn = state.connection().await?;
        let invite = invites::find(&mut conn, &code)
            .await?
            .ok_or_else(invite_invalid)?;
        if members::find(&mut conn, invite.community_id, caller.user_id)
            .await?
            .is_some()
        {
            drop(conn);
            return membership::view_of(&state, invite.community_id, caller.user_id).await;
        }
        invite.state().check()?;
        if bans::is_banned(&mut conn, invite.community_id, caller.user_id).await? {
            return Err(banned());
        }
        invite.community_id
    };
    let profile = membership::lookup_profile(&state, &ctx, caller.user_id).await?;

    let mut tx = state.begin().await?;
    // Under the community lock, checked again: a ban or another join may have landed meanwhile.
    communities::lock(&mut tx, community_id)
        .await?
        .ok_or_else(invite_invalid)?;
    if members::find(&mut tx, community_id, caller.user_id)
        .await?
        .is_none()
    {
        if bans::is_banned(&mut tx, community_id, caller.user_id).await? {
            return Err(banned());
        }
        if invites::consume(&mut tx, &code).await?.is_none() {
            // Say precisely why; a code valid again by now (a clock edge) is simply refused.
            usable_invite(&mut tx, &code).await?;
            return Err(invite_invalid());
        }
        let member = membership::admit(&mut tx, community_id, &profile).await?;
        tx.commit()
            .await
            .or_internal("committing an invite acceptance")?;
        notify::member_joined(&state, &member).await;
    } else {
        drop(tx);
    }
    membership::view_of(&state, community_id, caller.user_id).await
}
