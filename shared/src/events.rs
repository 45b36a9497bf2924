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
