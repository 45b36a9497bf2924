//! Permission overwrites on groups and channels (`manage_roles`, within the hierarchy for the
//! role or member they are for).

use super::standing::{Access, Actor};
use crate::{
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        channels, groups, overwrites,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            CommunityAuditAction, DeleteOverwriteRequest, ListOverwritesRequest, Overwrite,
            OverwriteList, OverwriteSubject, OverwriteTarget, SetOverwriteRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use serde_json::json;
use sqlx::PgConnection;

/// The group or channel is in the actor's community.
async fn check_target(
    conn: &mut PgConnection,
    actor: &Actor,
    target: OverwriteTarget,
) -> Result<(), ApiError> {
    let found = match target {
        OverwriteTarget::Group(group_id) => groups::find(conn, actor.community_id(), group_id)
            .await?
            .is_some(),
        OverwriteTarget::Channel(channel_id) => {
            channels::find(conn, actor.community_id(), channel_id)
                .await?
                .is_some()
        }
    };
    if found {
        Ok(())
    } else {
        Err(ApiError::not_found(match target {
            OverwriteTarget::Group(_) => "group",
            OverwriteTarget::Channel(_) => "channel",
        }))
    }
}

/// The role or member is in the actor's community and below the actor.
async fn check_subject(
    conn: &mut PgConnection,
    actor: &Actor,
    subject: OverwriteSubject,
) -> Result<(), ApiError> {
    match subject {
        OverwriteSubject::Role(role_id) => actor.require_role_below(actor.role(role_id)?),
        OverwriteSubject::Member(user_id) => {
            let member = actor.member(conn, user_id).await?;
            actor.require_member_manageable(&member)
        }
    }
}

/// Creates or replaces the overwrite of a role or member on a group or channel.
pub async fn set_overwrite(
    state: AppState,
    ctx: CallerContext,
    req: SetOverwriteRequest,
) -> Result<Overwrite, ApiError> {
    let caller = ctx.require_caller()?;
    if !req.allow.intersection(req.deny).is_empty() {
        return Err(ApiError::invalid_request(
            "a permission cannot be both allowed and denied",
        ));
    }
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageRoles)?;
    check_target(&mut tx, &actor, req.target).await?;
    check_subject(&mut tx, &actor, req.subject).await?;
    let previous = overwrites::find(&mut tx, req.target, req.subject).await?;
    let already_allowed = previous.as_ref().map_or(Default::default(), |o| o.allow);
    actor.require_grantable(req.allow.difference(already_allowed))?;
    let overwrite = overwrites::upsert(
        &mut tx,
        req.community_id,
        req.target,
        req.subject,
        req.allow,
        req.deny,
    )
    .await?;
    if previous.as_ref() == Some(&overwrite) {
        return Ok(overwrite);
    }
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::OverwriteSet,
        actor.user_id(),
    )
    .target(subject_id(req.subject))
    .details(json!({
        "target": req.target,
        "subject": req.subject,
        "allow": overwrite.allow,
        "deny": overwrite.deny,
        "previous": previous.map(|o| json!({ "allow": o.allow, "deny": o.deny })),
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing an overwrite")?;
    notify::overwrite_changed(&state, &overwrite).await;
    Ok(overwrite)
}

/// The audit log's target of an overwrite change: the role or member it is for.
fn subject_id(subject: OverwriteSubject) -> uuid::Uuid {
    match subject {
        OverwriteSubject::Role(id) | OverwriteSubject::Member(id) => id,
    }
}

pub async fn delete_overwrite(
    state: AppState,
    ctx: CallerContext,
    req: DeleteOverwriteRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageRoles)?;
    check_target(&mut tx, &actor, req.target).await?;
    check_subject(&mut tx, &actor, req.subject).await?;
    let Some(previous) = overwrites::find(&mut tx, req.target, req.subject).await? else {
        return Err(ApiError::not_found("overwrite"));
    };
    overwrites::delete(&mut tx, req.target, req.subject).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::OverwriteDeleted,
        actor.user_id(),
    )
    .target(subject_id(req.subject))
    .details(json!({
        "target": req.target,
        "subject": req.subject,
        "allow": previous.allow,
        "deny": previous.deny,
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing an overwrite deletion")?;
    notify::overwrite_deleted(&state, req.community_id, req.target, req.subject).await;
    Ok(Empty {})
}

/// The overwrites on one group or channel.
pub async fn list_overwrites(
    state: AppState,
    ctx: CallerContext,
    req: ListOverwritesRequest,
) -> Result<OverwriteList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    actor.require(Permission::ManageRoles)?;
    check_target(&mut conn, &actor, req.target).await?;
    Ok(OverwriteList {
        overwrites: overwrites::list_on(&mut conn, req.target).await?,
    })
}
