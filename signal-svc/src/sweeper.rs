//! The grace period, enforced: participants whose connection ended (the gateway said so) or
//! whose gateway died (its liveness key expired: a SIGKILL, a crash) are marked disconnected and,
//! `calls.disconnect_grace_ms` later, removed from the call, the others told.
//!
//! Every replica runs this loop; each round one of them takes a Redis lease and walks the calls
//! that have participants. Removals are compare-and-set on the record read, so even two replicas
//! sweeping at once (a slow round overlapping the next) remove a participant once and publish
//! one `call_participant_left`.

use crate::{
    handlers::{mark_disconnected, remove_and_tell},
    state::AppState,
    store::Stored,
};
use chatalot_shared::{
    ApiError,
    contracts::calls::{CallId, CallLeaveReason},
};
use chrono::Utc;
use std::collections::HashMap;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Sweeps every `calls.sweep_interval_ms` until `shutdown`.
pub fn spawn(state: AppState, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let interval = state.config.sweep_interval();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
            }
            match state.store.claim_sweep(state.replica_id, interval).await {
                Ok(true) => {
                    if let Err(error) = sweep(&state).await {
                        tracing::warn!(%error, "call sweep stopped early; the next round resumes");
                    }
                }
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "cannot take the call sweep lease"),
            }
        }
        tracing::info!("call sweeper stopped");
    })
}

/// One round over every call with participants.
async fn sweep(state: &AppState) -> Result<(), ApiError> {
    let mut gateways = HashMap::new();
    let mut cursor = 0;
    loop {
        let (next, calls) = state.store.active_calls(cursor).await?;
        for call in calls {
            if let Err(error) = sweep_call(state, call, &mut gateways).await {
                tracing::warn!(call = %call.key(), %error, "call not swept");
            }
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

async fn sweep_call(
    state: &AppState,
    call: CallId,
    gateways: &mut HashMap<Uuid, bool>,
) -> Result<(), ApiError> {
    let participants = state.store.participants(call).await?;
    if participants.is_empty() {
        let community_id = None; // its community's set is tidied by the event follower
        state.store.forget_if_empty(call, community_id).await?;
        return Ok(());
    }
    let grace = chrono::Duration::from_std(state.config.disconnect_grace())
        .unwrap_or(chrono::Duration::MAX);
    let mut live = Vec::with_capacity(participants.len());
    for stored in participants {
        let gateway_id = stored.entry.connection.gateway_id;
        let alive = match gateways.get(&gateway_id) {
            Some(alive) => *alive,
            None => {
                let alive = state.store.gateway_alive(gateway_id).await?;
                gateways.insert(gateway_id, alive);
                alive
            }
        };
        if let Some(stored) = sweep_participant(state, call, stored, alive, grace).await? {
            live.push(stored);
        }
    }
    state.store.refresh(call, &live).await?;
    Ok(())
}

/// What becomes of one participant this round; returns them if they stay as they are.
async fn sweep_participant(
    state: &AppState,
    call: CallId,
    mut stored: Stored,
    gateway_alive: bool,
    grace: chrono::Duration,
) -> Result<Option<Stored>, ApiError> {
    if gateway_alive && !stored.entry.gateway_seen {
        let mut entry = stored.entry.clone();
        entry.gateway_seen = true;
        match state.store.replace(call, &stored, entry).await? {
            Some(seen) => stored = seen,
            None => return Ok(None), // changed meanwhile: next round
        }
    }
    if let Some(since) = stored.entry.disconnected_at {
        if Utc::now() - since >= grace {
            remove_and_tell(state, call, &stored, CallLeaveReason::Disconnected).await?;
            return Ok(None);
        }
    } else if !gateway_alive && stored.entry.gateway_seen {
        // The gateway died without closing its connections: the grace period starts now.
        mark_disconnected(state, call, &stored).await?;
        return Ok(None);
    }
    Ok(Some(stored))
}
