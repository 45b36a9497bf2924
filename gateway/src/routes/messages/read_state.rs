//! Read markers, unread and mention counts.

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State};
use chatalot_shared::{contracts::messages::*, error::ApiError};
use uuid::Uuid;

/// Moves the caller's read marker forward to a message of the channel (never back).
#[utoipa::path(put, path = "/channels/{channel_id}/read", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    request_body = MarkChannelReadRequest,
    responses((status = 200, description = "The caller's read state in the channel", body = ChannelReadState),
        (status = "4XX", description = "Invalid input or no such channel or message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn mark_channel_read(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<MarkChannelReadRequest>,
) -> ApiResult<Json<ChannelReadState>> {
    body.channel_id = channel_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// The caller's read state in a channel: marker, unread count and mention count (both counted up
/// to 1000).
#[utoipa::path(get, path = "/channels/{channel_id}/read", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    responses((status = 200, description = "The caller's read state in the channel", body = ChannelReadState),
        (status = "4XX", description = "No such channel", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn get_channel_read_state(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
) -> ApiResult<Json<ChannelReadState>> {
    let request = GetReadStateRequest { channel_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Marks every text channel of a community the caller can see read up to its newest message.
#[utoipa::path(post, path = "/communities/{community_id}/read", tag = "messages", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The caller's read states in the community's channels", body = ReadStates),
        (status = "4XX", description = "Not a member or no such community", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn mark_community_read(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<ReadStates>> {
    let request = MarkCommunityReadRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}
