//! Channels: text and voice channels inside a group (`manage_channels`).

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// Adds a channel at the end of a group.
#[utoipa::path(post, path = "/communities/{community_id}/channels", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = CreateChannelRequest,
    responses((status = 201, description = "The new channel", body = Channel),
        (status = "4XX", description = "Invalid input, not allowed or no such community or group", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn create_channel(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<CreateChannelRequest>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    body.community_id = community_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Changes a channel's settings, moves it within or between groups, or archives it.
#[utoipa::path(patch, path = "/communities/{community_id}/channels/{channel_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("channel_id" = Uuid, Path, description = "The channel")),
    request_body = UpdateChannelRequest,
    responses((status = 200, description = "The updated channel", body = Channel),
        (status = "4XX", description = "Invalid input, not allowed or no such channel", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn update_channel(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, channel_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<UpdateChannelRequest>,
) -> ApiResult<Json<Channel>> {
    body.community_id = community_id;
    body.channel_id = channel_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Deletes a channel.
#[utoipa::path(delete, path = "/communities/{community_id}/channels/{channel_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("channel_id" = Uuid, Path, description = "The channel")),
    responses((status = 204, description = "Channel deleted"),
        (status = "4XX", description = "Not authenticated, not allowed or no such channel", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn delete_channel(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, channel_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = DeleteChannelRequest {
        community_id,
        channel_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}
