//! What every request handler and WebSocket connection of a gateway shares.

use crate::{
    tokens::{RevokedSessions, TokenVerifier},
    ws::hub::Hub,
};
use chatalot_shared::{
    config::GatewayConfig,
    error::{ApiError, ErrorCode},
    rpc::{Caller, RpcClient},
};
use std::sync::Arc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Cheap to clone; one per gateway.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: GatewayConfig,
    /// Security headers and the web origins allowed to use this gateway.
    pub security: crate::http_security::HttpSecurity,
    pub rpc: RpcClient,
    pub verifier: TokenVerifier,
    pub revoked: RevokedSessions,
    pub hub: Arc<Hub>,
    /// Cancelled on SIGTERM: WebSockets are told to reconnect elsewhere, new ones are refused.
    pub draining: CancellationToken,
    /// The WebSocket connection tasks, awaited during the drain.
    pub sockets: TaskTracker,
    /// The attachment store and limits.
    pub attachments: crate::attachments::Attachments,
    /// This gateway process, for the records it keeps in Redis (presence, call participants).
    pub instance_id: uuid::Uuid,
    /// This gateway's connections in Redis, and presence changes published to others.
    pub presence: crate::presence::PresenceTracker,
    /// Call commands forwarded to signal-svc.
    pub calls: crate::calls::CallRelay,
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Verifies an access token and that its session has not been revoked.
    pub fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        let caller = self.verifier.verify(token)?;
        if self.revoked.is_revoked(caller.session_id) {
            return Err(ApiError::new(
                ErrorCode::SessionRevoked,
                "this session has ended; log in again",
            ));
        }
        Ok(caller)
    }
}
