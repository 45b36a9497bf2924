//! Pins: at most 50 per channel (`manage_messages` to change).

use super::ApiResult;
use crate::{
    extract::{ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::messages::*, error::ApiError};
use uuid::Uuid;

/// Pins a message (`manage_messages`); the 51st pin is refused.
#[utoipa::path(put, path = "/channels/{channel_id}/pins/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message")),
    responses((status = 204, description = "Message pinned"),
        (status = "4XX", description = "Too many pins, not allowed or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn pin_channel_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = PinMessageRequest {
        channel_id,
        message_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unpins a message (`manage_messages`).
#[utoipa::path(delete, path = "/channels/{channel_id}/pins/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message")),
    responses((status = 204, description = "Message unpinned (or was not pinned)"),
        (status = "4XX", description = "Not allowed or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn unpin_channel_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = UnpinMessageRequest {
        channel_id,
        message_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The channel's pinned messages, most recently pinned first.
#[utoipa::path(get, path = "/channels/{channel_id}/pins", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    responses((status = 200, description = "Pinned messages, most recently pinned first", body = MessageList),
        (status = "4XX", description = "No such channel", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_channel_pins(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
) -> ApiResult<Json<MessageList>> {
    let request = ListPinsRequest { channel_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}
