//! Call commands arriving on WebSockets, forwarded to signal-svc with the connection they came
//! on (this gateway's instance id and the connection's number), so a participant is bound to
//! one connection. Each connection's commands are rate limited here, in memory: the connection
//! lives on this gateway only. When a connection that issued a join ends, signal-svc is told, and
//! the grace period starts (see `docs/calls.md`).

use crate::rate_limit::TokenBucket;
use chatalot_shared::{
    config::Config,
    contracts::calls::{
        CallAction, CallCommand, CallConnection, CallConnectionClosedRequest, CommandReply,
        JoinCallRequest, LeaveCallRequest, RelaySignalRequest, UpdateCallStateRequest,
    },
    error::ApiError,
    rpc::{Caller, CallerContext, RpcClient},
    subjects::Subjects,
};
use serde::Serialize;
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
    time::Instant,
};
use uuid::Uuid;

/// How often the gateway tells signal-svc that a connection in a call ended, should a first
/// attempt fail (a replica dying mid-request); after that, the sweeper's gateway check is the
/// backstop.
const CLOSED_ATTEMPTS: usize = 2;

/// Forwards call commands with the connection they came from.
pub struct CallRelay {
    rpc: RpcClient,
    gateway_id: Uuid,
    rate_per_sec: f64,
    burst: u32,
    connections: Mutex<HashMap<u64, ConnectionCalls>>,
}

/// What the relay keeps per connection that sent call commands.
struct ConnectionCalls {
    bucket: TokenBucket,
    /// It sent a join: its end must be reported to signal-svc.
    joined: bool,
}

impl CallRelay {
    /// A relay for the gateway `gateway_id` (its instance id, also its liveness key in Redis).
    pub fn new(
        nats: &async_nats::Client,
        subjects: &Subjects,
        gateway_id: Uuid,
        config: &Config,
    ) -> Self {
        let calls = &config.calls;
        Self {
            rpc: RpcClient::new(
                nats.clone(),
                subjects.clone(),
                config.nats.request_timeout(),
            ),
            gateway_id,
            rate_per_sec: f64::from(calls.command_rate_per_sec.max(1)),
            burst: calls.command_burst.max(1),
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one command of `caller` on connection `connection_id`; the reply to send back.
    /// Bounded by the RPC timeout (`nats.request_timeout_ms`).
    pub async fn command(
        &self,
        caller: Caller,
        connection_id: u64,
        command: CallCommand,
    ) -> CommandReply {
        let reference = command.reference.clone();
        match self.run(caller, connection_id, &command).await {
            Ok(value) => CommandReply::ok(reference, value),
            Err(error) => CommandReply::error(reference, error),
        }
    }

    async fn run(
        &self,
        caller: Caller,
        connection_id: u64,
        command: &CallCommand,
    ) -> Result<serde_json::Value, ApiError> {
        self.admit(connection_id)?;
        let action = command.action()?;
        let connection = CallConnection {
            gateway_id: self.gateway_id,
            connection_id,
        };
        let ctx = context(caller);
        match action {
            CallAction::Join {
                call,
                muted,
                deafened,
                camera,
            } => {
                // Reported at the end even if the answer is lost: signal-svc may have let the
                // connection in anyway.
                self.mark_joined(connection_id);
                let request = JoinCallRequest {
                    connection,
                    call,
                    muted,
                    deafened,
                    camera,
                };
                json(self.rpc.call(&ctx, &request).await?)
            }
            CallAction::Leave { call } => {
                let request = LeaveCallRequest { connection, call };
                json(self.rpc.call(&ctx, &request).await?)
            }
            CallAction::UpdateState {
                call,
                muted,
                deafened,
                camera,
                screen_sharing,
            } => {
                let request = UpdateCallStateRequest {
                    connection,
                    call,
                    muted,
                    deafened,
                    camera,
                    screen_sharing,
                };
                json(self.rpc.call(&ctx, &request).await?)
            }
            CallAction::Signal {
                call,
                to_user_id,
                signal,
            } => {
                let request = RelaySignalRequest {
                    connection,
                    call,
                    to_user_id,
                    signal,
                };
                json(self.rpc.call(&ctx, &request).await?)
            }
        }
    }

    /// The connection ended: its user's call participation starts its grace period.
    pub async fn connection_closed(&self, caller: Caller, connection_id: u64) {
        let joined = self
            .lock()
            .remove(&connection_id)
            .is_some_and(|calls| calls.joined);
        if !joined {
            return;
        }
        let request = CallConnectionClosedRequest {
            connection: CallConnection {
                gateway_id: self.gateway_id,
                connection_id,
            },
        };
        for attempt in 1..=CLOSED_ATTEMPTS {
            match self.rpc.call(&context(caller), &request).await {
                Ok(_) => return,
                Err(error) => tracing::warn!(
                    user_id = %caller.user_id,
                    attempt,
                    %error,
                    "signal-svc not told that a connection in a call ended"
                ),
            }
        }
    }

    /// Takes one command from the connection's bucket, or `rate_limited`.
    fn admit(&self, connection_id: u64) -> Result<(), ApiError> {
        let (rate, burst) = (self.rate_per_sec, self.burst);
        let mut connections = self.lock();
        let calls = connections
            .entry(connection_id)
            .or_insert_with(|| ConnectionCalls {
                bucket: TokenBucket::full(burst),
                joined: false,
            });
        calls
            .bucket
            .take(Instant::now(), rate, f64::from(burst))
            .map_err(ApiError::rate_limited)
    }

    fn mark_joined(&self, connection_id: u64) {
        if let Some(calls) = self.lock().get_mut(&connection_id) {
            calls.joined = true;
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, ConnectionCalls>> {
        // Each critical section is one map operation; a poisoned map is still consistent.
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn context(caller: Caller) -> CallerContext {
    CallerContext {
        request_id: Uuid::new_v4().to_string(),
        caller: Some(caller),
        ..CallerContext::default()
    }
}

fn json<T: Serialize>(value: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}
