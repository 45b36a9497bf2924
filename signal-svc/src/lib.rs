//! signal-svc: voice and video calls. It owns who is in which call and in what state (muted,
//! deafened, camera, screen), relays WebRTC signaling between participants, hands out ICE
//! servers with time-limited TURN credentials, and enforces the rules: the participant cap,
//! `connect`, `speak` and `video` (community-svc's answers), timeouts, moderators' removals and
//! the grace period after a dropped connection. See `docs/calls.md`.
//!
//! Call state lives in Redis only (with expiry), changed by atomic scripts, so any replica
//! serves any request and a replica that dies loses nothing; the PostgreSQL schema `signal`
//! holds nothing yet. Gateways forward the WebSocket commands (join, leave, own state, signals)
//! with the connection they came on, and the REST reads and moderation, as NATS requests
//! (`<ns>.rpc.signal.<operation>`). Participant events go to everyone who sees the voice
//! channel (community subject, channel scope) or to the conversation's members; signals to the
//! target user only.
//!
//! ## Layout
//! - [`SignalService`] (here): connects NATS, PostgreSQL and Redis, then serves requests, runs
//!   the sweeper and follows permission changes until shutdown.
//! - `handlers/`: participation (join, leave, state, closed connections), signaling, calls
//!   (read, remove a participant), ICE servers.
//! - `access`: where a user stands in a call's place (community-svc, message-svc).
//! - `store`: the Redis keys and the Lua scripts that change them.
//! - `sweeper`: removes participants whose connection or gateway is gone, after the grace.
//! - `watcher`: follows membership and permission events and applies them to calls.
//! - `turn`: coturn `use-auth-secret` credentials.
//! - `notify`: events, published after the change is in Redis.
//! - `state`: what all of them share.

mod access;
mod handlers;
mod notify;
mod state;
mod store;
mod sweeper;
mod turn;
mod watcher;

use anyhow::Context;
use async_nats::Subscriber;
use chatalot_shared::{
    cache::Cache, config::Config, process::Readiness, rpc::RpcClient, runtime::ServiceRuntime,
    subjects::Service,
};
use futures::stream::SelectAll;
use sqlx::{PgPool, migrate::Migrator};
use state::{AppState, Shared};
use store::CallStore;
use tokio_util::{sync::CancellationToken, task::AbortOnDropHandle};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A connected, ready-to-serve replica of the signal service.
pub struct SignalService {
    state: AppState,
    pool: PgPool,
    access_events: SelectAll<Subscriber>,
}

impl SignalService {
    /// Connects NATS, the database (applying migrations) and Redis, and subscribes to the
    /// permission events calls follow.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let runtime = ServiceRuntime::connect(config, readiness, Service::Signal, &MIGRATOR)
            .await
            .context("connecting signal-svc to NATS and PostgreSQL")?;
        let cache = Cache::connect(&config.redis)
            .await
            .context("connecting signal-svc to Redis")?;
        let ready_cache = cache.clone();
        readiness.add("redis", move || {
            let cache = ready_cache.clone();
            async move { cache.is_ready().await }
        });
        // Half the callers' budget for each question this service asks another, so the answer
        // to a gateway (which waits `nats.request_timeout_ms`) reflects what happened.
        let rpc = RpcClient::new(
            runtime.nats.clone(),
            runtime.subjects.clone(),
            config.nats.request_timeout() / 2,
        );
        let access_events = watcher::subscribe(&runtime.nats, &runtime.subjects).await?;
        let state = AppState::new(Shared {
            nats: runtime.nats,
            subjects: runtime.subjects,
            rpc,
            store: CallStore::new(
                cache,
                std::time::Duration::from_secs(config.calls.state_ttl_secs),
            ),
            config: config.calls.clone(),
            replica_id: uuid::Uuid::new_v4(),
        });
        Ok(Self {
            state,
            pool: runtime.db,
            access_events,
        })
    }

    /// Serves requests, sweeps and follows permission changes until `shutdown`, then drains,
    /// flushes pending events and closes the pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let state = self.state;
        let nats = state.nats.clone();
        let subjects = state.subjects.clone();
        // Aborted with this future, should it be dropped (a replica killed in-process).
        let sweeper = AbortOnDropHandle::new(sweeper::spawn(state.clone(), shutdown.clone()));
        let follower = AbortOnDropHandle::new(tokio::spawn(watcher::run(
            state.clone(),
            self.access_events,
            shutdown.clone(),
        )));
        let served = handlers::router(state)
            .serve(nats.clone(), &subjects, shutdown)
            .await;
        let _ = sweeper.await;
        let _ = follower.await;
        chatalot_shared::runtime::finish(&nats, &self.pool).await;
        served.context("serving signal requests")
    }
}
