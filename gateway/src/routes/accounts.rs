//! Accounts and sessions: register, log in, refresh, log out, sessions, own profile.

use crate::{
    error::HttpError,
    extract::{Anonymous, ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::auth::*, error::ApiError};
use uuid::Uuid;

type ApiResult<T> = Result<T, HttpError>;

/// Creates an account and logs it in. The first account becomes the instance owner.
#[utoipa::path(post, path = "/auth/register", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, description = "Account created; its first session", body = SessionTokens),
        (status = "4XX", description = "Invalid input, registration closed, bad invite or rate limited", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn register(
    State(app): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<SessionTokens>)> {
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Logs in with username and password, creating a session.
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, description = "A new session", body = SessionTokens),
        (status = "4XX", description = "Wrong credentials, disabled account or rate limited", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn login(
    State(app): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<SessionTokens>> {
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Exchanges a refresh token for a new token pair; the old refresh token stops working.
#[utoipa::path(post, path = "/auth/refresh", tag = "accounts", request_body = RefreshRequest,
    responses((status = 200, description = "The session's new tokens", body = SessionTokens),
        (status = "4XX", description = "Unknown, expired or reused refresh token", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn refresh(
    State(app): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Json<SessionTokens>> {
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Ends the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204, description = "Logged out"),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn logout(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<StatusCode> {
    app.rpc.call(&ctx, &LogoutRequest {}).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller, this one included.
#[utoipa::path(post, path = "/auth/logout-all", tag = "accounts", security(("bearer" = [])),
    responses((status = 204, description = "Every session ended"),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn logout_all(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<StatusCode> {
    app.rpc.call(&ctx, &LogoutAllRequest {}).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the caller's sessions (logged-in devices).
#[utoipa::path(get, path = "/sessions", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "The caller's sessions", body = SessionList),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn list_sessions(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<SessionList>> {
    Ok(Json(app.rpc.call(&ctx, &ListSessionsRequest {}).await?))
}

/// Ends one of the caller's sessions; its WebSockets close within a second.
#[utoipa::path(delete, path = "/sessions/{session_id}", tag = "accounts", security(("bearer" = [])),
    params(("session_id" = Uuid, Path, description = "The session to end")),
    responses((status = 204, description = "Session ended"),
        (status = "4XX", description = "Not authenticated or no such session", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn revoke_session(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(session_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app.rpc
        .call(&ctx, &RevokeSessionRequest { session_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own profile.
#[utoipa::path(get, path = "/users/@me", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "The caller's profile", body = UserProfile),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn get_me(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<UserProfile>> {
    Ok(Json(app.rpc.call(&ctx, &GetMeRequest {}).await?))
}

/// Updates the caller's profile; their other connections receive `user_updated`.
#[utoipa::path(patch, path = "/users/@me", tag = "users", security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses((status = 200, description = "The updated profile", body = UserProfile),
        (status = "4XX", description = "Invalid input or not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn update_me(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> ApiResult<Json<UserProfile>> {
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Changes the caller's password and ends their other sessions.
#[utoipa::path(put, path = "/users/@me/password", tag = "users", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Password changed"),
        (status = "4XX", description = "Wrong current password, weak new one or not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn change_password(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    app.rpc.call(&ctx, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
