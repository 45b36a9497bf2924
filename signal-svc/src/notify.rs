//! What signal-svc tells clients, after the change is in Redis. Participant events of a voice
//! channel go on its community subject with the channel scope header (gateways deliver them to
//! those who see the channel); those of a conversation to each member's own subject. Signals go
//! to the target user's own subject only. Core NATS is at-most-once: a failed publish is logged
//! by `chatalot_shared::events`, and clients recover by reading the call (`GET .../call`).

use crate::{access::Audience, state::AppState, store::Entry};
use async_nats::HeaderMap;
use chatalot_shared::{
    contracts::{
        Event,
        calls::{
            CallId, CallLeaveReason, CallParticipantJoined, CallParticipantLeft,
            CallParticipantUpdated, CallSignal, Signal,
        },
        community::scope,
    },
    events,
};
use uuid::Uuid;

async fn publish<E: Event>(state: &AppState, audience: &Audience, event: &E) {
    match audience {
        Audience::Channel {
            community_id,
            channel_id,
        } => {
            let mut headers = HeaderMap::new();
            headers.insert(scope::CHANNEL, channel_id.to_string().as_str());
            events::publish_to_community(
                &state.nats,
                &state.subjects,
                *community_id,
                headers,
                event,
            )
            .await;
        }
        Audience::Users(user_ids) => {
            for user_id in user_ids {
                events::publish_to_user(&state.nats, &state.subjects, *user_id, event).await;
            }
        }
    }
}

pub async fn joined(state: &AppState, audience: &Audience, call: CallId, entry: &Entry) {
    let event = CallParticipantJoined {
        call,
        participant: entry.participant(),
    };
    publish(state, audience, &event).await;
}

pub async fn updated(state: &AppState, audience: &Audience, call: CallId, entry: &Entry) {
    let event = CallParticipantUpdated {
        call,
        participant: entry.participant(),
    };
    publish(state, audience, &event).await;
}

pub async fn left(
    state: &AppState,
    audience: &Audience,
    call: CallId,
    user_id: Uuid,
    reason: CallLeaveReason,
) {
    let event = CallParticipantLeft {
        call,
        user_id,
        reason,
    };
    publish(state, audience, &event).await;
}

pub async fn signal(state: &AppState, call: CallId, from: Uuid, to: Uuid, signal: Signal) {
    let event = CallSignal {
        call,
        from_user_id: from,
        signal,
    };
    events::publish_to_user(&state.nats, &state.subjects, to, &event).await;
}
