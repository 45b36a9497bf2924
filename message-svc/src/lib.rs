//! message-svc: messages in text channels (send, edit with history, delete, replies, threads,
//! reactions, mentions, pins, forwarding, history, read state, typing, search) and in
//! conversations (end-to-end encrypted envelopes the server cannot read), and attachment
//! metadata.
//!
//! Gateways turn REST calls into NATS requests (`<ns>.rpc.message.<operation>`); this service
//! checks every request against community-svc's permission answer (`channel_access`), stores
//! messages in its own PostgreSQL schema (`message`) and, after each commit, publishes events on
//! the channel's community subject (with the channel scope header) or on the recipients' user
//! subjects. Typing indicators and slow-mode windows live in Redis only.
//!
//! ## Layout
//! - [`MessageService`] (here): connects NATS, PostgreSQL (running `migrations/`) and Redis,
//!   then serves every operation until shutdown.
//! - `handlers/`: one module per area, each adding its operations to the router with a
//!   `routes` function.
//! - `domain/`: validated input of channel messages (bodies, nonces, emoji, mentions, pages).
//! - `repository/`: SQL, one module per table group.
//! - `notify`: channel message events, published after commits.
//! - `state`: what handlers share.

mod domain;
mod handlers;
mod notify;
mod repository;
mod state;

use anyhow::Context;
use chatalot_shared::{
    cache::Cache, config::Config, process::Readiness, rpc::RpcClient, runtime::ServiceRuntime,
    subjects::Service,
};
use sqlx::migrate::Migrator;
use state::{AppState, Shared};
use tokio_util::sync::CancellationToken;

/// The `message` schema's migrations, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A connected, ready-to-serve message service. Build it, then run it until shutdown.
pub struct MessageService {
    state: AppState,
}

impl MessageService {
    /// Connects NATS, PostgreSQL (applying migrations) and Redis and registers their readiness
    /// checks.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let runtime = ServiceRuntime::connect(config, readiness, Service::Message, &MIGRATOR)
            .await
            .context("connecting message-svc to NATS and PostgreSQL")?;
        let cache = Cache::connect(&config.redis)
            .await
            .context("connecting message-svc to Redis")?;
        let ready_cache = cache.clone();
        readiness.add("redis", move || {
            let cache = ready_cache.clone();
            async move { cache.is_ready().await }
        });
        let rpc = RpcClient::new(
            runtime.nats.clone(),
            runtime.subjects.clone(),
            config.nats.request_timeout(),
        );
        let state = AppState::new(Shared {
            pool: runtime.db,
            nats: runtime.nats,
            subjects: runtime.subjects,
            rpc,
            cache,
            attachment_orphan_grace: config.attachments.orphan_grace(),
        });
        Ok(Self { state })
    }

    /// Serves every operation until `shutdown`, then drains, flushes pending events and closes
    /// the pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let state = self.state;
        let nats = state.nats.clone();
        let subjects = state.subjects.clone();
        let pool = state.pool.clone();
        let served = handlers::router(state)
            .serve(nats.clone(), &subjects, shutdown)
            .await;
        chatalot_shared::runtime::finish(&nats, &pool).await;
        served.context("serving message requests")
    }
}
