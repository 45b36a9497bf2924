//! Instance settings and registration invites.

use crate::{
    error::HttpError,
    extract::{Anonymous, ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::auth::*, error::ApiError};

type ApiResult<T> = Result<T, HttpError>;

/// Instance settings anyone may read (the registration mode, so clients know what to show).
#[utoipa::path(get, path = "/instance", tag = "instance",
    responses((status = 200, description = "The instance settings", body = InstanceSettings),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn get_instance(
    State(app): State<AppState>,
    Anonymous(ctx): Anonymous,
) -> ApiResult<Json<InstanceSettings>> {
    Ok(Json(app.rpc.call(&ctx, &GetInstanceRequest {}).await?))
}

/// Changes the instance settings (owner and admins).
#[utoipa::path(patch, path = "/instance", tag = "instance", security(("bearer" = [])),
    request_body = UpdateInstanceRequest,
    responses((status = 200, description = "The new settings", body = InstanceSettings),
        (status = "4XX", description = "Invalid input, not authenticated or not an admin", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn update_instance(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<UpdateInstanceRequest>,
) -> ApiResult<Json<InstanceSettings>> {
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Creates a registration invite code (owner and admins).
#[utoipa::path(post, path = "/instance/invites", tag = "instance", security(("bearer" = [])),
    request_body = CreateRegistrationInviteRequest,
    responses((status = 201, description = "The new invite", body = RegistrationInvite),
        (status = "4XX", description = "Invalid input, not authenticated or not an admin", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn create_invite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<CreateRegistrationInviteRequest>,
) -> ApiResult<(StatusCode, Json<RegistrationInvite>)> {
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Lists the registration invites that are not revoked (owner and admins).
#[utoipa::path(get, path = "/instance/invites", tag = "instance", security(("bearer" = [])),
    responses((status = 200, description = "The invites", body = RegistrationInviteList),
        (status = "4XX", description = "Not authenticated or not an admin", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn list_invites(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<RegistrationInviteList>> {
    Ok(Json(
        app.rpc
            .call(&ctx, &ListRegistrationInvitesRequest {})
            .await?,
    ))
}

/// Revokes a registration invite (owner and admins).
#[utoipa::path(delete, path = "/instance/invites/{code}", tag = "instance", security(("bearer" = [])),
    params(("code" = String, Path, pattern = r"^[A-Za-z0-9_-]{1,64}$", description = "The invite code")),
    responses((status = 204, description = "Invite revoked"),
        (status = "4XX", description = "Not authenticated, not an admin or no such invite", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn revoke_invite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<StatusCode> {
    app.rpc
        .call(&ctx, &RevokeRegistrationInviteRequest { code })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
