//! Communities themselves: create, read, update, delete, transfer ownership, discover public
//! ones, and the caller's views (what a member sees of a community).

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// Creates a community owned by the caller (with its `@everyone` role).
#[utoipa::path(post, path = "/communities", tag = "communities", security(("bearer" = [])),
    request_body = CreateCommunityRequest,
    responses((status = 201, description = "The new community", body = Community),
        (status = "4XX", description = "Invalid input or not authenticated", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn create_community(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<CreateCommunityRequest>,
) -> ApiResult<(StatusCode, Json<Community>)> {
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Lists public communities by name, a page at a time.
#[utoipa::path(get, path = "/communities/discover", tag = "communities", security(("bearer" = [])),
    params(DiscoverCommunitiesRequest),
    responses((status = 200, description = "A page of public communities", body = CommunityPage),
        (status = "4XX", description = "Invalid query or not authenticated", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn discover_communities(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiQuery(query): ApiQuery<DiscoverCommunitiesRequest>,
) -> ApiResult<Json<CommunityPage>> {
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}

/// The caller's view of every community they belong to.
#[utoipa::path(get, path = "/users/@me/communities", tag = "communities", security(("bearer" = [])),
    responses((status = 200, description = "One view per community the caller belongs to", body = CommunityViewList),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_my_communities(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<CommunityViewList>> {
    Ok(Json(
        app.rpc.call(&ctx, &ListMyCommunitiesRequest {}).await?,
    ))
}

/// A community's public facts.
#[utoipa::path(get, path = "/communities/{community_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The community", body = Community),
        (status = "4XX", description = "Not authenticated, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn get_community(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<Community>> {
    let request = GetCommunityRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Changes a community's name, description, icon, welcome message or visibility
/// (`manage_community`).
#[utoipa::path(patch, path = "/communities/{community_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = UpdateCommunityRequest,
    responses((status = 200, description = "The updated community", body = Community),
        (status = "4XX", description = "Invalid input, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn update_community(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<UpdateCommunityRequest>,
) -> ApiResult<Json<Community>> {
    body.community_id = community_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Deletes a community with everything in it (owner only).
#[utoipa::path(delete, path = "/communities/{community_id}", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 204, description = "Community deleted"),
        (status = "4XX", description = "Not authenticated, not the owner or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn delete_community(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.rpc
        .call(&ctx, &DeleteCommunityRequest { community_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hands the community to another member (owner only).
#[utoipa::path(post, path = "/communities/{community_id}/transfer", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = TransferOwnershipRequest,
    responses((status = 200, description = "The community with its new owner", body = Community),
        (status = "4XX", description = "Invalid input, not the owner, or the new owner is not a member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn transfer_ownership(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<TransferOwnershipRequest>,
) -> ApiResult<Json<Community>> {
    body.community_id = community_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// What the caller sees of a community: visible groups and channels with their permissions.
#[utoipa::path(get, path = "/communities/{community_id}/view", tag = "communities", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The caller's view", body = CommunityView),
        (status = "4XX", description = "Not authenticated, not a member or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn get_community_view(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<CommunityView>> {
    let request = GetCommunityViewRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}
