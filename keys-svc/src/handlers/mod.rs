//! The operations, one module per area, and the checks they share: who owns a device and
//! whether a signed prekey's signature holds.

mod bundles;
mod devices;
mod prekeys;
mod visibility;

use crate::{
    domain::{ParsedSignedPreKey, PublicKey},
    repository::devices::{self as device_rows, DeviceRow},
    state::AppState,
};
use chatalot_shared::{
    ApiError, ErrorCode,
    rpc::{Caller, RpcRouter},
    subjects::Service,
};
use sqlx::PgConnection;
use uuid::Uuid;

pub use bundles::{BUNDLE_RATE_LIMIT, BUNDLE_RATE_WINDOW};
pub use prekeys::SIGNED_PREKEY_GRACE;

/// Every operation of the keys service.
pub fn router(state: AppState) -> RpcRouter<AppState> {
    RpcRouter::new(Service::Keys, state)
        .route(devices::register_device)
        .route(devices::delete_device)
        .route(devices::list_user_devices)
        .route(prekeys::rotate_signed_prekey)
        .route(prekeys::upload_one_time_prekeys)
        .route(prekeys::count_one_time_prekeys)
        .route(bundles::get_prekey_bundle)
}

/// Anyone who may not see a device gets this, so they cannot learn that it exists.
fn device_not_found() -> ApiError {
    ApiError::not_found("device")
}

/// Which of the owner's sessions may do something to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Only the session that registered it: changing its keys.
    OwningSession,
    /// Any session of the owning user: reading its stock, removing it.
    AnySession,
}

/// The caller's device `device_id` (locked for the transaction with `for_update`). Another
/// user's device is `not_found`; another session's, where only the owning session may act,
/// `forbidden`.
async fn owned_device(
    conn: &mut PgConnection,
    caller: Caller,
    device_id: Uuid,
    owner: Owner,
    for_update: bool,
) -> Result<DeviceRow, ApiError> {
    let device = device_rows::get(conn, device_id, for_update)
        .await?
        .filter(|d| d.user_id == caller.user_id)
        .ok_or_else(device_not_found)?;
    if owner == Owner::OwningSession && device.session_id != caller.session_id {
        return Err(ApiError::forbidden(
            "only the session that registered this device may change its keys",
        ));
    }
    Ok(device)
}

/// `invalid_signature` unless `key`'s signature over its 33 encoded bytes verifies with the
/// identity key.
fn verify_signed_prekey(
    identity_key: &PublicKey,
    key: &ParsedSignedPreKey,
) -> Result<(), ApiError> {
    let identity = chatalot_crypto::keys::PublicKey::from_bytes(identity_key.key());
    if chatalot_crypto::xeddsa::verify(&identity, key.public_key.encoded(), &key.signature.0) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidSignature,
            "signed_prekey.signature does not verify with the device's identity key",
        ))
    }
}
