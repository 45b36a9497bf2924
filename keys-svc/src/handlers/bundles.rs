//! Handing out prekey bundles: the device's identity key, current signed prekey and at most
//! one one-time prekey, claimed so that no two fetches ever get the same one.

use super::{device_not_found, visibility};
use crate::{
    notify,
    repository::{devices, prekeys},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::keys::{GetPreKeyBundleRequest, ONE_TIME_PREKEYS_LOW, PreKeyBundle},
    rpc::CallerContext,
};
use std::time::Duration;

/// Bundle fetches allowed per (caller, target device) and window: each fetch burns one of the
/// target's one-time prekeys, so an unthrottled caller could drain them.
pub const BUNDLE_RATE_LIMIT: u32 = 10;
pub const BUNDLE_RATE_WINDOW: Duration = Duration::from_secs(60);

/// The device's bundle, for those who may see its owner; `not_found` for others. Without
/// one-time prekeys left the bundle comes without one (the session then starts with the
/// signed prekey alone).
pub async fn get_prekey_bundle(
    state: AppState,
    ctx: CallerContext,
    req: GetPreKeyBundleRequest,
) -> Result<PreKeyBundle, ApiError> {
    let caller = ctx.require_caller()?;
    // Counted before anything else, so hammering costs neither queries nor other services.
    let window_key = format!("keys:bundle:{}:{}", caller.user_id, req.device_id);
    match state
        .cache
        .hit(&window_key, BUNDLE_RATE_LIMIT, BUNDLE_RATE_WINDOW)
        .await
    {
        Ok(window) => window.check()?,
        // Like login throttling: Redis being down must not stop people from messaging.
        Err(err) => tracing::warn!(error = %err, "bundle rate limit not checked; allowing"),
    }

    let mut conn = state.connection().await?;
    let device = devices::get(&mut conn, req.device_id, false)
        .await?
        .ok_or_else(device_not_found)?;
    drop(conn);
    if !visibility::may_see(&state, &ctx, caller.user_id, device.user_id).await? {
        return Err(device_not_found());
    }

    let mut conn = state.connection().await?;
    let signed_prekey = prekeys::current_signed(&mut conn, device.device_id)
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "device {} has no current signed prekey",
                device.device_id
            ))
        })?;
    // Its own statement (committed at once), so the low check below, also on its own, sees
    // every claim committed before it: the last of concurrent claims sees the true stock.
    let one_time_prekey = prekeys::claim_one_time(&mut conn, device.device_id).await?;
    let low = devices::mark_keys_low(&mut conn, device.device_id, ONE_TIME_PREKEYS_LOW).await?;
    drop(conn);
    if let Some(remaining) = low {
        let remaining = u32::try_from(remaining).unwrap_or_default();
        notify::keys_low(&state, device.user_id, device.device_id, remaining).await;
    }

    Ok(PreKeyBundle {
        device_id: device.device_id,
        user_id: device.user_id,
        identity_key: device.to_contract().identity_key,
        signed_prekey,
        one_time_prekey,
    })
}
