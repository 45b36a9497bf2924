//! auth-svc: accounts, credentials, sessions, refresh tokens, instance settings, registration
//! invites and the audit log of a Chatalot instance.
//!
//! Gateways turn REST calls into NATS requests (`<ns>.rpc.auth.<operation>`, one queue group for
//! all replicas); this service answers them from its own PostgreSQL schema (`auth`). Access
//! tokens it signs are verified by gateways without asking it again; what a token cannot say
//! (session revoked, account disabled) is published on `<ns>.evt.sessions.revoked` after the
//! change commits, and re-checked in the database on every call that needs a caller.
//!
//! ## Layout
//! - [`AuthService`] (here): connects NATS, PostgreSQL (running `migrations/`) and Redis, then
//!   serves every operation until shutdown.
//! - `handlers/`: one function per operation, by area: `accounts` (register, login, profile,
//!   password), `sessions` (refresh, logout, session list), `instance` (settings, registration
//!   invites), `admin` (users, roles, audit log), `presence` (the status a user chose);
//!   `caller` checks the caller against the database.
//! - `domain/`: validated input types (`Username`, `Password`, `Email`, ...) with their rules
//!   and unit tests; `common-passwords.txt` is the bundled list of refused passwords.
//! - `repository/`: SQL, one module per table group, taking a connection or transaction.
//! - `password`: argon2id on the blocking pool with bounded concurrency.
//! - `tokens`: Ed25519 JWT access tokens; refresh tokens and their SHA-256.
//! - `throttle`: login and registration limits in Redis (failing open when Redis is down).
//! - `notify`: events published after commits (sessions revoked, user updated).
//! - `state`: what handlers share.

mod domain;
mod handlers;
mod notify;
mod password;
mod repository;
mod state;
mod throttle;
mod tokens;

use anyhow::Context;
use chatalot_shared::{
    cache::Cache, config::Config, process::Readiness, runtime::ServiceRuntime, subjects::Service,
};
use sqlx::{PgPool, migrate::Migrator};
use state::{AppState, SessionPolicy, Shared};
use tokio_util::sync::CancellationToken;

/// The `auth` schema's migrations, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A connected, ready-to-serve auth service. Build it, then run it until shutdown.
pub struct AuthService {
    state: AppState,
}

impl AuthService {
    /// Loads the signing key, connects NATS, PostgreSQL (applying migrations) and Redis, and
    /// registers their readiness checks.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        // First, so a missing key fails before anything else is touched.
        let tokens = tokens::TokenIssuer::from_config(&config.jwt)?;

        // NATS and PostgreSQL (schema `auth`, migrations applied under a lock), with their
        // readiness checks.
        let runtime = ServiceRuntime::connect(config, readiness, Service::Auth, &MIGRATOR)
            .await
            .context("connecting auth-svc to NATS and PostgreSQL")?;

        let cache = Cache::connect(&config.redis)
            .await
            .context("connecting auth-svc to Redis")?;
        let ready_cache = cache.clone();
        readiness.add("redis", move || {
            let cache = ready_cache.clone();
            async move { cache.is_ready().await }
        });

        let passwords = password::PasswordHasher::new(&config.auth)
            .await
            .context("setting up password hashing")?;

        let state = AppState::new(Shared {
            pool: runtime.db,
            nats: runtime.nats,
            subjects: runtime.subjects,
            throttle: throttle::Throttle::new(cache, &config.auth),
            passwords,
            tokens,
            sessions: SessionPolicy::from_config(&config.auth),
        });
        Ok(Self { state })
    }

    /// Serves every auth operation until `shutdown` is cancelled, then stops taking requests,
    /// waits for those in flight, flushes pending events and closes the pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let state = self.state;
        let nats = state.nats.clone();
        let subjects = state.subjects.clone();
        let pool: PgPool = state.pool.clone();
        let served = handlers::router(state)
            .serve(nats.clone(), &subjects, shutdown)
            .await;
        chatalot_shared::runtime::finish(&nats, &pool).await;
        served.context("serving auth requests")
    }
}
