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
//!
//! A connection's live stream must not skip a message either: core NATS drops events when a
//! server fails, and two replicas' events may overtake each other. A channel's `message_created`
//! names the message before it ([`Link`]); [`Continuity`] keeps the newest message delivered per
//! channel and skips what was already delivered. A message whose predecessor was not delivered
//! is held back for up to [`REORDER_WAIT`] (an overtaken predecessor arrives within
//! milliseconds, and both then go out in order); if it does not come, the connection ends with
//! 4009 *before* delivering past the gap, and the client's resume (from the last message it got)
//! fetches the missing ones from the database.

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
/// How long a message waits for its predecessor before the client is told to resume.
pub const REORDER_WAIT: Duration = Duration::from_millis(500);
/// Messages one connection holds back at most; past it the client resumes instead.
const MAX_HELD: usize = 256;

/// Sent when more than [`RESUME_LIMIT`] messages were missed in one place.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
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

/// A channel's `message_created` and the message before it (`messages::link` headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The channel.
    pub place: Uuid,
    pub message_id: Uuid,
    /// The channel's message before this one; `None` for its first.
    pub previous: Option<Uuid>,
}

/// What a connection does with a linked frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admit {
    Deliver,
    /// Already delivered (replayed, or a duplicate).
    Skip,
    /// A message before it has not been delivered.
    Gap,
}

/// A message the connection cannot deliver in order: too many held back, or one waited past
/// [`REORDER_WAIT`]. The client must resume.
#[derive(Debug, PartialEq, Eq)]
pub struct Gap;

/// Where a connection stands in one channel's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Followed {
    /// The newest message delivered: what comes after a newer predecessor is a gap.
    Delivered(Uuid),
    /// A replay sent messages up to this one, then `resume_gap` (the client refetches the rest):
    /// live frames up to it are duplicates, and the next newer one starts the channel again.
    ReplayedUpTo(Uuid),
}

/// The newest message delivered per channel on one connection, and the messages held back
/// until their predecessor arrives (see the module docs). Channels start being followed at the
/// resume point or the first linked frame.
#[derive(Debug, Default)]
pub struct Continuity {
    followed: HashMap<Uuid, Followed>,
    held: Vec<(Link, Utf8Bytes, Instant)>,
}

impl Continuity {
    /// Takes a linked frame and appends to `out` what can be written now, in order: the frame
    /// and any held ones it unblocks, or nothing (a duplicate, or held back).
    pub fn offer(
        &mut self,
        link: Link,
        frame: Utf8Bytes,
        out: &mut Vec<Utf8Bytes>,
    ) -> Result<(), Gap> {
        match self.admit(&link) {
            Admit::Skip => Ok(()),
            Admit::Deliver => {
                out.push(frame);
                self.release(link.place, out);
                Ok(())
            }
            Admit::Gap if self.held.len() >= MAX_HELD => Err(Gap),
            Admit::Gap => {
                self.held.push((link, frame, Instant::now()));
                self.held.sort_by_key(|(link, _, _)| link.message_id);
                Ok(())
            }
        }
    }

    /// When the longest-held message has waited long enough: past it the client resumes.
    pub fn deadline(&self) -> Option<Instant> {
        self.held
            .iter()
            .map(|(_, _, since)| *since)
            .min()
            .map(|since| since + REORDER_WAIT)
    }

    /// Delivers (in id order) the held messages of `place` that are next in line now.
    fn release(&mut self, place: Uuid, out: &mut Vec<Utf8Bytes>) {
        let mut i = 0;
        while i < self.held.len() {
            if self.held[i].0.place != place {
                i += 1;
                continue;
            }
            let link = self.held[i].0;
            match self.admit(&link) {
                Admit::Gap => i += 1,
                Admit::Skip => {
                    self.held.remove(i);
                }
                Admit::Deliver => {
                    let (_, frame, _) = self.held.remove(i);
                    out.push(frame);
                }
            }
        }
    }

    fn admit(&mut self, link: &Link) -> Admit {
        match self.followed.get(&link.place) {
            Some(Followed::Delivered(last) | Followed::ReplayedUpTo(last))
                if link.message_id <= *last =>
            {
                Admit::Skip
            }
            // Ids grow in commit order within a channel, so nothing lies between `last` and
            // this message unless its predecessor is newer than `last`.
            Some(Followed::Delivered(last))
                if link.previous.is_some_and(|previous| previous > *last) =>
            {
                Admit::Gap
            }
            _ => {
                self.followed
                    .insert(link.place, Followed::Delivered(link.message_id));
                Admit::Deliver
            }
        }
    }
}

/// Fetches what `caller` missed and returns it as frames, in order, with the high-water marks
/// and the continuity to filter the live queue by.
pub async fn replay(
    app: &AppState,
    caller: Caller,
    resume: &Resume,
) -> Result<(Vec<Utf8Bytes>, HighWater, Continuity), ApiError> {
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
    let mut continuity = Continuity::default();
    for (&channel_id, &after) in &resume.channels {
        let request = ChannelMessagesSinceRequest {
            user_id: caller.user_id,
            channel_id,
            after,
            limit: RESUME_LIMIT,
        };
        let since = app.rpc.call(&ctx, &request).await?;
        let mut newest = after;
        for message in since.messages {
            newest = message.message_id;
            high_water.newest.insert(channel_id, newest);
            frames.push(frame(&MessageCreated { message })?);
        }
        let followed = if since.has_more {
            // The client refetches the rest itself; the live stream goes on from the next
            // message it carries, without what the replay sent (whose live frames may still
            // wait in the queue).
            frames.push(frame(&ResumeGap {
                channel_id: Some(channel_id),
                conversation_id: None,
            })?);
            Followed::ReplayedUpTo(newest)
        } else {
            Followed::Delivered(newest)
        };
        continuity.followed.insert(channel_id, followed);
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
    Ok((frames, high_water, continuity))
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

    /// What `continuity` writes, by message body id, for one offered frame.
    fn offer(continuity: &mut Continuity, link: Link) -> Result<Vec<Uuid>, Gap> {
        let mut out = Vec::new();
        continuity.offer(link, created(link.place, link.message_id), &mut out)?;
        Ok(out
            .iter()
            .filter_map(|frame| message_of(frame).map(|(_, id)| id))
            .collect())
    }

    #[test]
    fn a_linked_stream_is_delivered_once_and_in_order() {
        let channel = Uuid::now_v7();
        let [a, b, c, d, e] = [(); 5].map(|_| Uuid::now_v7());
        let link = |message_id, previous| Link {
            place: channel,
            message_id,
            previous,
        };
        let mut continuity = Continuity::default();
        // The first linked frame starts the channel (no resume point).
        assert_eq!(offer(&mut continuity, link(b, Some(a))), Ok(vec![b]));
        assert_eq!(offer(&mut continuity, link(b, Some(a))), Ok(vec![]));
        // d overtook c: held until c arrives, then both go out in order.
        assert_eq!(offer(&mut continuity, link(d, Some(c))), Ok(vec![]));
        assert!(continuity.deadline().is_some());
        assert_eq!(offer(&mut continuity, link(c, Some(b))), Ok(vec![c, d]));
        assert_eq!(continuity.deadline(), None);
        // A predecessor older than what was delivered (a deleted message) is no gap.
        assert_eq!(offer(&mut continuity, link(e, Some(a))), Ok(vec![e]));
        // Other channels are followed on their own.
        let other = Link {
            place: Uuid::now_v7(),
            message_id: Uuid::now_v7(),
            previous: Some(Uuid::now_v7()),
        };
        assert_eq!(offer(&mut continuity, other), Ok(vec![other.message_id]));
    }

    #[test]
    fn a_message_whose_predecessor_never_comes_is_a_gap_once_too_many_wait() {
        let channel = Uuid::now_v7();
        let mut continuity = Continuity::default();
        let first = Uuid::now_v7();
        let first_link = Link {
            place: channel,
            message_id: first,
            previous: None,
        };
        assert_eq!(offer(&mut continuity, first_link), Ok(vec![first]));
        let lost = Uuid::now_v7();
        let mut previous = lost;
        for _ in 0..MAX_HELD {
            let id = Uuid::now_v7();
            let link = Link {
                place: channel,
                message_id: id,
                previous: Some(previous),
            };
            assert_eq!(offer(&mut continuity, link), Ok(vec![]));
            previous = id;
        }
        let deadline = continuity.deadline().unwrap_or_else(Instant::now);
        assert!(deadline > Instant::now() && deadline <= Instant::now() + REORDER_WAIT);
        let one_more = Link {
            place: channel,
            message_id: Uuid::now_v7(),
            previous: Some(previous),
        };
        assert_eq!(offer(&mut continuity, one_more), Err(Gap));
    }

    /// Regression (found by the #9 overload benchmark: 392 duplicate deliveries): after a
    /// `resume_gap`, live frames of messages the replay already sent were delivered again.
    #[test]
    fn after_a_resume_gap_replayed_messages_are_not_delivered_again() {
        let channel = Uuid::now_v7();
        let [replayed_1, replayed_2, missed, live_1, live_2] = [(); 5].map(|_| Uuid::now_v7());
        let link = |message_id, previous| Link {
            place: channel,
            message_id,
            previous: Some(previous),
        };
        let mut continuity = Continuity::default();
        continuity
            .followed
            .insert(channel, Followed::ReplayedUpTo(replayed_2));
        // Their live frames were still queued behind the replay.
        assert_eq!(
            offer(&mut continuity, link(replayed_1, Uuid::nil())),
            Ok(vec![])
        );
        assert_eq!(
            offer(&mut continuity, link(replayed_2, replayed_1)),
            Ok(vec![])
        );
        // The client refetches `missed` itself: the next live message is no gap.
        assert_eq!(
            offer(&mut continuity, link(live_1, missed)),
            Ok(vec![live_1])
        );
        assert_eq!(continuity.deadline(), None);
        // From there on the channel is followed as usual.
        assert_eq!(offer(&mut continuity, link(live_1, missed)), Ok(vec![]));
        assert_eq!(
            offer(&mut continuity, link(live_2, live_1)),
            Ok(vec![live_2])
        );
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
