//! Publishing events. An event is serialised once, as the exact WebSocket frame clients receive
//! (`{"op":"event","t":NAME,"d":...}`), so a gateway forwards the same bytes to every socket.
//! Events are published only after the change they describe has been committed.

use crate::{contracts::Event, subjects::Subjects};
use bytes::Bytes;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct EventFrame<'a, E> {
    op: &'static str,
    t: &'static str,
    d: &'a E,
}

/// The WebSocket frame of `event`.
pub fn encode_frame<E: Event>(event: &E) -> anyhow::Result<Bytes> {
    let frame = EventFrame {
        op: "event",
        t: E::NAME,
        d: event,
    };
    Ok(serde_json::to_vec(&frame)?.into())
}

/// Publishes `event` on the community's subject with the scope headers gateways filter by
/// (`contracts::community::scope`). Failures are logged like [`publish_to_user`]'s.
pub async fn publish_to_community<E: Event>(
    nats: &async_nats::Client,
    subjects: &Subjects,
    community_id: Uuid,
    headers: async_nats::HeaderMap,
    event: &E,
) {
    let result = match encode_frame(event) {
        Ok(frame) => nats
            .publish_with_headers(
                subjects.community_event(community_id, E::NAME),
                headers,
                frame,
            )
            .await
            .map_err(anyhow::Error::from),
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        tracing::warn!(event = E::NAME, %community_id, error = %err, "event not published");
    }
}

/// Sends `event` to every connection of `user_id`, on whichever gateway it is.
/// Core NATS is at-most-once: a failure is logged, and clients catch up through the API.
pub async fn publish_to_user<E: Event>(
    nats: &async_nats::Client,
    subjects: &Subjects,
    user_id: Uuid,
    event: &E,
) {
    let result = match encode_frame(event) {
        Ok(frame) => nats
            .publish(subjects.user_event(user_id, E::NAME), frame)
            .await
            .map_err(anyhow::Error::from),
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        tracing::warn!(event = E::NAME, %user_id, error = %err, "event not published");
    }
}
