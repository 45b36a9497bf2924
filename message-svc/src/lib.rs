//! message-svc: messages in text channels (send, edit with history, delete, replies, threads,
//! reactions, mentions, pins, forwarding, history, read state, typing, search) and in
//! conversations (end-to-end encrypted envelopes the server cannot read), and attachment
//! metadata.
//!
//! Gateways turn REST calls into NATS requests (`<ns>.rpc.message.<operation>`); this service
//! checks every request against community-svc's permission answer (`channel_access`), stores
//! messages in its own PostgreSQL schema (`message`) and, after each commit, publishes events on
//! the channel's community subject (with the channel scope header) or on the recipients' user
//! subjects. Typing indicators and slow-mode windows live in Redis only. Recipients of a
//! conversation message who are connected nowhere get a Web Push (metadata only) instead.
//!
//! ## Layout
//! - [`MessageService`] (here): connects NATS, PostgreSQL (running `migrations/`) and Redis,
//!   then serves every operation until shutdown.
//! - `handlers/`: one module per area, each adding its operations to the router with a
//!   `routes` function.
//! - `domain/`: validated input of channel messages (bodies, nonces, emoji, mentions, pages).
//! - `repository/`: SQL, one module per table group.
//! - `group_commit`: batches of work per channel, each in one transaction (used for sends).
//! - `notify`: channel message events, published after commits.
//! - `push`: Web Push of conversation messages to recipients with no live connection, from a
//!   bounded queue worked off in the background.
//! - `state`: what handlers share.

mod domain;
mod group_commit;
mod handlers;
mod notify;
mod push;
mod repository;
mod state;

/// The parsers of untrusted input, for the cargo-fuzz targets in `fuzz/` only (not an API).
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::handlers::conversations::input::CheckedEnvelope;
}

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
    /// Sends Web Push in the background while the service runs; `None` when push is off.
    push_worker: Option<push::PushWorker>,
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
        let (pusher, push_worker) = push::build(config, runtime.db.clone(), cache.clone())
            .context("setting up web push (push.*)")?;
        let state = AppState::new(Shared {
            pool: runtime.db,
            nats: runtime.nats,
            subjects: runtime.subjects,
            rpc,
            cache,
            attachment_orphan_grace: config.attachments.orphan_grace(),
            push: pusher,
            sends: handlers::channel_sends(),
        });
        Ok(Self { state, push_worker })
    }

    /// Serves every operation until `shutdown`, then drains, lets pushes under way finish,
    /// flushes pending events and closes the pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let state = self.state;
        let nats = state.nats.clone();
        let subjects = state.subjects.clone();
        let pool = state.pool.clone();
        let stop_pushing = CancellationToken::new();
        let pushing = self
            .push_worker
            .map(|worker| tokio::spawn(worker.run(stop_pushing.clone())));
        let served = handlers::router(state)
            .serve(nats.clone(), &subjects, shutdown)
            .await;
        stop_pushing.cancel();
        if let Some(pushing) = pushing
            && let Err(err) = pushing.await
        {
            tracing::warn!(error = %err, "the push worker ended abnormally");
        }
        chatalot_shared::runtime::finish(&nats, &pool).await;
        served.context("serving message requests")
    }
}
