//! Reactions: one emoji (percent-encoded in the path) per reaction.

use super::ApiResult;
use crate::{
    extract::{ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::messages::*, error::ApiError};
use uuid::Uuid;

/// Reacts with an emoji (`add_reactions`); reacting twice changes nothing.
#[utoipa::path(put, path = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded")),
    responses((status = 204, description = "Reaction added"),
        (status = "4XX", description = "Not an emoji, not allowed or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn add_channel_reaction(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id, emoji)): ApiPath<(Uuid, Uuid, String)>,
) -> ApiResult<StatusCode> {
    let request = AddReactionRequest {
        channel_id,
        message_id,
        emoji,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes back the caller's own reaction.
#[utoipa::path(delete, path = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded")),
    responses((status = 204, description = "Reaction removed (or there was none)"),
        (status = "4XX", description = "Not an emoji or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn remove_channel_reaction(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id, emoji)): ApiPath<(Uuid, Uuid, String)>,
) -> ApiResult<StatusCode> {
    let request = RemoveReactionRequest {
        channel_id,
        message_id,
        emoji,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who reacted with an emoji, by user id, a page at a time.
#[utoipa::path(get, path = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded"), ListReactionUsersRequest),
    responses((status = 200, description = "A page of user ids", body = ReactionUserPage),
        (status = "4XX", description = "Invalid query, not an emoji or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_channel_reaction_users(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id, emoji)): ApiPath<(Uuid, Uuid, String)>,
    ApiQuery(mut query): ApiQuery<ListReactionUsersRequest>,
) -> ApiResult<Json<ReactionUserPage>> {
    query.channel_id = channel_id;
    query.message_id = message_id;
    query.emoji = emoji;
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}
