//! Keeps members' usernames and display names current: auth-svc publishes `user_updated` on the
//! user's subject whenever a profile changes; one replica (a queue group) copies the new names
//! into that user's memberships and tells each community.

use crate::{notify, repository::members, state::AppState};
use async_nats::Subscriber;
use chatalot_shared::{
    contracts::{
        Event,
        auth::{UserSummary, UserUpdated},
    },
    subjects::Subjects,
};
use futures::StreamExt;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

/// Every user's `user_updated` events.
fn subject(subjects: &Subjects) -> String {
    subjects.every_user_event(UserUpdated::NAME)
}

/// Replicas share the work: each event is handled by one of them.
fn queue_group(subjects: &Subjects) -> String {
    format!("{}.community-user-updates", subjects.namespace())
}

pub async fn subscribe(
    nats: &async_nats::Client,
    subjects: &Subjects,
) -> anyhow::Result<Subscriber> {
    nats.queue_subscribe(subject(subjects), queue_group(subjects))
        .await
        .map_err(|err| anyhow::anyhow!("subscribing to user updates: {err}"))
}

/// Handles events until `shutdown`, then unsubscribes. An event being handled is finished.
pub async fn run(state: AppState, mut subscriber: Subscriber, shutdown: CancellationToken) {
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => break,
            message = subscriber.next() => message,
        };
        let Some(message) = message else {
            tracing::warn!("the user updates subscription ended");
            break;
        };
        match decode(&message.payload) {
            Some(user) => refresh(&state, user).await,
            None => tracing::warn!(subject = %message.subject, "undecodable user_updated event"),
        }
    }
    if let Err(err) = subscriber.unsubscribe().await {
        tracing::debug!(error = %err, "unsubscribing from user updates");
    }
    tracing::info!("stopped following user updates");
}

/// The event frame auth-svc publishes: `{"op":"event","t":"user_updated","d":{"user":...}}`.
#[derive(Deserialize)]
struct Frame {
    t: String,
    d: serde_json::Value,
}

/// The new names in a `user_updated` frame.
fn decode(payload: &[u8]) -> Option<UserSummary> {
    let frame: Frame = serde_json::from_slice(payload).ok()?;
    if frame.t != UserUpdated::NAME {
        return None;
    }
    let event: UserUpdated = serde_json::from_value(frame.d).ok()?;
    Some(UserSummary {
        user_id: event.user.user_id,
        username: event.user.username,
        display_name: event.user.display_name,
    })
}

async fn refresh(state: &AppState, user: UserSummary) {
    let changed = async {
        let mut conn = state.connection().await?;
        members::refresh_profile(&mut conn, &user).await
    }
    .await;
    match changed {
        // The error is already logged where it happened; the next profile change repairs it.
        Err(_) => tracing::warn!(user_id = %user.user_id, "members' names not refreshed"),
        Ok(members) => {
            for member in &members {
                notify::member_changed(state, member, false).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::{
        contracts::auth::{InstanceRole, UserProfile},
        events::encode_frame,
    };
    use chrono::Utc;
    use uuid::Uuid;

    #[test]
    fn subjects_cover_every_user_under_the_namespace() {
        let subjects = Subjects::new("t1");
        assert_eq!(subject(&subjects), "t1.evt.user.*.user_updated");
        assert_eq!(queue_group(&subjects), "t1.community-user-updates");
    }

    #[test]
    fn frames_from_auth_svc_decode_to_the_new_names() {
        let user = UserProfile {
            user_id: Uuid::now_v7(),
            username: "zoe".into(),
            display_name: "Zoë".into(),
            email: None,
            role: InstanceRole::Member,
            created_at: Utc::now(),
        };
        let frame = encode_frame(&UserUpdated { user: user.clone() }).unwrap_or_default();
        let decoded = decode(&frame);
        assert_eq!(
            decoded,
            Some(UserSummary {
                user_id: user.user_id,
                username: user.username,
                display_name: user.display_name,
            })
        );
        assert_eq!(decode(b"not json"), None);
        assert_eq!(decode(br#"{"op":"event","t":"other","d":{}}"#), None);
    }
}
