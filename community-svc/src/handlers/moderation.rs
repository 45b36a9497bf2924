//! Moderation: kicks, bans, timeouts, warnings, and the community audit log. Every action is
//! bound by the hierarchy (only on members strictly below the moderator; never on the owner)
//! and recorded in the audit log in its own transaction.

use super::{
    membership,
    standing::{Access, Actor},
};
use crate::{
    domain::{PageLimit, Reason, TimeoutUntil, WarningReason},
    notify, permissions,
    repository::{
        OrInternal,
        audit::{self, Filter, NewEntry},
        bans, members, warnings,
    },
    state::AppState,
    views,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            Ban, BanList, BanMemberRequest, CommunityAuditAction, CommunityAuditPage,
            DepartureReason, KickMemberRequest, ListBansRequest, ListWarningsRequest, Member,
            QueryCommunityAuditRequest, TimeoutMemberRequest, UnbanMemberRequest,
            WarnMemberRequest, Warning, WarningList,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use chrono::Utc;
use serde_json::json;

/// Who may warn members and read their warnings.
const WARNERS: [Permission; 2] = [Permission::KickMembers, Permission::TimeoutMembers];

/// Removes a member (`kick_members`); they may come back through an invite or, for a public
/// community, by joining.
pub async fn kick_member(
    state: AppState,
    ctx: CallerContext,
    req: KickMemberRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let reason = Reason::parse_optional(req.reason.as_deref())?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::KickMembers)?;
    let target = actor.member(&mut tx, req.user_id).await?;
    actor.require_member_below(&target)?;
    membership::remove(&mut tx, req.community_id, target.user_id).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::MemberKicked,
        actor.user_id(),
    )
    .target(target.user_id)
    .reason(reason.value())
    .details(json!({ "username": target.username }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a kick")?;
    notify::member_removed(
        &state,
        req.community_id,
        target.user_id,
        DepartureReason::Kicked,
    )
    .await;
    Ok(Empty {})
}

/// Bans a user (`ban_members`): a member is removed at once; anyone, member or not, is refused
/// by joins and invites until unbanned. Banning again replaces the reason.
pub async fn ban_member(
    state: AppState,
    ctx: CallerContext,
    req: BanMemberRequest,
) -> Result<Ban, ApiError> {
    let caller = ctx.require_caller()?;
    let reason = Reason::parse_optional(req.reason.as_deref())?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::BanMembers)?;
    let target = members::find(&mut tx, req.community_id, req.user_id).await?;
    if let Some(target) = &target {
        actor.require_member_below(target)?;
        membership::remove(&mut tx, req.community_id, target.user_id).await?;
    }
    let ban = bans::upsert(
        &mut tx,
        req.community_id,
        req.user_id,
        reason.value(),
        actor.user_id(),
    )
    .await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::MemberBanned,
        actor.user_id(),
    )
    .target(req.user_id)
    .reason(reason.value())
    .details(json!({
        "was_member": target.is_some(),
        "username": target.as_ref().map(|t| t.username.clone()),
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a ban")?;
    if target.is_some() {
        notify::member_removed(
            &state,
            req.community_id,
            req.user_id,
            DepartureReason::Banned,
        )
        .await;
    }
    Ok(ban)
}

pub async fn unban_member(
    state: AppState,
    ctx: CallerContext,
    req: UnbanMemberRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::BanMembers)?;
    if !bans::delete(&mut tx, req.community_id, req.user_id).await? {
        return Err(ApiError::not_found("ban"));
    }
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::MemberUnbanned,
        actor.user_id(),
    )
    .target(req.user_id);
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing an unban")?;
    Ok(Empty {})
}

pub async fn list_bans(
    state: AppState,
    ctx: CallerContext,
    req: ListBansRequest,
) -> Result<BanList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    actor.require(Permission::BanMembers)?;
    Ok(BanList {
        bans: bans::list(&mut conn, req.community_id).await?,
    })
}

/// Times a member out until `until` (`timeout_members`), or lifts their timeout when `until`
/// is absent. Administrators (and the owner) cannot be timed out: the timeout would not apply.
pub async fn timeout_member(
    state: AppState,
    ctx: CallerContext,
    req: TimeoutMemberRequest,
) -> Result<Member, ApiError> {
    let caller = ctx.require_caller()?;
    let now = Utc::now();
    let until = req
        .until
        .map(|until| TimeoutUntil::parse(until, now))
        .transpose()?;
    let reason = Reason::parse_optional(req.reason.as_deref())?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::TimeoutMembers)?;
    let target = actor.member(&mut tx, req.user_id).await?;
    actor.require_member_below(&target)?;
    if until.is_some() && permissions::is_above_overwrites(actor.rules(), views::subject(&target)) {
        return Err(ApiError::forbidden("administrators cannot be timed out"));
    }
    let was_timed_out = views::subject(&target).is_timed_out(now);
    if until.is_none() && !was_timed_out {
        return Ok(target);
    }
    let member = members::set_timeout(
        &mut tx,
        req.community_id,
        target.user_id,
        until.map(TimeoutUntil::get),
    )
    .await?;
    let action = if until.is_some() {
        CommunityAuditAction::MemberTimedOut
    } else {
        CommunityAuditAction::TimeoutLifted
    };
    let entry = NewEntry::new(req.community_id, action, actor.user_id())
        .target(target.user_id)
        .reason(reason.value())
        .details(json!({ "until": member.timed_out_until, "previous": target.timed_out_until }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a timeout")?;
    notify::member_changed(&state, &member, true).await;
    Ok(member)
}

/// Records a warning (`kick_members` or `timeout_members`).
pub async fn warn_member(
    state: AppState,
    ctx: CallerContext,
    req: WarnMemberRequest,
) -> Result<Warning, ApiError> {
    let caller = ctx.require_caller()?;
    let reason = WarningReason::parse(&req.reason)?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require_any(&WARNERS)?;
    let target = actor.member(&mut tx, req.user_id).await?;
    actor.require_member_below(&target)?;
    let warning = warnings::insert(
        &mut tx,
        req.community_id,
        target.user_id,
        reason.as_str(),
        actor.user_id(),
    )
    .await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::MemberWarned,
        actor.user_id(),
    )
    .target(target.user_id)
    .reason(Some(reason.as_str()))
    .details(json!({ "warning_id": warning.warning_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a warning")?;
    Ok(warning)
}

/// A user's warnings, newest first: for moderators (`kick_members` or `timeout_members`), or the
/// member themself. They stay after the user leaves.
pub async fn list_warnings(
    state: AppState,
    ctx: CallerContext,
    req: ListWarningsRequest,
) -> Result<WarningList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    if req.user_id != actor.user_id() {
        actor.require_any(&WARNERS)?;
    }
    Ok(WarningList {
        warnings: warnings::list(&mut conn, req.community_id, req.user_id).await?,
    })
}

/// The community audit log, newest first (`view_audit_log`).
pub async fn query_community_audit(
    state: AppState,
    ctx: CallerContext,
    req: QueryCommunityAuditRequest,
) -> Result<CommunityAuditPage, ApiError> {
    let caller = ctx.require_caller()?;
    let limit = PageLimit::parse(req.limit)?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    actor.require(Permission::ViewAuditLog)?;
    let filter = Filter {
        action: req.action,
        actor_id: req.actor_id,
        target_id: req.target_id,
        before: req.before,
    };
    let entries = audit::query(&mut conn, req.community_id, &filter, limit.as_i64()).await?;
    let next_cursor = limit.next_cursor(&entries, |e| e.entry_id);
    Ok(CommunityAuditPage {
        entries,
        next_cursor,
    })
}
