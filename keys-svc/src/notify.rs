//! Events of devices and keys, published after the change committed. Core NATS is
//! at-most-once: a failed publish is logged by `chatalot_shared::events`; clients recover by
//! listing devices or counting their prekeys.

use crate::{repository::devices, state::AppState};
use chatalot_shared::{
    contracts::{
        conversations::ListConversationPartnersRequest,
        keys::{DevicesChanged, KeysLow},
    },
    events,
    rpc::CallerContext,
};
use uuid::Uuid;

/// The user's device list changed: the fresh list to their own connections and to everyone
/// who shares a conversation with them — the people whose clients encrypt to these devices and
/// must add a new device to (or drop a removed one from) their next envelopes. Community
/// co-members who never talked to the user learn the list when they first fetch it.
/// The change has committed whatever happens here, so a failure is logged and the event
/// skipped (or sent to the owner only) rather than failing the request.
pub async fn devices_changed(state: &AppState, ctx: &CallerContext, user_id: Uuid) {
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

    let partners = state
        .rpc
        .call(ctx, &ListConversationPartnersRequest { user_id })
        .await;
    match partners {
        Ok(partners) => {
            for partner in partners.user_ids {
                events::publish_to_user(&state.nats, &state.subjects, partner, &event).await;
            }
        }
        Err(error) => {
            tracing::warn!(%user_id, %error, "devices_changed not sent to conversation partners");
        }
    }
}

pub async fn keys_low(state: &AppState, user_id: Uuid, device_id: Uuid, remaining: u32) {
    let event = KeysLow {
        device_id,
        remaining,
    };
    events::publish_to_user(&state.nats, &state.subjects, user_id, &event).await;
}
