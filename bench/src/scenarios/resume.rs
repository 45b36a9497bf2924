//! `resume`: clients dropped and reconnected in bulk while messages keep coming. Every client
//! follows one channel; after `before_secs` all of them lose their connection at once (no close
//! frame), stay away `down_ms`, then reconnect with `identify { resume }` from the newest message
//! each saw. Reports how long until each had its replay (`resumed`), and whether any acknowledged
//! message was lost or delivered twice (both must be 0).

use super::{Context, stop_followers};
use crate::{
    probe,
    report::{Latency, ResumeResult},
    setup,
    traffic::{Disruption, Follower, Phase, SendStream},
};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct ResumeConfig {
    pub clients: usize,
    /// Messages per second, before, during and after the disconnection.
    pub rate: f64,
    /// Traffic before the drop.
    pub before_secs: f64,
    /// How long the clients stay away.
    pub down_ms: u64,
    /// Traffic after the reconnection.
    pub after_secs: f64,
}

struct CatchUp {
    reconnected: u64,
    resumed: u64,
    latency: Latency,
    all_ms: Option<u64>,
}

pub async fn run(context: &Context<'_>, config: &ResumeConfig) -> anyhow::Result<ResumeResult> {
    let (endpoints, options) = (&context.endpoints, context.options);
    let users = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "c",
        config.clients + 1,
        context.deadline,
    )
    .await?;
    let community = setup::create_community(
        endpoints,
        &users[0],
        &format!("{} resume", options.user_prefix),
        1,
    )
    .await?;
    setup::join(
        endpoints,
        options,
        community.community_id,
        &users[1..],
        context.deadline,
    )
    .await?;
    let stop = CancellationToken::new();
    let disruption = Disruption::default();
    let followers = context
        .follow(&users[1..], &stop, Some(disruption.clone()))
        .await?;

    let before = Duration::from_secs_f64(config.before_secs.max(0.1));
    let down = Duration::from_millis(config.down_ms);
    let after = Duration::from_secs_f64(config.after_secs.max(0.1));
    let phase = Phase {
        endpoints,
        streams: vec![SendStream {
            id: 0,
            channel_id: community.channels[0],
            authors: vec![users[0].clone()],
            rate_per_sec: config.rate,
        }],
        follows: vec![vec![0]; followers.len()],
        followers: &followers,
        duration: before + down + after,
        deadline: context.deadline,
        nonce_prefix: context.nonce_prefix(),
        tally: context.tally.clone(),
        groups: &context.groups,
    };
    let disrupt = async {
        tokio::time::sleep(before).await;
        disruption.drop.cancel();
        tokio::time::sleep(down).await;
        let reconnect_at = Instant::now();
        disruption.reconnect.cancel();
        catch_up(&followers, reconnect_at, context.deadline).await
    };
    let (traffic, caught) = phase.run(disrupt).await;
    let reconnect_failures = followers
        .iter()
        .filter_map(|f| f.state.lock().ok().map(|s| s.gave_up))
        .filter(|gave_up| *gave_up)
        .count() as u64;
    let resume_gaps = followers
        .iter()
        .filter_map(|f| f.state.lock().ok().map(|s| s.resume_gaps))
        .sum();
    stop_followers(&stop, followers).await;
    Ok(ResumeResult {
        clients: config.clients as u64,
        down_ms: config.down_ms,
        reconnected: caught.reconnected,
        reconnect_failures,
        resumed: caught.resumed,
        resume_gaps,
        catch_up: caught.latency,
        all_caught_up_ms: caught.all_ms,
        traffic,
    })
}

/// Waits (at most 60 s, never past `deadline`) until every follower got `resumed` after the
/// reconnection, and measures how long each took from `reconnect_at`.
async fn catch_up(followers: &[Follower], reconnect_at: Instant, deadline: Instant) -> CatchUp {
    let until = (reconnect_at + Duration::from_secs(60)).min(deadline);
    loop {
        let resumed: Vec<Option<Instant>> = followers
            .iter()
            .map(|f| f.state.lock().ok().and_then(|s| s.disruption_resumed))
            .collect();
        let done = resumed.iter().all(Option::is_some);
        if done || Instant::now() >= until {
            let mut histogram = probe::new_histogram();
            for at in resumed.iter().flatten() {
                let micros = at.saturating_duration_since(reconnect_at).as_micros();
                probe::record(&mut histogram, u64::try_from(micros).unwrap_or(u64::MAX));
            }
            let reconnected = followers
                .iter()
                .filter(|f| {
                    f.state
                        .lock()
                        .is_ok_and(|s| s.disruption_reconnected.is_some() && s.connected)
                })
                .count() as u64;
            let last = resumed.iter().flatten().max().copied();
            return CatchUp {
                reconnected,
                resumed: resumed.iter().flatten().count() as u64,
                latency: Latency::of(&histogram),
                all_ms: last
                    .filter(|_| done)
                    .map(|at| at.saturating_duration_since(reconnect_at).as_millis() as u64),
            };
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
