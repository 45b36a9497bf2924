//! Changing a device's prekeys (owning session only) and reading its stock.

use super::{Owner, owned_device, verify_signed_prekey};
use crate::{
    domain::{ParsedSignedPreKey, PublicKey, parse_one_time_prekeys},
    repository::{devices, prekeys},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        keys::{
            CountOneTimePreKeysRequest, ONE_TIME_PREKEYS_LOW, OneTimePreKeyCount,
            RotateSignedPreKeyRequest, UploadOneTimePreKeysRequest,
        },
    },
    db::OrInternal,
    rpc::CallerContext,
};
use std::time::Duration;

/// How long a superseded signed prekey stays stored: a peer may have fetched a bundle with it
/// just before the rotation and complete the session later, while the device is offline.
pub const SIGNED_PREKEY_GRACE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Replaces the current signed prekey. The previous one is kept for [`SIGNED_PREKEY_GRACE`];
/// those older than that are deleted here, lazily, rather than by a sweeper.
pub async fn rotate_signed_prekey(
    state: AppState,
    ctx: CallerContext,
    req: RotateSignedPreKeyRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let key = ParsedSignedPreKey::parse(req.key_id, &req.public_key, &req.signature)?;
    let mut tx = state.begin().await?;
    // Locked: two rotations at once would both supersede the same key, then both insert.
    let device = owned_device(&mut tx, caller, req.device_id, Owner::OwningSession, true).await?;
    let identity_key = PublicKey::from_stored(&device.identity_key).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "device {} has a malformed stored identity key",
            device.device_id
        ))
    })?;
    verify_signed_prekey(&identity_key, &key)?;
    prekeys::delete_expired_signed(&mut tx, device.device_id, SIGNED_PREKEY_GRACE).await?;
    prekeys::supersede_current_signed(&mut tx, device.device_id).await?;
    prekeys::insert_signed(&mut tx, device.device_id, &key).await?;
    tx.commit()
        .await
        .or_internal("committing a signed prekey rotation")?;
    tracing::info!(device_id = %device.device_id, key_id = key.key_id, "signed prekey rotated");
    Ok(Empty {})
}

/// Adds one-time prekeys; returns the stock afterwards. A stock back at the low threshold
/// re-arms `keys_low`.
pub async fn upload_one_time_prekeys(
    state: AppState,
    ctx: CallerContext,
    req: UploadOneTimePreKeysRequest,
) -> Result<OneTimePreKeyCount, ApiError> {
    let caller = ctx.require_caller()?;
    let keys = parse_one_time_prekeys(&req.one_time_prekeys, 1)?;
    let mut tx = state.begin().await?;
    owned_device(&mut tx, caller, req.device_id, Owner::OwningSession, false).await?;
    prekeys::insert_one_time(&mut tx, req.device_id, &keys).await?;
    devices::clear_keys_low_if_restocked(&mut tx, req.device_id, ONE_TIME_PREKEYS_LOW).await?;
    let count = prekeys::count_one_time(&mut tx, req.device_id).await?;
    tx.commit()
        .await
        .or_internal("committing one-time prekeys")?;
    Ok(OneTimePreKeyCount { count })
}

/// The device's unused one-time prekeys (any session of the owner).
pub async fn count_one_time_prekeys(
    state: AppState,
    ctx: CallerContext,
    req: CountOneTimePreKeysRequest,
) -> Result<OneTimePreKeyCount, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    owned_device(&mut conn, caller, req.device_id, Owner::AnySession, false).await?;
    let count = prekeys::count_one_time(&mut conn, req.device_id).await?;
    Ok(OneTimePreKeyCount { count })
}
