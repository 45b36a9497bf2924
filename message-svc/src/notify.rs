//! What message-svc tells gateways after a change has committed, never before. Channel events go
//! on the channel's community subject with the channel scope header, so a gateway delivers them
//! only to users who can see that channel; read-state changes go to the user's own subject (their
//! other devices). Core NATS is at-most-once: a failed publish is logged by
//! `chatalot_shared::events`, never turned into an error for a change that already happened.

use crate::state::AppState;
use async_nats::HeaderMap;
use chatalot_shared::{
    contracts::{
        Event,
        community::scope,
        messages::{
            ChannelReadState, Message, MessageCreated, MessageDeleted, MessageEdited,
            MessagePinned, MessageUnpinned, ReactionAdded, ReactionRemoved, ReadStateUpdated,
            TypingStarted, link,
        },
    },
    events,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A channel event and where it goes.
async fn publish<E: Event>(state: &AppState, community_id: Uuid, channel_id: Uuid, event: &E) {
    let mut headers = HeaderMap::new();
    headers.insert(scope::CHANNEL, channel_id.to_string().as_str());
    events::publish_to_community(&state.nats, &state.subjects, community_id, headers, event).await;
}

/// `previous` is the channel's message before this one (see `messages::link`).
pub async fn message_created(state: &AppState, message: &Message, previous: Option<Uuid>) {
    let event = MessageCreated {
        message: message.clone(),
    };
    let mut headers = HeaderMap::new();
    headers.insert(scope::CHANNEL, message.channel_id.to_string().as_str());
    headers.insert(link::MESSAGE_ID, message.message_id.to_string().as_str());
    if let Some(previous) = previous {
        headers.insert(link::PREVIOUS, previous.to_string().as_str());
    }
    events::publish_to_community(
        &state.nats,
        &state.subjects,
        message.community_id,
        headers,
        &event,
    )
    .await;
}

pub async fn message_edited(state: &AppState, message: &Message) {
    let event = MessageEdited {
        message: message.clone(),
    };
    publish(state, message.community_id, message.channel_id, &event).await;
}

pub async fn message_deleted(
    state: &AppState,
    community_id: Uuid,
    channel_id: Uuid,
    message_id: Uuid,
) {
    let event = MessageDeleted {
        channel_id,
        message_id,
    };
    publish(state, community_id, channel_id, &event).await;
}

/// Who reacted with what on which message.
pub struct Reaction<'a> {
    pub community_id: Uuid,
    pub channel_id: Uuid,
    pub message_id: Uuid,
    pub emoji: &'a str,
    pub user_id: Uuid,
}

pub async fn reaction_added(state: &AppState, reaction: Reaction<'_>) {
    let event = ReactionAdded {
        channel_id: reaction.channel_id,
        message_id: reaction.message_id,
        emoji: reaction.emoji.to_string(),
        user_id: reaction.user_id,
    };
    publish(state, reaction.community_id, reaction.channel_id, &event).await;
}

pub async fn reaction_removed(state: &AppState, reaction: Reaction<'_>) {
    let event = ReactionRemoved {
        channel_id: reaction.channel_id,
        message_id: reaction.message_id,
        emoji: reaction.emoji.to_string(),
        user_id: reaction.user_id,
    };
    publish(state, reaction.community_id, reaction.channel_id, &event).await;
}

pub async fn message_pinned(
    state: &AppState,
    community_id: Uuid,
    channel_id: Uuid,
    message_id: Uuid,
) {
    let event = MessagePinned {
        channel_id,
        message_id,
    };
    publish(state, community_id, channel_id, &event).await;
}

pub async fn message_unpinned(
    state: &AppState,
    community_id: Uuid,
    channel_id: Uuid,
    message_id: Uuid,
) {
    let event = MessageUnpinned {
        channel_id,
        message_id,
    };
    publish(state, community_id, channel_id, &event).await;
}

pub async fn typing_started(
    state: &AppState,
    community_id: Uuid,
    channel_id: Uuid,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
) {
    let event = TypingStarted {
        channel_id,
        user_id,
        expires_at,
    };
    publish(state, community_id, channel_id, &event).await;
}

/// To the user's own subject: their other devices update their badges.
pub async fn read_state_updated(state: &AppState, user_id: Uuid, states: Vec<ChannelReadState>) {
    if states.is_empty() {
        return;
    }
    let event = ReadStateUpdated { states };
    events::publish_to_user(&state.nats, &state.subjects, user_id, &event).await;
}
