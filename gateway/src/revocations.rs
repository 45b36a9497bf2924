//! Watches session revocations published by auth-svc: records them so this gateway refuses the
//! sessions' still-unexpired access tokens, and closes their WebSockets at once.

use crate::{state::AppState, ws::hub::CloseReason};
use chatalot_shared::contracts::{auth::SessionsRevoked, gateway::close};
use futures::StreamExt;

/// Subscribes before returning, so no revocation published afterwards is missed.
pub async fn watch(
    app: AppState,
    nats: async_nats::Client,
    subject: String,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut subscriber = nats.subscribe(subject).await?;
    Ok(tokio::spawn(async move {
        while let Some(message) = subscriber.next().await {
            match serde_json::from_slice::<SessionsRevoked>(&message.payload) {
                Ok(event) => {
                    app.revoked.record(&event);
                    app.hub.kick_sessions(
                        event.user_id,
                        &event.session_ids,
                        CloseReason {
                            code: close::SESSION_REVOKED,
                            reason: "session revoked",
                        },
                    );
                }
                Err(err) => tracing::warn!(error = %err, "undecodable session revocation"),
            }
        }
    }))
}
