//! community-svc: communities, groups, channels, roles, permission overwrites, members, bans,
//! timeouts, warnings, community invites and the community audit log; and the permission answer
//! every other service and gateway asks for ("what may user U do in channel C?").
//!
//! Gateways turn REST calls into NATS requests (`<ns>.rpc.community.<operation>`, one queue
//! group for all replicas); this service answers them from its own PostgreSQL schema
//! (`community`). After a change commits it publishes an event on the community's subject
//! (`<ns>.evt.community.<id>.<event>`) with scope headers telling gateways whom it is for and
//! whose view to recompute, and, when someone joins or leaves, on that user's subject. It asks
//! auth-svc for a user's names when they join, and follows auth-svc's `user_updated` events to
//! keep them current.
//!
//! ## Layout
//! - [`CommunityService`] (here): connects NATS and PostgreSQL (running `migrations/`), then
//!   serves every operation and follows user updates until shutdown.
//! - `handlers/`: one function per operation, by area (`communities`, `groups`, `channels`,
//!   `roles`, `overwrites`, `members`, `moderation`, `invites`, and `answers` for the
//!   service-to-service permission answers); `standing` is where the caller stands in a
//!   community and what they may do; `membership` is joining and leaving.
//! - `permissions`: the permission resolution, pure and unit tested (`docs/permissions.md`
//!   says the same in words); `hierarchy`: who may manage which role and act on whom.
//! - `views`: a community's snapshot and what one member sees of it, computed in memory.
//! - `domain/`: validated input types (names, slow mode, voice cap, invite limits, timeouts).
//! - `repository/`: SQL, one module per table group, taking a connection or transaction.
//! - `notify`: events published after commits, with their scope headers.
//! - `user_updates`: the `user_updated` follower.
//! - `state`: what handlers share.

mod domain;
mod handlers;
mod hierarchy;
mod notify;
mod permissions;
mod repository;
mod state;
mod user_updates;
mod views;

use anyhow::Context;
use chatalot_shared::{
    config::Config, process::Readiness, rpc::RpcClient, runtime::ServiceRuntime, subjects::Service,
};
use sqlx::migrate::Migrator;
use state::{AppState, Shared};
use tokio_util::sync::CancellationToken;

/// The `community` schema's migrations, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A connected, ready-to-serve community service. Build it, then run it until shutdown.
pub struct CommunityService {
    state: AppState,
    user_updates: async_nats::Subscriber,
}

impl CommunityService {
    /// Connects NATS and PostgreSQL (applying migrations), registers their readiness checks and
    /// subscribes to user updates.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let runtime = ServiceRuntime::connect(config, readiness, Service::Community, &MIGRATOR)
            .await
            .context("connecting community-svc to NATS and PostgreSQL")?;
        let user_updates = user_updates::subscribe(&runtime.nats, &runtime.subjects).await?;
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
        });
        Ok(Self {
            state,
            user_updates,
        })
    }

    /// Serves every community operation and follows user updates until `shutdown` is
    /// cancelled, then stops taking requests, waits for those in flight, flushes pending events
    /// and closes the pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let state = self.state;
        let nats = state.nats.clone();
        let subjects = state.subjects.clone();
        let pool = state.pool.clone();
        // Its own token, so the follower also stops when serving fails on its own.
        let follower_stop = shutdown.child_token();
        let follower = tokio::spawn(user_updates::run(
            state.clone(),
            self.user_updates,
            follower_stop.clone(),
        ));
        let served = handlers::router(state)
            .serve(nats.clone(), &subjects, shutdown)
            .await;
        follower_stop.cancel();
        if let Err(err) = follower.await {
            tracing::error!(error = %err, "the user updates follower failed");
        }
        chatalot_shared::runtime::finish(&nats, &pool).await;
        served.context("serving community requests")
    }
}
