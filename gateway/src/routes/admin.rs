//! Instance administration: accounts and the audit log (owner and admins).

use crate::{
    error::HttpError,
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State};
use chatalot_shared::{contracts::auth::*, error::ApiError};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

type ApiResult<T> = Result<T, HttpError>;

/// Lists accounts, oldest first, a page at a time.
#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    params(ListUsersRequest),
    responses((status = 200, description = "A page of accounts", body = UserList),
        (status = "4XX", description = "Not authenticated or not an admin", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn list_users(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiQuery(query): ApiQuery<ListUsersRequest>,
) -> ApiResult<Json<UserList>> {
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}

/// Body of the disable/enable call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDisabledBody {
    pub disabled: bool,
}

/// Disables an account (ending all its sessions at once) or enables it again.
#[utoipa::path(put, path = "/admin/users/{user_id}/disabled", tag = "admin", security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The account")), request_body = SetDisabledBody,
    responses((status = 200, description = "The account", body = AdminUserView),
        (status = "4XX", description = "Not authenticated, not allowed or no such account", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn set_disabled(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SetDisabledBody>,
) -> ApiResult<Json<AdminUserView>> {
    let request = SetUserDisabledRequest {
        user_id,
        disabled: body.disabled,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Body of the role change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRoleBody {
    pub role: InstanceRole,
}

/// Makes an account admin or member (owner only).
#[utoipa::path(put, path = "/admin/users/{user_id}/role", tag = "admin", security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The account")), request_body = SetRoleBody,
    responses((status = 200, description = "The account", body = AdminUserView),
        (status = "4XX", description = "Not authenticated, not the owner or no such account", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn set_role(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SetRoleBody>,
) -> ApiResult<Json<AdminUserView>> {
    let request = SetUserRoleRequest {
        user_id,
        role: body.role,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Security events, newest first, with filters.
#[utoipa::path(get, path = "/admin/audit-log", tag = "admin", security(("bearer" = [])),
    params(QueryAuditLogRequest),
    responses((status = 200, description = "A page of audit entries", body = AuditLogPage),
        (status = "4XX", description = "Not authenticated or not an admin", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn audit_log(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiQuery(query): ApiQuery<QueryAuditLogRequest>,
) -> ApiResult<Json<AuditLogPage>> {
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}
