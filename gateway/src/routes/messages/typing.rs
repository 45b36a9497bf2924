//! Typing indicators.

use super::ApiResult;
use crate::{
    extract::{ApiPath, Authenticated},
    state::AppState,
};
use axum::{extract::State, http::StatusCode};
use chatalot_shared::{contracts::messages::*, error::ApiError};
use uuid::Uuid;

/// Tells the channel the caller is typing (`send_messages`); at most one event per 5 seconds
/// goes out, further calls in that time answer the same and do nothing.
#[utoipa::path(post, path = "/channels/{channel_id}/typing", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    responses((status = 204, description = "Typing announced (or throttled)"),
        (status = "4XX", description = "Not allowed or no such channel", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn start_channel_typing(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.rpc
        .call(&ctx, &StartTypingRequest { channel_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
