//! Groups: the sections a community's channels are arranged in (`manage_groups`).

use super::standing::{Access, Actor};
use crate::{
    domain::{GroupName, order},
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        channels, groups,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            CommunityAuditAction, CreateGroupRequest, DeleteGroupRequest, Group, GroupList,
            GroupVisibility, ReorderGroupsRequest, UpdateGroupRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// The group, if it is in the actor's community.
async fn find_group(
    conn: &mut PgConnection,
    community_id: Uuid,
    group_id: Uuid,
) -> Result<Group, ApiError> {
    groups::find(conn, community_id, group_id)
        .await?
        .ok_or_else(|| ApiError::not_found("group"))
}

/// Adds a group after the last one; public unless said otherwise.
pub async fn create_group(
    state: AppState,
    ctx: CallerContext,
    req: CreateGroupRequest,
) -> Result<Group, ApiError> {
    let caller = ctx.require_caller()?;
    let name = GroupName::parse(&req.name)?;
    let visibility = req.visibility.unwrap_or(GroupVisibility::Public);
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageGroups)?;
    let group = groups::insert(&mut tx, req.community_id, &name, visibility).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::GroupCreated,
        actor.user_id(),
    )
    .target(group.group_id)
    .details(json!({ "name": group.name, "visibility": group.visibility }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a new group")?;
    notify::group_changed(&state, &group).await;
    Ok(group)
}

/// Renames a group or changes who sees it.
pub async fn update_group(
    state: AppState,
    ctx: CallerContext,
    req: UpdateGroupRequest,
) -> Result<Group, ApiError> {
    let caller = ctx.require_caller()?;
    let name = req.name.as_deref().map(GroupName::parse).transpose()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageGroups)?;
    let before = find_group(&mut tx, req.community_id, req.group_id).await?;
    let after = groups::update(&mut tx, before.group_id, name.as_ref(), req.visibility).await?;
    if after == before {
        return Ok(after);
    }
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::GroupUpdated,
        actor.user_id(),
    )
    .target(after.group_id)
    .details(json!({
        "from": { "name": before.name, "visibility": before.visibility },
        "to": { "name": after.name, "visibility": after.visibility },
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a group update")?;
    notify::group_changed(&state, &after).await;
    Ok(after)
}

/// Puts the groups in the given order, which must name every group exactly once.
pub async fn reorder_groups(
    state: AppState,
    ctx: CallerContext,
    req: ReorderGroupsRequest,
) -> Result<GroupList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageGroups)?;
    let current: Vec<Uuid> = groups::list(&mut tx, req.community_id)
        .await?
        .iter()
        .map(|g| g.group_id)
        .collect();
    order::check_permutation(&current, &req.group_ids)?;
    let moved = groups::renumber(&mut tx, req.community_id, &req.group_ids).await?;
    let groups = groups::list(&mut tx, req.community_id).await?;
    tx.commit()
        .await
        .or_internal("committing a group reorder")?;
    if !moved.is_empty() {
        notify::groups_reordered(&state, req.community_id, req.group_ids).await;
    }
    Ok(GroupList { groups })
}

/// Deletes a group and every channel in it.
pub async fn delete_group(
    state: AppState,
    ctx: CallerContext,
    req: DeleteGroupRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageGroups)?;
    let group = find_group(&mut tx, req.community_id, req.group_id).await?;
    let channels = channels::list_in_group(&mut tx, group.group_id).await?;
    groups::delete(&mut tx, group.group_id).await?;
    let remaining: Vec<Uuid> = groups::list(&mut tx, req.community_id)
        .await?
        .iter()
        .map(|g| g.group_id)
        .collect();
    let moved = groups::renumber(&mut tx, req.community_id, &remaining).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::GroupDeleted,
        actor.user_id(),
    )
    .target(group.group_id)
    .details(json!({
        "name": group.name,
        "channels": channels
            .iter()
            .map(|c| json!({ "channel_id": c.channel_id, "name": c.name }))
            .collect::<Vec<_>>(),
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a group deletion")?;
    for channel in &channels {
        notify::channel_deleted(&state, req.community_id, channel.channel_id).await;
    }
    notify::group_deleted(&state, req.community_id, group.group_id).await;
    if !moved.is_empty() {
        notify::groups_reordered(&state, req.community_id, remaining).await;
    }
    Ok(Empty {})
}
