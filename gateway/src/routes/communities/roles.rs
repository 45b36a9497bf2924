//! Roles: named permission sets ranked by position (`manage_roles`, always below the caller's
//! highest role unless the caller owns the community).

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// Every role of the community, `@everyone` included.
#[utoipa::path(get, path = "/communities/{community_id}/roles", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The community's roles", body = RoleList),
        (status = "4XX", description = "Not authenticated, not a member or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_roles(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<RoleList>> {
    let request = ListRolesRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Creates a role.
#[utoipa::path(post, path = "/communities/{community_id}/roles", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = CreateRoleRequest,
    responses((status = 201, description = "The new role", body = Role),
        (status = "4XX", description = "Invalid input, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn create_role(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<CreateRoleRequest>,
) -> ApiResult<(StatusCode, Json<Role>)> {
    body.community_id = community_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Changes a role's name, color, permissions or position.
#[utoipa::path(patch, path = "/communities/{community_id}/roles/{role_id}", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("role_id" = Uuid, Path, description = "The role (the community id for `@everyone`)")),
    request_body = UpdateRoleRequest,
    responses((status = 200, description = "The updated role", body = Role),
        (status = "4XX", description = "Invalid input, not allowed or no such role", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn update_role(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, role_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<UpdateRoleRequest>,
) -> ApiResult<Json<Role>> {
    body.community_id = community_id;
    body.role_id = role_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Deletes a role (not `@everyone`); its members lose it.
#[utoipa::path(delete, path = "/communities/{community_id}/roles/{role_id}", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("role_id" = Uuid, Path, description = "The role")),
    responses((status = 204, description = "Role deleted"),
        (status = "4XX", description = "Not authenticated, not allowed or no such role", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn delete_role(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, role_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = DeleteRoleRequest {
        community_id,
        role_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}
