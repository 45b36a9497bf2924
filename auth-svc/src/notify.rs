//! What auth-svc tells other processes after a change has committed: ended sessions (to every
//! gateway) and profile changes (to the user's own connections). Core NATS is at-most-once, so
//! a failed publish is logged, never turned into an error for a change that already happened.

use crate::state::AppState;
use chatalot_shared::{
    contracts::auth::{SessionsRevoked, UserProfile, UserUpdated},
    events,
};
use chrono::Utc;
use uuid::Uuid;

/// Tells every gateway to close the sockets of `session_ids` and refuse their access tokens
/// until those tokens would have expired anyway.
pub async fn sessions_revoked(state: &AppState, user_id: Uuid, session_ids: Vec<Uuid>) {
    if session_ids.is_empty() {
        return;
    }
    let event = SessionsRevoked {
        user_id,
        session_ids,
        tokens_valid_until: Utc::now() + state.tokens.ttl(),
    };
    let payload = match serde_json::to_vec(&event) {
        Ok(payload) => payload,
        Err(err) => {
            tracing::error!(%user_id, error = %err, "encoding sessions_revoked");
            return;
        }
    };
    if let Err(err) = state
        .nats
        .publish(state.subjects.sessions_revoked(), payload.into())
        .await
    {
        tracing::warn!(%user_id, error = %err, "sessions_revoked not published");
    }
}

/// Sends the new profile to all of the user's connections.
pub async fn user_updated(state: &AppState, user: UserProfile) {
    let user_id = user.user_id;
    events::publish_to_user(&state.nats, &state.subjects, user_id, &UserUpdated { user }).await;
}
