//! Keeps calls in line with who may be in them. One replica (a queue group) handles each event:
//!
//! - `member_removed` (left, kicked, banned): the member leaves their call in that community;
//! - `channel_deleted`, `community_deleted`: everyone leaves the calls there;
//! - `member_changed` (a timeout, roles): that member's rights are checked again: without
//!   `speak` (a timeout) they are muted and shown as unable to speak, without `video` their
//!   camera and screen go off, without `connect` or the channel they leave;
//! - role, overwrite, group and channel changes: the same check for every participant of the
//!   community's calls (or those the event names as affected);
//! - `conversation_left` (on the leaver's own subject): they leave the conversation's call.
//!
//! Core NATS may drop an event; rights are checked again anyway whenever a participant turns
//! their microphone or camera on.

use crate::{
    access::{self, as_participant},
    handlers::remove_and_tell,
    notify,
    state::AppState,
    store::Stored,
};
use async_nats::Subscriber;
use chatalot_shared::{
    ErrorCode,
    contracts::{
        Event,
        calls::{CallId, CallLeaveReason},
        community::{
            ChannelChanged, ChannelDeleted, CommunityDeleted, GroupChanged, GroupDeleted,
            MemberChanged, MemberRemoved, OverwriteChanged, OverwriteDeleted, RoleChanged,
            RoleDeleted, scope,
        },
        conversations::ConversationLeft,
    },
    subjects::Subjects,
};
use futures::{StreamExt, stream::SelectAll};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The community events that can change who may be in a call, or how.
const COMMUNITY_EVENTS: [&str; 11] = [
    MemberRemoved::NAME,
    MemberChanged::NAME,
    ChannelDeleted::NAME,
    ChannelChanged::NAME,
    CommunityDeleted::NAME,
    RoleChanged::NAME,
    RoleDeleted::NAME,
    OverwriteChanged::NAME,
    OverwriteDeleted::NAME,
    GroupChanged::NAME,
    GroupDeleted::NAME,
];

fn queue_group(subjects: &Subjects) -> String {
    format!("{}.signal-call-access", subjects.namespace())
}

/// Subscribes to every event the follower handles (before the service reports itself serving).
pub async fn subscribe(
    nats: &async_nats::Client,
    subjects: &Subjects,
) -> anyhow::Result<SelectAll<Subscriber>> {
    let mut all = SelectAll::new();
    let mut names: Vec<String> = COMMUNITY_EVENTS
        .iter()
        .map(|event| subjects.every_community_event(event))
        .collect();
    names.push(subjects.every_user_event(ConversationLeft::NAME));
    for subject in names {
        let subscriber = nats
            .queue_subscribe(subject.clone(), queue_group(subjects))
            .await
            .map_err(|err| anyhow::anyhow!("subscribing to {subject}: {err}"))?;
        all.push(subscriber);
    }
    Ok(all)
}

/// Handles events until `shutdown`.
pub async fn run(state: AppState, mut events: SelectAll<Subscriber>, shutdown: CancellationToken) {
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => break,
            message = events.next() => message,
        };
        let Some(message) = message else {
            tracing::warn!("the call access subscriptions ended");
            break;
        };
        handle(&state, &message).await;
    }
    for subscriber in events.iter_mut() {
        let _ = subscriber.unsubscribe().await;
    }
    tracing::info!("stopped following call access changes");
}

/// `<ns>.evt.<community|user>.<id>.<event>`: the id and the event name.
fn parse_subject(subject: &str) -> Option<(Uuid, &str)> {
    let mut tokens = subject.rsplit('.');
    let event = tokens.next()?;
    let id = Uuid::parse_str(tokens.next()?).ok()?;
    Some((id, event))
}

/// The `d` of an event frame.
fn data<T: DeserializeOwned>(payload: &[u8]) -> Option<T> {
    #[derive(serde::Deserialize)]
    struct Frame<T> {
        d: T,
    }
    serde_json::from_slice::<Frame<T>>(payload)
        .ok()
        .map(|frame| frame.d)
}

/// The users an event says are affected (`Chatalot-View-Changed: <ids>`); `None` for everyone.
fn affected(message: &async_nats::Message) -> Option<Vec<Uuid>> {
    let value = message.headers.as_ref()?.get(scope::VIEW_CHANGED)?.as_str();
    if value == scope::ALL {
        return None;
    }
    Some(
        value
            .split(',')
            .filter_map(|id| Uuid::parse_str(id.trim()).ok())
            .collect(),
    )
}

async fn handle(state: &AppState, message: &async_nats::Message) {
    let Some((id, event)) = parse_subject(message.subject.as_str()) else {
        return;
    };
    let payload = &message.payload;
    match event {
        MemberRemoved::NAME => {
            if let Some(removed) = data::<MemberRemoved>(payload) {
                let calls = community_calls(state, id).await;
                evict(state, &calls, Some(removed.user_id)).await;
            }
        }
        ChannelDeleted::NAME => {
            if let Some(deleted) = data::<ChannelDeleted>(payload) {
                evict(state, &[CallId::Channel(deleted.channel_id)], None).await;
            }
        }
        CommunityDeleted::NAME => {
            let calls = community_calls(state, id).await;
            evict(state, &calls, None).await;
        }
        MemberChanged::NAME => {
            if let Some(changed) = data::<MemberChanged>(payload) {
                recheck(state, id, Some(vec![changed.member.user_id])).await;
            }
        }
        ConversationLeft::NAME => {
            if let Some(left) = data::<ConversationLeft>(payload) {
                evict(
                    state,
                    &[CallId::Conversation(left.conversation_id)],
                    Some(id),
                )
                .await;
            }
        }
        _ => recheck(state, id, affected(message)).await,
    }
}

/// The community's calls with participants (none when Redis cannot say: logged).
async fn community_calls(state: &AppState, community_id: Uuid) -> Vec<CallId> {
    state
        .store
        .community_calls(community_id)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!(%community_id, error = %err, "calls of a community not read");
            Vec::new()
        })
}

/// The participants of `call` (`user` only, when given), logging a failure.
async fn participants(state: &AppState, call: CallId, user: Option<Uuid>) -> Vec<Stored> {
    match state.store.participants(call).await {
        Ok(all) => all
            .into_iter()
            .filter(|s| user.is_none_or(|user| s.entry.user_id == user))
            .collect(),
        Err(err) => {
            tracing::warn!(call = %call.key(), error = %err, "call participants not read");
            Vec::new()
        }
    }
}

/// Removes from `calls` everyone (or `user`): they may no longer be there.
async fn evict(state: &AppState, calls: &[CallId], user: Option<Uuid>) {
    for call in calls {
        for stored in participants(state, *call, user).await {
            let _ = remove_and_tell(state, *call, &stored, CallLeaveReason::LostAccess).await;
        }
    }
}

/// Checks again the rights of the participants of `community_id`'s calls (`users` only, when
/// given).
async fn recheck(state: &AppState, community_id: Uuid, users: Option<Vec<Uuid>>) {
    for call in community_calls(state, community_id).await {
        let all = participants(state, call, None).await;
        if all.is_empty() {
            let _ = state.store.forget_if_empty(call, Some(community_id)).await;
        }
        for stored in all {
            if users
                .as_ref()
                .is_none_or(|users| users.contains(&stored.entry.user_id))
            {
                recheck_one(state, call, stored).await;
            }
        }
    }
}

/// Applies one participant's current rights: they leave without `connect` or the channel; their
/// speak and video rights are updated (muting them, turning video off) otherwise.
async fn recheck_one(state: &AppState, call: CallId, stored: Stored) {
    let user_id = stored.entry.user_id;
    let ctx = as_participant(&stored.entry);
    match access::place(state, &ctx, user_id, call).await {
        Ok(place) if place.can_connect => {
            let entry = stored
                .entry
                .clone()
                .with_rights(place.can_speak, place.can_video);
            if entry == stored.entry {
                return;
            }
            match state.store.replace(call, &stored, entry).await {
                Ok(Some(updated)) => {
                    notify::updated(state, &place.audience, call, &updated.entry).await;
                }
                Ok(None) => {} // changed meanwhile; the next unmute checks again
                Err(err) => tracing::warn!(error = %err, "call rights not applied"),
            }
        }
        Ok(_) => {
            let _ = remove_and_tell(state, call, &stored, CallLeaveReason::LostAccess).await;
        }
        Err(error) if matches!(error.code, ErrorCode::NotFound | ErrorCode::InvalidRequest) => {
            let _ = remove_and_tell(state, call, &stored, CallLeaveReason::LostAccess).await;
        }
        Err(error) => {
            tracing::warn!(call = %call.key(), %user_id, %error, "call rights not checked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_place_and_the_event() {
        let id = Uuid::now_v7();
        let subject = format!("t1.evt.community.{id}.member_removed");
        assert_eq!(parse_subject(&subject), Some((id, "member_removed")));
        assert_eq!(parse_subject("t1.evt.community.x.member_removed"), None);
        let frame =
            format!(r#"{{"op":"event","t":"conversation_left","d":{{"conversation_id":"{id}"}}}}"#);
        assert_eq!(
            data::<ConversationLeft>(frame.as_bytes()),
            Some(ConversationLeft {
                conversation_id: id
            })
        );
    }

    #[test]
    fn the_follower_shares_its_events_across_replicas() {
        assert_eq!(queue_group(&Subjects::new("t1")), "t1.signal-call-access");
    }
}
