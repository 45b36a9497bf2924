//! keys-svc: devices and their public key material for end-to-end encryption: identity keys,
//! signed prekeys (signatures verified on upload, the previous one kept for a grace period after
//! a rotation) and one-time prekeys (each handed out at most once).
//!
//! Gateways turn REST calls into NATS requests (`<ns>.rpc.keys.<operation>`). A device belongs
//! to the session that registered it: only that session may change its keys; any session of
//! the user may remove it. A user's devices and bundles are visible to those who may message
//! them (the user, and anyone sharing a community or a conversation with them; asked of
//! community-svc and message-svc), everyone else gets `not_found`. Bundle fetches are rate
//! limited per (caller, device) in Redis. After each commit, `devices_changed` (register,
//! remove) goes to the owner and to everyone sharing a conversation with them (message-svc's
//! `list_conversation_partners`), and `keys_low` (fewer than 20 one-time prekeys left) to the
//! owner's own user subject.
//!
//! ## Layout
//! - [`KeysService`] (here): connects NATS, PostgreSQL (schema `keys`, running `migrations/`)
//!   and Redis, then serves every operation until shutdown.
//! - `handlers/`: devices (register, list, remove), prekeys (rotate, upload, count), bundles,
//!   and the visibility rule.
//! - `domain`: parsing keys, signatures and device names from their wire form.
//! - signed prekeys are checked with `chatalot_crypto::xeddsa::verify`, the same code clients use.
//! - `repository/`: SQL for devices and prekeys.
//! - `notify`: events, published after commits.
//! - `state`: what handlers share.

mod domain;
mod handlers;
mod notify;
mod repository;
mod state;

pub use handlers::{BUNDLE_RATE_LIMIT, BUNDLE_RATE_WINDOW, SIGNED_PREKEY_GRACE};

use anyhow::Context;
use chatalot_shared::{
    cache::Cache, config::Config, process::Readiness, rpc::RpcClient, runtime::ServiceRuntime,
    subjects::Service,
};
use sqlx::migrate::Migrator;
use state::{AppState, Shared};
use tokio_util::sync::CancellationToken;

/// The `keys` schema's migrations, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A connected, ready-to-serve keys service. Build it, then run it until shutdown.
pub struct KeysService {
    state: AppState,
}

impl KeysService {
    /// Connects NATS, PostgreSQL (applying migrations) and Redis and registers their readiness
    /// checks.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let runtime = ServiceRuntime::connect(config, readiness, Service::Keys, &MIGRATOR)
            .await
            .context("connecting keys-svc to NATS and PostgreSQL")?;
        let cache = Cache::connect(&config.redis)
            .await
            .context("connecting keys-svc to Redis")?;
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
        served.context("serving keys requests")
    }
}
