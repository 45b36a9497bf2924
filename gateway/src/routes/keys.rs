//! The device and key API for end-to-end encryption: registering devices, their signed and
//! one-time prekeys, device lists and prekey bundles. Every handler forwards to keys-svc, which
//! decides what the caller may do; ids in the path win over ids in a body.

use crate::{
    error::HttpError,
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{
    contracts::{Empty, keys::*},
    error::ApiError,
};
use uuid::Uuid;

type ApiResult<T> = Result<T, HttpError>;

/// Registers a device for the caller. The caller's session owns it: only that session may
/// change its keys later. The signed prekey's signature is checked against the identity key.
/// The caller's other connections receive `devices_changed`.
#[utoipa::path(post, path = "/devices", tag = "devices", security(("bearer" = [])),
    request_body = RegisterDeviceRequest,
    responses((status = 201, description = "The new device", body = Device),
        (status = 422, description = "The signed prekey's signature does not verify (`invalid_signature`)", body = ApiError),
        (status = "4XX", description = "Invalid keys or name, over 100 one-time prekeys, 10 devices already, or this session already has a device", body = ApiError),
        (status = 503, description = "The keys service is unavailable", body = ApiError)))]
pub async fn register_device(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<RegisterDeviceRequest>,
) -> ApiResult<(StatusCode, Json<Device>)> {
    let device = app.rpc.call(&ctx, &body).await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// Removes a device and all its keys. Any session of the owner may (not only the device's
/// own), so a lost device can be removed from another one.
#[utoipa::path(delete, path = "/devices/{device_id}", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path, description = "The device")),
    responses((status = 204, description = "The device is gone"),
        (status = "4XX", description = "Not authenticated, or not one of the caller's devices", body = ApiError),
        (status = 503, description = "The keys service is unavailable", body = ApiError)))]
pub async fn delete_device(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(device_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let _: Empty = app
        .rpc
        .call(&ctx, &DeleteDeviceRequest { device_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the device's signed prekey (its own session only). The previous one stays valid
/// for 30 days for sessions already started with it.
#[utoipa::path(put, path = "/devices/{device_id}/signed-prekey", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path, description = "The device")),
    request_body = RotateSignedPreKeyRequest,
    responses((status = 204, description = "The new signed prekey is current"),
        (status = 422, description = "The signature does not verify (`invalid_signature`)", body = ApiError),
        (status = "4XX", description = "Invalid key, a key id in use, another session of the owner (`forbidden`), or not the caller's device", body = ApiError),
        (status = 503, description = "The keys service is unavailable", body = ApiError)))]
pub async fn rotate_signed_prekey(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(device_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<RotateSignedPreKeyRequest>,
) -> ApiResult<StatusCode> {
    body.device_id = device_id;
    let _: Empty = app.rpc.call(&ctx, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds 1 to 100 one-time prekeys (the device's own session only); returns the new stock.
#[utoipa::path(post, path = "/devices/{device_id}/one-time-prekeys", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path, description = "The device")),
    request_body = UploadOneTimePreKeysRequest,
    responses((status = 200, description = "The stock after the upload", body = OneTimePreKeyCount),
        (status = "4XX", description = "Invalid keys, over 100, a key id already stored, another session of the owner (`forbidden`), or not the caller's device", body = ApiError),
        (status = 503, description = "The keys service is unavailable", body = ApiError)))]
pub async fn upload_one_time_prekeys(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(device_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<UploadOneTimePreKeysRequest>,
) -> ApiResult<Json<OneTimePreKeyCount>> {
    body.device_id = device_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// How many one-time prekeys the device has left (any session of the owner).
#[utoipa::path(get, path = "/devices/{device_id}/one-time-prekeys/count", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path, description = "The device")),
    responses((status = 200, description = "The stock", body = OneTimePreKeyCount),
        (status = "4XX", description = "Not authenticated, or not the caller's device", body = ApiError),
        (status = 503, description = "The keys service is unavailable", body = ApiError)))]
pub async fn count_one_time_prekeys(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(device_id): ApiPath<Uuid>,
) -> ApiResult<Json<OneTimePreKeyCount>> {
    let request = CountOneTimePreKeysRequest { device_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// A device's prekey bundle, with one one-time prekey claimed for the caller (none when they
/// have run out). Visible to the owner and to those sharing a community or conversation with
/// them. At most 10 fetches per minute per (caller, device); the owner gets `keys_low` when
/// fewer than 20 one-time prekeys remain.
#[utoipa::path(get, path = "/devices/{device_id}/bundle", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path, description = "The device")),
    responses((status = 200, description = "The bundle", body = PreKeyBundle),
        (status = 429, description = "Too many fetches of this device's bundle (`Retry-After` says when to retry)", body = ApiError),
        (status = "4XX", description = "Not authenticated, or no such device visible to the caller", body = ApiError),
        (status = 503, description = "The keys, community or message service is unavailable", body = ApiError)))]
pub async fn get_prekey_bundle(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(device_id): ApiPath<Uuid>,
) -> ApiResult<Json<PreKeyBundle>> {
    let request = GetPreKeyBundleRequest { device_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// A user's devices, oldest first: for the user and those sharing a community or conversation
/// with them (`not_found` for anyone else).
#[utoipa::path(get, path = "/users/{user_id}/devices", tag = "devices", security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "The user's devices", body = DeviceList),
        (status = "4XX", description = "Not authenticated, or no such user visible to the caller", body = ApiError),
        (status = 503, description = "The keys, community or message service is unavailable", body = ApiError)))]
pub async fn list_user_devices(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(user_id): ApiPath<Uuid>,
) -> ApiResult<Json<DeviceList>> {
    let request = ListUserDevicesRequest { user_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}
