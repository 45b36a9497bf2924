//! Groups: the sections of a community that hold channels (`manage_groups`).

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// Adds a group at the end of the community's groups.
#[utoipa::path(post, path = "/communities/{community_id}/groups", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = CreateGroupRequest,
    responses((status = 201, description = "The new group", body = Group),
        (status = "4XX", description = "Invalid input, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn create_group(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<CreateGroupRequest>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    body.community_id = community_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Renames a group or changes its visibility.
#[utoipa::path(patch, path = "/communities/{community_id}/groups/{group_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("group_id" = Uuid, Path, description = "The group")),
    request_body = UpdateGroupRequest,
    responses((status = 200, description = "The updated group", body = Group),
        (status = "4XX", description = "Invalid input, not allowed or no such group", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn update_group(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, group_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<UpdateGroupRequest>,
) -> ApiResult<Json<Group>> {
    body.community_id = community_id;
    body.group_id = group_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Deletes a group and every channel in it.
#[utoipa::path(delete, path = "/communities/{community_id}/groups/{group_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("group_id" = Uuid, Path, description = "The group")),
    responses((status = 204, description = "Group and its channels deleted"),
        (status = "4XX", description = "Not authenticated, not allowed or no such group", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn delete_group(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, group_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = DeleteGroupRequest {
        community_id,
        group_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts the community's groups in the given order (every group id exactly once).
#[utoipa::path(put, path = "/communities/{community_id}/groups/order", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = ReorderGroupsRequest,
    responses((status = 200, description = "The groups in their new order", body = GroupList),
        (status = "4XX", description = "Not every group exactly once, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn reorder_groups(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<ReorderGroupsRequest>,
) -> ApiResult<Json<GroupList>> {
    body.community_id = community_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}
