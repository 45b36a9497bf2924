//! Registering, listing and removing devices.

use super::{Owner, owned_device, verify_signed_prekey, visibility};
use crate::{
    domain::{ParsedSignedPreKey, PublicKey, parse_device_name, parse_one_time_prekeys},
    notify,
    repository::{devices, prekeys},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        keys::{
            DeleteDeviceRequest, Device, DeviceList, ListUserDevicesRequest, MAX_DEVICES_PER_USER,
            RegisterDeviceRequest,
        },
    },
    db::OrInternal,
    rpc::CallerContext,
};

/// Registers a device owned by the caller's session, with its first signed prekey (verified)
/// and one-time prekeys, all in one transaction.
pub async fn register_device(
    state: AppState,
    ctx: CallerContext,
    req: RegisterDeviceRequest,
) -> Result<Device, ApiError> {
    let caller = ctx.require_caller()?;
    let name = parse_device_name(&req.name)?;
    let identity_key = PublicKey::parse("identity_key", &req.identity_key)?;
    let signed_prekey = ParsedSignedPreKey::from_contract(&req.signed_prekey)?;
    let one_time_prekeys = parse_one_time_prekeys(&req.one_time_prekeys, 0)?;
    verify_signed_prekey(&identity_key, &signed_prekey)?;

    let mut tx = state.begin().await?;
    devices::lock_user(&mut tx, caller.user_id).await?;
    let count = devices::count_for_user(&mut tx, caller.user_id).await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_DEVICES_PER_USER {
        return Err(ApiError::invalid_request(format!(
            "a user may have at most {MAX_DEVICES_PER_USER} devices; remove one first"
        )));
    }
    let device = devices::insert(
        &mut tx,
        caller.user_id,
        caller.session_id,
        &name,
        identity_key.encoded(),
    )
    .await?;
    prekeys::insert_signed(&mut tx, device.device_id, &signed_prekey).await?;
    prekeys::insert_one_time(&mut tx, device.device_id, &one_time_prekeys).await?;
    tx.commit().await.or_internal("committing a device")?;

    tracing::info!(device_id = %device.device_id, user_id = %caller.user_id, "device registered");
    notify::devices_changed(&state, &ctx, caller.user_id).await;
    Ok(device.to_contract())
}

/// Removes a device and its keys. Any session of the owner may (a lost phone is removed from
/// the laptop); the owning session need not be alive.
pub async fn delete_device(
    state: AppState,
    ctx: CallerContext,
    req: DeleteDeviceRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    owned_device(&mut tx, caller, req.device_id, Owner::AnySession, true).await?;
    devices::delete(&mut tx, req.device_id).await?;
    tx.commit()
        .await
        .or_internal("committing a device removal")?;
    tracing::info!(device_id = %req.device_id, user_id = %caller.user_id, "device removed");
    notify::devices_changed(&state, &ctx, caller.user_id).await;
    Ok(Empty {})
}

/// A user's devices, for the user and those who may message them; `not_found` for others.
pub async fn list_user_devices(
    state: AppState,
    ctx: CallerContext,
    req: ListUserDevicesRequest,
) -> Result<DeviceList, ApiError> {
    let caller = ctx.require_caller()?;
    if !visibility::may_see(&state, &ctx, caller.user_id, req.user_id).await? {
        return Err(ApiError::not_found("user"));
    }
    let mut conn = state.connection().await?;
    let devices = devices::list_for_user(&mut conn, req.user_id).await?;
    Ok(DeviceList { devices })
}
