//! Events of devices and keys, published on the owner's user subject after the change
//! committed. Core NATS is at-most-once: a failed publish is logged by
//! `chatalot_shared::events`; clients recover by listing devices or counting their prekeys.

use crate::{repository::devices, state::AppState};
use chatalot_shared::{
    contracts::keys::{DevicesChanged, KeysLow},
    events,
};
use uuid::Uuid;

/// The user's device list changed: the fresh list to their own connections. Others learn of
/// new devices when they next list them (see the crate docs).
/// The change has committed whatever happens here, so a failure to load the list is logged
/// (by `ApiError::internal`) and the event skipped rather than failing the request.
pub async fn devices_changed(state: &AppState, user_id: Uuid) {
    let devices = async {
        let mut conn = state.connection().await?;
        devices::list_for_user(&mut conn, user_id).await
    }
    .await;
    let Ok(devices) = devices else {
        tracing::warn!(%user_id, "devices_changed not published");
        return;
    };
    let event = DevicesChanged { user_id, devices };
    events::publish_to_user(&state.nats, &state.subjects, user_id, &event).await;
}

pub async fn keys_low(state: &AppState, user_id: Uuid, device_id: Uuid, remaining: u32) {
    let event = KeysLow {
        device_id,
        remaining,
    };
    events::publish_to_user(&state.nats, &state.subjects, user_id, &event).await;
}
