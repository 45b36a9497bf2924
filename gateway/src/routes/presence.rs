//! The caller's chosen presence: online, idle, do not disturb or invisible, and a custom status.
//! auth-svc stores it; this gateway then updates the cache in Redis and tells those who share a
//! community or conversation with the caller (and the caller's own connections).

use crate::{
    error::HttpError,
    extract::{ApiJson, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State};
use chatalot_shared::{
    contracts::presence::{
        GetPresenceSettingsRequest, PresenceSettings, SetPresenceSettingsRequest,
    },
    error::ApiError,
};

type ApiResult<T> = Result<T, HttpError>;

/// The caller's chosen status and custom status (an expired custom status reads as none).
#[utoipa::path(get, path = "/users/@me/presence", tag = "presence", security(("bearer" = [])),
    responses((status = 200, description = "What the caller chose", body = PresenceSettings),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn get_presence(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<PresenceSettings>> {
    let stored = app.rpc.call(&ctx, &GetPresenceSettingsRequest {}).await?;
    Ok(Json(stored.settings))
}

/// Replaces the caller's chosen status and custom status. Those who share a community or a
/// conversation with the caller receive `presence_updated` (an invisible user shows as offline),
/// and so do the caller's own connections, with `settings`.
#[utoipa::path(put, path = "/users/@me/presence", tag = "presence", security(("bearer" = [])),
    request_body = PresenceSettings,
    responses((status = 200, description = "What the caller chose, as stored", body = PresenceSettings),
        (status = "4XX", description = "An unknown status, a custom status text that is empty, longer than 128 characters or holds control characters, an expiry not in the coming year, or not authenticated", body = ApiError),
        (status = 503, description = "The auth service is unavailable", body = ApiError)))]
pub async fn set_presence(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(settings): ApiJson<PresenceSettings>,
) -> ApiResult<Json<PresenceSettings>> {
    let stored = app
        .rpc
        .call(&ctx, &SetPresenceSettingsRequest { settings })
        .await?;
    app.presence.settings_changed(&stored).await;
    Ok(Json(stored.settings))
}
