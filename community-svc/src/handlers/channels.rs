//! Channels (`manage_channels`).

use super::{
    changes,
    standing::{Access, Actor},
};
use crate::{
    domain::{ChannelName, ChannelPosition, SlowMode, Topic, VoiceCap, order},
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        channels::{self, NewChannel},
        groups,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            Channel, CommunityAuditAction, CreateChannelRequest, DeleteChannelRequest,
            UpdateChannelRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

async fn find_channel(
    conn: &mut PgConnection,
    community_id: Uuid,
    channel_id: Uuid,
) -> Result<Channel, ApiError> {
    channels::find(conn, community_id, channel_id)
        .await?
        .ok_or_else(|| ApiError::not_found("channel"))
}

/// Checks the group is in the community.
async fn check_group(
    conn: &mut PgConnection,
    community_id: Uuid,
    group_id: Uuid,
) -> Result<(), ApiError> {
    match groups::find(conn, community_id, group_id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found("group")),
    }
}

/// The ids of a group's channels in order.
async fn order_of(conn: &mut PgConnection, group_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    Ok(channels::list_in_group(conn, group_id)
        .await?
        .iter()
        .map(|c| c.channel_id)
        .collect())
}

/// Adds a channel at the end of a group of the same community.
pub async fn create_channel(
    state: AppState,
    ctx: CallerContext,
    req: CreateChannelRequest,
) -> Result<Channel, ApiError> {
    let caller = ctx.require_caller()?;
    let name = ChannelName::parse(&req.name)?;
    let topic = req.topic.as_deref().map(Topic::parse).transpose()?;
    let slow_mode = req
        .slow_mode_secs
        .map(SlowMode::parse)
        .transpose()?
        .unwrap_or(SlowMode::OFF);
    let voice_cap = VoiceCap::for_kind(req.kind, req.voice_cap)?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageChannels)?;
    check_group(&mut tx, req.community_id, req.group_id).await?;
    let channel = channels::insert(
        &mut tx,
        NewChannel {
            community_id: req.community_id,
            group_id: req.group_id,
            name: &name,
            kind: req.kind,
            topic: topic.as_ref(),
            read_only: req.read_only.unwrap_or(false),
            slow_mode,
            voice_cap,
        },
    )
    .await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::ChannelCreated,
        actor.user_id(),
    )
    .target(channel.channel_id)
    .details(json!({ "name": channel.name, "kind": channel.kind, "group_id": channel.group_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a new channel")?;
    notify::channels_changed(&state, std::slice::from_ref(&channel)).await;
    Ok(channel)
}

/// Changes the settings present, and moves the channel (to another position, or to another
/// group of the community: at `position`, or last). Siblings are renumbered so positions stay
/// 0, 1, 2, ...; each channel that moved is announced.
pub async fn update_channel(
    state: AppState,
    ctx: CallerContext,
    req: UpdateChannelRequest,
) -> Result<Channel, ApiError> {
    let caller = ctx.require_caller()?;
    let mut settings = channels::Changes {
        name: req.name.as_deref().map(ChannelName::parse).transpose()?,
        topic: req.topic.as_deref().map(Topic::parse).transpose()?,
        read_only: req.read_only,
        archived: req.archived,
        slow_mode: req.slow_mode_secs.map(SlowMode::parse).transpose()?,
        voice_cap: None,
    };
    let position = req.position.map(ChannelPosition::parse).transpose()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageChannels)?;
    let before = find_channel(&mut tx, req.community_id, req.channel_id).await?;
    if req.voice_cap.is_some() {
        settings.voice_cap = VoiceCap::for_kind(before.kind, req.voice_cap)?;
    }
    channels::update(&mut tx, before.channel_id, &settings).await?;

    let mut moved = Vec::new();
    let target_group = req.group_id.unwrap_or(before.group_id);
    if target_group != before.group_id || position.is_some() {
        if target_group != before.group_id {
            check_group(&mut tx, req.community_id, target_group).await?;
            channels::move_to_group(&mut tx, before.channel_id, target_group).await?;
            let left_behind = order_of(&mut tx, before.group_id).await?;
            moved.extend(channels::renumber(&mut tx, before.group_id, &left_behind).await?);
        }
        let index = position.map_or(usize::MAX, ChannelPosition::index);
        let new_order = order::move_to(
            &order_of(&mut tx, target_group).await?,
            before.channel_id,
            index,
        );
        moved.extend(channels::renumber(&mut tx, target_group, &new_order).await?);
    }
    let after = find_channel(&mut tx, req.community_id, before.channel_id).await?;
    let details = changes::diff(&before, &after);
    if details.is_empty() {
        return Ok(after);
    }
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::ChannelUpdated,
        actor.user_id(),
    )
    .target(after.channel_id)
    .details(Value::Object(details));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a channel update")?;
    moved.retain(|c| c.channel_id != after.channel_id);
    moved.insert(0, after.clone());
    notify::channels_changed(&state, &moved).await;
    Ok(after)
}

/// Deletes a channel; the channels after it move up.
pub async fn delete_channel(
    state: AppState,
    ctx: CallerContext,
    req: DeleteChannelRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageChannels)?;
    let channel = find_channel(&mut tx, req.community_id, req.channel_id).await?;
    channels::delete(&mut tx, channel.channel_id).await?;
    let remaining = order_of(&mut tx, channel.group_id).await?;
    let moved = channels::renumber(&mut tx, channel.group_id, &remaining).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::ChannelDeleted,
        actor.user_id(),
    )
    .target(channel.channel_id)
    .details(json!({ "name": channel.name, "kind": channel.kind, "group_id": channel.group_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a channel deletion")?;
    notify::channel_deleted(&state, req.community_id, channel.channel_id).await;
    notify::channels_changed(&state, &moved).await;
    Ok(Empty {})
}
