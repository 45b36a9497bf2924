//! Membership: joining and leaving, the member list, nicknames and role assignment.

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// Joins a public community directly (private ones need an invite).
#[utoipa::path(post, path = "/communities/{community_id}/join", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The caller's view of the community", body = CommunityView),
        (status = "4XX", description = "Not authenticated, banned, private or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn join_community(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<CommunityView>> {
    let request = JoinCommunityRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Leaves a community (the owner must transfer it first).
#[utoipa::path(post, path = "/communities/{community_id}/leave", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 204, description = "Left the community"),
        (status = "4XX", description = "Not authenticated, the owner, not a member or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn leave_community(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.rpc
        .call(&ctx, &LeaveCommunityRequest { community_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists members by user id, a page at a time, optionally matching a name.
#[utoipa::path(get, path = "/communities/{community_id}/members", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"), ListMembersRequest),
    responses((status = 200, description = "A page of members", body = MemberPage),
        (status = "4XX", description = "Invalid query, not a member or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_members(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiQuery(mut query): ApiQuery<ListMembersRequest>,
) -> ApiResult<Json<MemberPage>> {
    query.community_id = community_id;
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}

/// One member.
#[utoipa::path(get, path = "/communities/{community_id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member")),
    responses((status = 200, description = "The member", body = Member),
        (status = "4XX", description = "Not authenticated, not a member or no such member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn get_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<Member>> {
    let request = GetMemberRequest {
        community_id,
        user_id,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Sets a member's nickname: the caller's own, or anyone's below them with `manage_roles`.
#[utoipa::path(patch, path = "/communities/{community_id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member")),
    request_body = UpdateMemberRequest,
    responses((status = 200, description = "The updated member", body = Member),
        (status = "4XX", description = "Invalid input, not allowed or no such member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn update_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<UpdateMemberRequest>,
) -> ApiResult<Json<Member>> {
    body.community_id = community_id;
    body.user_id = user_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Gives a member a role ranked below the caller's highest (`manage_roles`).
#[utoipa::path(put, path = "/communities/{community_id}/members/{user_id}/roles/{role_id}", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member"),
        ("role_id" = Uuid, Path, description = "The role")),
    responses((status = 200, description = "The member with the role", body = Member),
        (status = "4XX", description = "Not authenticated, not allowed or no such member or role", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn assign_role(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id, role_id)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> ApiResult<Json<Member>> {
    let request = AssignRoleRequest {
        community_id,
        user_id,
        role_id,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Takes a role ranked below the caller's highest from a member (`manage_roles`).
#[utoipa::path(delete, path = "/communities/{community_id}/members/{user_id}/roles/{role_id}", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member"),
        ("role_id" = Uuid, Path, description = "The role")),
    responses((status = 200, description = "The member without the role", body = Member),
        (status = "4XX", description = "Not authenticated, not allowed or no such member or role", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn remove_role(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id, role_id)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> ApiResult<Json<Member>> {
    let request = RemoveRoleRequest {
        community_id,
        user_id,
        role_id,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}
