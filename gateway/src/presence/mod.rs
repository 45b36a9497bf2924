//! Presence on this gateway (the design is in `docs/presence.md`).
//!
//! A user's status is the aggregate over all their connections on all gateways, kept in Redis:
//! each gateway writes its own connections of a user (active or idle) and a Lua script works out
//! what others see, compares it with what they were last told and says whether it changed; the
//! gateway whose script saw the change publishes `presence_updated`. Connections count only
//! while their gateway's liveness key exists, so a killed gateway leaves no ghost.
//!
//! The connection hooks (`connected`, `activity`, `disconnected`) never wait for Redis: they
//! update this gateway's own record ([`local`]) and hand the user to a runner task, which
//! brings Redis in line and publishes. A failure (Redis or a service down) is logged and
//! retried on the next liveness refresh; messaging never depends on presence.
//!
//! ## Layout
//! - [`local`]: this gateway's connections and the per-user work queue.
//! - [`store`]: the Redis keys and Lua scripts.
//! - [`fanout`]: who hears about a change, and publishing it.
//! - [`snapshot`]: the presences in the ready snapshot, bounded.
//! - [`liveness`]: the background refresh, the sweep of dead gateways and expired custom
//!   statuses, and the clean leave.

pub mod fanout;
pub mod liveness;
pub mod local;
pub mod snapshot;
pub mod store;

use chatalot_shared::{
    ApiError,
    config::Config,
    contracts::{
        community::CommunityView,
        presence::{Presence, PresenceSettings, PresenceSettingsOfRequest, StoredPresenceSettings},
    },
    rpc::{Caller, CallerContext, RpcClient},
    subjects::Subjects,
};
use local::{LocalConnections, Work};
use std::{sync::Arc, time::Duration};
use store::{Store, Synced};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

/// Users whose updates run at once; the rest wait their turn.
const MAX_CONCURRENT_UPDATES: usize = 64;
/// The shortest gap between two updates of one user from this gateway: a client toggling
/// idle in a loop costs its co-members at most a few events a second.
const MIN_UPDATE_GAP: Duration = Duration::from_millis(200);
/// The longest one user's update (Redis, the audience lookups, the publications) may take.
const UPDATE_TIMEOUT: Duration = Duration::from_secs(10);

/// Tracks this gateway's connections in Redis and publishes presence changes. Cheap to clone.
#[derive(Clone)]
pub struct PresenceTracker(Arc<Inner>);

struct Inner {
    gateway: Uuid,
    config: chatalot_shared::config::PresenceConfig,
    store: Store,
    rpc: RpcClient,
    nats: async_nats::Client,
    subjects: Subjects,
    local: LocalConnections,
    runners: TaskTracker,
    permits: Semaphore,
    failures: FailureLog,
}

/// Logs failed updates as a warning at most every 10 seconds, the others at debug level: an
/// outage must not write one line per user.
#[derive(Default)]
struct FailureLog {
    last_warning: std::sync::Mutex<Option<std::time::Instant>>,
}

impl FailureLog {
    const EVERY: Duration = Duration::from_secs(10);

    fn record(&self, user_id: Uuid, what: &str, err: &anyhow::Error) {
        let warn = match self.last_warning.lock() {
            Ok(mut last) if last.is_none_or(|at| at.elapsed() >= Self::EVERY) => {
                *last = Some(std::time::Instant::now());
                true
            }
            _ => false,
        };
        if warn {
            tracing::warn!(%user_id, error = %err, "{what} (further presence failures in the next 10 s are logged at debug level)");
        } else {
            tracing::debug!(%user_id, error = %err, "{what}");
        }
    }
}

impl PresenceTracker {
    /// A tracker for gateway `gateway`. Tries Redis once; without it the gateway still starts,
    /// and the liveness refresh keeps trying.
    pub async fn connect(
        config: &Config,
        gateway: Uuid,
        rpc: RpcClient,
        nats: async_nats::Client,
        subjects: Subjects,
    ) -> Self {
        let store = Store::new(gateway, &config.redis, &config.presence);
        if let Err(err) = store.connect().await {
            tracing::warn!(error = %err, "presence degraded: Redis unavailable at start-up; retrying in the background");
        }
        Self(Arc::new(Inner {
            gateway,
            config: config.presence.clone(),
            store,
            rpc,
            nats,
            subjects,
            local: LocalConnections::default(),
            runners: TaskTracker::new(),
            permits: Semaphore::new(MAX_CONCURRENT_UPDATES),
            failures: FailureLog::default(),
        }))
    }

    /// The presence of the people `caller` can see, for the ready snapshot (bounded; see
    /// [`snapshot`]).
    pub async fn snapshot(&self, caller: Caller, views: &[CommunityView]) -> Vec<Presence> {
        let _ = views; // the audience comes from community-svc, which bounds it per community
        self.snapshot_of(caller).await
    }

    /// A connection of `caller` is ready (after `ready` was sent).
    pub async fn connected(&self, caller: Caller, connection_id: u64, views: &[CommunityView]) {
        let _ = views;
        self.0.local.connect(caller.user_id, connection_id);
        self.schedule(caller.user_id, Work::default());
    }

    /// The connection reported itself idle or active.
    pub async fn activity(&self, caller: Caller, connection_id: u64, idle: bool) {
        if self.0.local.activity(caller.user_id, connection_id, idle) {
            self.schedule(caller.user_id, Work::default());
        }
    }

    /// The connection ended (cleanly or not) on this gateway.
    pub async fn disconnected(&self, caller: Caller, connection_id: u64) {
        self.0.local.disconnect(caller.user_id, connection_id);
        self.schedule(caller.user_id, Work::default());
    }

    /// The user changed what they chose (already stored by auth-svc): caches it and tells
    /// everyone concerned, the user's own connections included. A cache failure is not the
    /// client's problem: the choice is stored, and the cache is reloaded on the retry.
    pub async fn settings_changed(&self, stored: &StoredPresenceSettings) {
        let reload_settings = match self.0.store.set_settings(stored).await {
            Ok(()) => false,
            Err(err) => {
                tracing::warn!(user_id = %stored.user_id, error = %err, "presence: chosen status not cached; retrying");
                true
            }
        };
        self.schedule(
            stored.user_id,
            Work {
                reload_settings,
                announce: true,
            },
        );
    }

    /// Hands `user_id` to a runner (starting one unless the user has one already).
    fn schedule(&self, user_id: Uuid, work: Work) {
        if self.0.local.request(user_id, work) {
            let tracker = self.clone();
            self.0
                .runners
                .spawn(async move { tracker.run(user_id).await });
        }
    }

    /// The user's runner: brings Redis in line with this gateway's connections of the user and
    /// publishes what changed, until no work is left for them.
    async fn run(&self, user_id: Uuid) {
        while let Some(work) = self.0.local.next(user_id) {
            let outcome = match self.0.permits.acquire().await {
                Ok(_permit) => tokio::time::timeout(UPDATE_TIMEOUT, self.update(user_id, work))
                    .await
                    .unwrap_or_else(|_| Err((anyhow::anyhow!("timed out"), work))),
                Err(_) => return,
            };
            if let Err((err, retry)) = outcome {
                self.0
                    .failures
                    .record(user_id, "presence update failed; retrying later", &err);
                self.0.local.failed(user_id, retry);
            }
            tokio::time::sleep(MIN_UPDATE_GAP).await;
        }
    }

    /// One update; on failure, the work to retry.
    async fn update(&self, user_id: Uuid, work: Work) -> Result<(), (anyhow::Error, Work)> {
        if work.reload_settings {
            self.load_settings(user_id).await.map_err(|e| (e, work))?;
        }
        let connections = self.0.local.connections_of(user_id);
        let mut synced = self
            .0
            .store
            .sync(user_id, &connections)
            .await
            .map_err(|e| (e, work))?;
        if matches!(synced, Synced::NeedSettings) {
            self.load_settings(user_id).await.map_err(|e| (e, work))?;
            synced = self
                .0
                .store
                .sync(user_id, &connections)
                .await
                .map_err(|e| (e, work))?;
        }
        let Synced::Done {
            changed,
            visible,
            settings,
        } = synced
        else {
            return Err((
                anyhow::anyhow!("the chosen status vanished from the cache"),
                work,
            ));
        };
        if changed || work.announce {
            self.publish(&visible.of(user_id), settings)
                .await
                .map_err(|e| (e, Work::ANNOUNCE))?;
        }
        Ok(())
    }

    /// Recomputes a user from Redis alone and publishes a change (the sweep: dead gateways,
    /// expired custom statuses). Safe alongside the user's runner: it writes no connection.
    async fn recompute(&self, user_id: Uuid) {
        let result = async {
            let mut synced = self.0.store.recompute(user_id).await?;
            if matches!(synced, Synced::NeedSettings) {
                self.load_settings(user_id).await?;
                synced = self.0.store.recompute(user_id).await?;
            }
            if let Synced::Done {
                changed: true,
                visible,
                settings,
            } = synced
                && let Err(err) = self.publish(&visible.of(user_id), settings).await
            {
                let what = "presence change not fully published; retrying";
                self.0.failures.record(user_id, what, &err);
                self.schedule(user_id, Work::ANNOUNCE);
            }
            anyhow::Ok(())
        }
        .await;
        if let Err(err) = result {
            self.0
                .failures
                .record(user_id, "presence recompute failed; retrying later", &err);
            self.0.local.failed(user_id, Work::default());
        }
    }

    async fn publish(
        &self,
        presence: &Presence,
        settings: Option<PresenceSettings>,
    ) -> anyhow::Result<()> {
        fanout::publish(
            &self.0.rpc,
            &self.0.nats,
            &self.0.subjects,
            presence,
            settings,
        )
        .await
    }

    /// Loads the user's chosen status from auth-svc into the cache.
    async fn load_settings(&self, user_id: Uuid) -> anyhow::Result<()> {
        let ctx = internal_context("presence-settings");
        let request = PresenceSettingsOfRequest {
            user_ids: vec![user_id],
        };
        let answer = self
            .0
            .rpc
            .call(&ctx, &request)
            .await
            .map_err(|err: ApiError| anyhow::anyhow!("loading the chosen status: {err}"))?;
        let stored = answer
            .settings
            .into_iter()
            .find(|s| s.user_id == user_id)
            .ok_or_else(|| anyhow::anyhow!("auth-svc did not answer for the user"))?;
        self.0.store.set_settings(&stored).await
    }
}

/// The context of requests the gateway makes on its own behalf.
fn internal_context(purpose: &str) -> CallerContext {
    CallerContext {
        request_id: format!("{purpose}-{}", Uuid::new_v4()),
        ..CallerContext::default()
    }
}
