//! Pins (`manage_messages` to change; anyone who sees the channel reads them).

use super::{access, assemble::assemble};
use crate::{
    notify,
    repository::{messages, pins},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        messages::{ListPinsRequest, MessageList, PinMessageRequest, UnpinMessageRequest},
        permissions::Permission,
    },
    db::OrInternal,
    rpc::CallerContext,
};

/// Pins a message; pinning a pinned one changes nothing. The 51st pin is refused.
pub async fn pin_message(
    state: AppState,
    ctx: CallerContext,
    req: PinMessageRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    grant.require(Permission::ManageMessages)?;
    let mut tx = state.begin().await?;
    pins::lock_channel(&mut tx, grant.channel_id).await?;
    let message = messages::find(&mut tx, grant.channel_id, req.message_id)
        .await?
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiError::not_found("message"))?;
    if pins::is_pinned(&mut tx, message.message_id).await? {
        return Ok(Empty {});
    }
    if pins::count(&mut tx, grant.channel_id).await? >= pins::MAX_PINS {
        return Err(ApiError::invalid_request(format!(
            "a channel holds at most {} pins; unpin one first",
            pins::MAX_PINS
        )));
    }
    pins::pin(
        &mut tx,
        grant.channel_id,
        message.message_id,
        caller.user_id,
    )
    .await?;
    tx.commit().await.or_internal("committing a pin")?;
    notify::message_pinned(
        &state,
        grant.community_id,
        grant.channel_id,
        message.message_id,
    )
    .await;
    Ok(Empty {})
}

/// Unpins a message; unpinning one that is not pinned changes nothing.
pub async fn unpin_message(
    state: AppState,
    ctx: CallerContext,
    req: UnpinMessageRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    grant.require(Permission::ManageMessages)?;
    let mut conn = state.connection().await?;
    let message = messages::find(&mut conn, grant.channel_id, req.message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    if pins::unpin(&mut conn, message.message_id).await? {
        notify::message_unpinned(
            &state,
            grant.community_id,
            grant.channel_id,
            message.message_id,
        )
        .await;
    }
    Ok(Empty {})
}

/// The channel's pinned messages, most recently pinned first.
pub async fn list_pins(
    state: AppState,
    ctx: CallerContext,
    req: ListPinsRequest,
) -> Result<MessageList, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut conn = state.connection().await?;
    let order = pins::list(&mut conn, grant.channel_id).await?;
    let mut rows = messages::by_ids(&mut conn, &order).await?;
    rows.sort_by_key(|m| order.iter().position(|id| *id == m.message_id));
    Ok(MessageList {
        messages: assemble(&mut conn, rows, Some(caller.user_id)).await?,
    })
}
