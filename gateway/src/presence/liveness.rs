//! The gateway's background presence work, until shutdown:
//!
//! - **Refresh**, every `presence.gateway_ttl_secs / 3`: sets this gateway's liveness key (TTL
//!   `gateway_ttl_secs`) and its score in the gateway set. If the key was gone, Redis lost this
//!   gateway's records (a restart, or the gateway stalled past its TTL and was swept): every
//!   local connection is registered again and the aggregates recomputed, which republishes
//!   whatever changed. Users whose update failed earlier are retried here too.
//! - **Sweep**, every `presence.sweep_interval_ms`: claims gateways whose liveness ran out (each
//!   for one sweeper, with a lease), recomputes their users (dropping the dead connections) and
//!   publishes those who went offline; then claims users whose custom status expired and
//!   publishes them without it. A killed gateway's users are therefore offline at most
//!   `gateway_ttl_secs + sweep_interval_ms` after it died (35 s by default), unless connected
//!   elsewhere.
//! - **Leave**, on a clean shutdown (after the sockets drained): finishes the pending updates,
//!   deletes the liveness key and makes the gateway due for a sweep at once.

use super::PresenceTracker;
use futures::StreamExt;
use std::time::Duration;
use tokio::time::MissedTickBehavior;
use tokio_util::{sync::CancellationToken, task::AbortOnDropHandle};
use uuid::Uuid;

/// Dead gateways handled per sweep.
const GATEWAYS_PER_SWEEP: usize = 16;
/// Expired custom statuses handled per sweep.
const EXPIRED_PER_SWEEP: usize = 500;
/// Users recomputed at once while sweeping.
const SWEEP_CONCURRENCY: usize = 16;
/// The longest a clean shutdown waits for the last presence updates.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the refresh and the sweep until `stop`, then leaves. Dropping the handle aborts the
/// work without leaving (as a crash would): the liveness key then simply runs out.
pub fn spawn(tracker: PresenceTracker, stop: CancellationToken) -> AbortOnDropHandle<()> {
    AbortOnDropHandle::new(tokio::spawn(async move {
        let refresh = refresh_loop(tracker.clone(), stop.clone());
        let sweep = sweep_loop(tracker.clone(), stop.clone());
        tokio::join!(refresh, sweep);
        tracker.leave().await;
    }))
}

async fn refresh_loop(tracker: PresenceTracker, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(tracker.0.config.refresh_interval());
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut healthy: Option<bool> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let outcome = tokio::select! {
            _ = stop.cancelled() => break,
            outcome = tracker.refresh() => outcome,
        };
        // Log transitions only, not every failed tick of an outage.
        match outcome {
            Ok(()) if healthy != Some(true) => {
                if healthy.is_some() {
                    tracing::info!("presence: Redis reachable again");
                }
                healthy = Some(true);
            }
            Err(err) if healthy != Some(false) => {
                tracing::warn!(error = %err, "presence degraded: cannot refresh this gateway's liveness; retrying");
                healthy = Some(false);
            }
            _ => {}
        }
    }
}

async fn sweep_loop(tracker: PresenceTracker, stop: CancellationToken) {
    let interval = tracker.0.config.sweep_interval();
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            swept = tracker.sweep() => if let Err(err) = swept {
                tracing::debug!(error = %err, "presence sweep failed; retrying next time");
            },
        }
    }
}

impl PresenceTracker {
    /// One liveness refresh (connecting to Redis first if needed).
    async fn refresh(&self) -> anyhow::Result<()> {
        self.0.store.connect().await?;
        let existed = self.0.store.refresh_liveness().await?;
        if !existed {
            let users = self.0.local.users();
            if !users.is_empty() {
                tracing::info!(
                    users = users.len(),
                    "presence: this gateway's records were gone from Redis; registering its connections again"
                );
            }
            for user_id in users {
                self.schedule(user_id, Default::default());
            }
        }
        for (user_id, work) in self.0.local.take_failed() {
            self.schedule(user_id, work);
        }
        Ok(())
    }

    /// One sweep of dead gateways and expired custom statuses.
    async fn sweep(&self) -> anyhow::Result<()> {
        for gateway in self.0.store.claim_dead_gateways(GATEWAYS_PER_SWEEP).await? {
            if gateway == self.0.gateway {
                // Our own liveness ran out (Redis was away or we stalled): the next refresh
                // registers our connections again.
                continue;
            }
            let users = self.0.store.users_of(gateway).await?;
            self.recompute_all(&users).await;
            self.0.store.forget_gateway(gateway).await?;
            tracing::info!(%gateway, users = users.len(), "presence: swept a dead gateway");
        }
        let expired = self.0.store.claim_expired(EXPIRED_PER_SWEEP).await?;
        self.recompute_all(&expired).await;
        Ok(())
    }

    async fn recompute_all(&self, users: &[Uuid]) {
        futures::stream::iter(users.iter().copied())
            .for_each_concurrent(SWEEP_CONCURRENCY, |user_id| async move {
                self.recompute(user_id).await;
            })
            .await;
    }

    /// A clean shutdown: the sockets have closed, so their updates are queued; let them finish,
    /// then take this gateway out.
    async fn leave(&self) {
        self.0.runners.close();
        if tokio::time::timeout(LEAVE_TIMEOUT, self.0.runners.wait())
            .await
            .is_err()
        {
            tracing::warn!("presence: shutting down with updates still pending");
        }
        match self.0.store.leave().await {
            Ok(()) => tracing::debug!("presence: left"),
            Err(err) => {
                tracing::warn!(error = %err, "presence: could not remove this gateway's liveness; it runs out by itself")
            }
        }
    }
}
