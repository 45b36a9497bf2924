//! Events of conversations, published on each user's own subject after the change committed,
//! never before. Core NATS is at-most-once: a failed publish is logged by
//! `chatalot_shared::events`; clients catch up through history.

use crate::state::AppState;
use chatalot_shared::{
    contracts::{
        Event,
        conversations::{
            Conversation, ConversationLeft, ConversationMessage, ConversationMessageCreated,
            ConversationUpdated,
        },
    },
    events,
};
use uuid::Uuid;

/// The same event to each of `user_ids`.
pub async fn to_users<E: Event>(
    state: &AppState,
    user_ids: impl IntoIterator<Item = Uuid>,
    event: &E,
) {
    for user_id in user_ids {
        events::publish_to_user(&state.nats, &state.subjects, user_id, event).await;
    }
}

/// A conversation began or changed: its state, to `user_ids`.
pub async fn conversation_updated(
    state: &AppState,
    conversation: &Conversation,
    user_ids: &[Uuid],
) {
    let event = ConversationUpdated {
        conversation: conversation.clone(),
    };
    to_users(state, user_ids.iter().copied(), &event).await;
}

pub async fn conversation_left(state: &AppState, conversation_id: Uuid, user_id: Uuid) {
    to_users(state, [user_id], &ConversationLeft { conversation_id }).await;
}

/// One new message, each user's own copy (only their devices' ciphertexts) to them.
pub async fn messages_created(
    state: &AppState,
    deliveries: impl IntoIterator<Item = (Uuid, ConversationMessage)>,
) {
    for (user_id, message) in deliveries {
        let event = ConversationMessageCreated { message };
        events::publish_to_user(&state.nats, &state.subjects, user_id, &event).await;
    }
}
