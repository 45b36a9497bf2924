//! Resume: a client that reconnects (to any gateway) says the last message id it saw per
//! channel and conversation; the gateway replays what came after, exactly once and in order,
//! before live events.
//!
//! Order of operations makes this lossless: the connection subscribes first (events published
//! from then on wait in its queue), then asks message-svc for everything after the last seen ids
//! (the database, not NATS, so nothing dropped by core NATS is missed), sends it, and finally
//! drains the queue through a [`HighWater`] filter that skips messages the replay already sent.
//! Past [`RESUME_LIMIT`] messages in one place the client gets `resume_gap` and refetches
//! history itself.

use crate::state::AppState;
use axum::extract::ws::Utf8Bytes;
use chatalot_shared::{
    contracts::{
        Event,
        conversations::{ConversationMessageCreated, ConversationMessagesSinceRequest},
        gateway::{RESUME_LIMIT, Resume},
        messages::{ChannelMessagesSinceRequest, MessageCreated},
    },
    error::ApiError,
    events::encode_frame,
    rpc::{Caller, CallerContext},
};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};
use uuid::Uuid;

/// Places (channels plus conversations) one resume may name.
const MAX_PLACES: usize = 500;
/// How long after a replay queued live frames are still checked for duplicates.
const DEDUPE_WINDOW: Duration = Duration::from_secs(30);

/// Sent when more than [`RESUME_LIMIT`] messages were missed in one place.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResumeGap {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Uuid>,
}

impl Event for ResumeGap {
    const NAME: &'static str = "resume_gap";
}

/// The newest message id replayed per channel or conversation, so live frames for messages
/// the replay already delivered are skipped.
#[derive(Debug, Default)]
pub struct HighWater {
    newest: HashMap<Uuid, Uuid>,
    until: Option<Instant>,
}

impl HighWater {
    /// False for a `message_created` or `conversation_message_created` frame whose message the
    /// replay already sent. Frames are only parsed during the short window after a replay.
    pub fn admits(&mut self, frame: &Utf8Bytes) -> bool {
        if self.newest.is_empty() {
            return true;
        }
        if self.until.is_some_and(|until| Instant::now() > until) {
            self.newest.clear();
            return true;
        }
        let Some((place, message_id)) = message_of(frame) else {
            return true;
        };
        match self.newest.get(&place) {
            Some(newest) if message_id <= *newest => false,
            Some(_) => {
                // Live frames have caught up with the replay for this place.
                self.newest.remove(&place);
                true
            }
            None => true,
        }
    }
}

/// The (channel or conversation, message id) of a message-created frame.
fn message_of(frame: &str) -> Option<(Uuid, Uuid)> {
    #[derive(Deserialize)]
    struct Frame {
        t: String,
        d: Data,
    }
    #[derive(Deserialize)]
    struct Data {
        message: Ids,
    }
    #[derive(Deserialize)]
    struct Ids {
        message_id: Uuid,
        channel_id: Option<Uuid>,
        conversation_id: Option<Uuid>,
    }
    if !frame.contains("\"t\":\"message_created\"")
        && !frame.contains("\"t\":\"conversation_message_created\"")
    {
        return None;
    }
    let frame: Frame = serde_json::from_str(frame).ok()?;
    if frame.t != MessageCreated::NAME && frame.t != ConversationMessageCreated::NAME {
        return None;
    }
    let ids = frame.d.message;
    Some((ids.channel_id.or(ids.conversation_id)?, ids.message_id))
}

/// Fetches what `caller` missed and returns it as frames, in order, with the high-water marks
/// to filter the live queue by.
pub async fn replay(
    app: &AppState,
    caller: Caller,
    resume: &Resume,
) -> Result<(Vec<Utf8Bytes>, HighWater), ApiError> {
    if resume.channels.len() + resume.conversations.len() > MAX_PLACES {
        return Err(ApiError::invalid_request(format!(
            "resume names at most {MAX_PLACES} channels and conversations"
        )));
    }
    let ctx = CallerContext {
        request_id: Uuid::new_v4().to_string(),
        caller: Some(caller),
        ..CallerContext::default()
    };
    let mut frames = Vec::new();
    let mut high_water = HighWater::default();
    for (&channel_id, &after) in &resume.channels {
        let request = ChannelMessagesSinceRequest {
            user_id: caller.user_id,
            channel_id,
            after,
            limit: RESUME_LIMIT,
        };
        let since = app.rpc.call(&ctx, &request).await?;
        for message in since.messages {
            high_water.newest.insert(channel_id, message.message_id);
            frames.push(frame(&MessageCreated { message })?);
        }
        if since.has_more {
            frames.push(frame(&ResumeGap {
                channel_id: Some(channel_id),
                conversation_id: None,
            })?);
        }
    }
    for (&conversation_id, &after) in &resume.conversations {
        let request = ConversationMessagesSinceRequest {
            user_id: caller.user_id,
            conversation_id,
            after,
            limit: RESUME_LIMIT,
        };
        let since = app.rpc.call(&ctx, &request).await?;
        for message in since.messages {
            high_water
                .newest
                .insert(conversation_id, message.message_id);
            frames.push(frame(&ConversationMessageCreated { message })?);
        }
        if since.has_more {
            frames.push(frame(&ResumeGap {
                channel_id: None,
                conversation_id: Some(conversation_id),
            })?);
        }
    }
    high_water.until = Some(Instant::now() + DEDUPE_WINDOW);
    Ok((frames, high_water))
}

fn frame<E: Event>(event: &E) -> Result<Utf8Bytes, ApiError> {
    let bytes = encode_frame(event).map_err(ApiError::internal)?;
    Utf8Bytes::try_from(bytes).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(place: Uuid, message_id: Uuid) -> Utf8Bytes {
        format!(r#"{{"op":"event","t":"message_created","d":{{"message":{{"message_id":"{message_id}","channel_id":"{place}","body":"x"}}}}}}"#).into()
    }

    #[test]
    fn live_frames_already_replayed_are_skipped_once_then_everything_passes() {
        let channel = Uuid::now_v7();
        let old = Uuid::now_v7();
        let replayed = Uuid::now_v7();
        let live = Uuid::now_v7();
        let mut high_water = HighWater::default();
        high_water.newest.insert(channel, replayed);
        high_water.until = Some(Instant::now() + DEDUPE_WINDOW);
        assert!(!high_water.admits(&created(channel, old)));
        assert!(!high_water.admits(&created(channel, replayed)));
        assert!(high_water.admits(&created(channel, live)));
        // Caught up: no more parsing for that channel.
        assert!(high_water.newest.is_empty());
        assert!(high_water.admits(&created(channel, old)));
    }

    #[test]
    fn other_frames_and_other_places_pass() {
        let channel = Uuid::now_v7();
        let mut high_water = HighWater::default();
        high_water.newest.insert(channel, Uuid::now_v7());
        assert!(high_water.admits(&Utf8Bytes::from_static(
            r#"{"op":"event","t":"typing_started","d":{}}"#
        )));
        assert!(high_water.admits(&created(Uuid::now_v7(), Uuid::nil())));
    }
}
