//! `logins`: a login storm, and what it does to message latency meanwhile. A small fanout
//! (one sender, R receivers) runs first alone (`baseline`), then for the same length while N
//! logins (argon2id on the server) run at a given concurrency (`during_logins`).

use super::{Context, stop_followers};
use crate::{
    client::api::Session,
    probe,
    report::{Latency, LoginsResult, TrafficResult, per_sec},
    setup,
    tally::Tally,
    traffic::{Phase, SendStream},
};
use futures::StreamExt;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct LoginsConfig {
    pub logins: usize,
    /// Accounts the logins cycle through (each registered first).
    pub login_users: usize,
    /// Logins in flight at once.
    pub concurrency: usize,
    /// Follower connections of the background traffic.
    pub receivers: usize,
    /// Messages per second of the background traffic.
    pub rate: f64,
    /// Length of the baseline window and of the storm window.
    pub secs: f64,
}

struct Storm {
    ok: u64,
    failed: u64,
    secs: f64,
    latency: Latency,
}

pub async fn run(context: &Context<'_>, config: &LoginsConfig) -> anyhow::Result<LoginsResult> {
    let (endpoints, options) = (&context.endpoints, context.options);
    let login_users = config.login_users.clamp(1, config.logins.max(1));
    let accounts = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "l",
        login_users,
        context.deadline,
    )
    .await?;
    let room = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "r",
        config.receivers + 1,
        context.deadline,
    )
    .await?;
    let community = setup::create_community(
        endpoints,
        &room[0],
        &format!("{} logins", options.user_prefix),
        1,
    )
    .await?;
    setup::join(
        endpoints,
        options,
        community.community_id,
        &room[1..],
        context.deadline,
    )
    .await?;
    let stop = CancellationToken::new();
    let followers = context.follow(&room[1..], &stop, None).await?;

    let window = Duration::from_secs_f64(config.secs.max(0.1));
    let phase = |id: u32| Phase {
        endpoints,
        streams: vec![SendStream {
            id,
            channel_id: community.channels[0],
            authors: vec![room[0].clone()],
            rate_per_sec: config.rate,
        }],
        follows: vec![vec![id]; followers.len()],
        followers: &followers,
        duration: window,
        deadline: context.deadline,
        nonce_prefix: context.nonce_prefix(),
        tally: context.tally.clone(),
        groups: &context.groups,
    };
    let (baseline, ()) = phase(0).run(async {}).await;
    let storm_end = (Instant::now() + window).min(context.deadline);
    let (during_logins, storm): (TrafficResult, Storm) = phase(1)
        .run(storm(context, &accounts, config, storm_end))
        .await;
    stop_followers(&stop, followers).await;
    Ok(LoginsResult {
        logins: config.logins as u64,
        login_users: login_users as u64,
        concurrency: config.concurrency as u64,
        logins_ok: storm.ok,
        logins_failed: storm.failed,
        logins_per_sec: per_sec(storm.ok, storm.secs),
        login_latency: storm.latency,
        baseline,
        during_logins,
    })
}

/// Runs the logins until done or `end`; those not finished by then are not counted.
async fn storm(
    context: &Context<'_>,
    accounts: &[Session],
    config: &LoginsConfig,
    end: Instant,
) -> Storm {
    let started = Instant::now();
    let mut latency = probe::new_histogram();
    let (mut ok, mut failed) = (0, 0);
    let mut logins = futures::stream::iter(0..config.logins)
        .map(|i| {
            let api = context.endpoints.api(i);
            let account = &accounts[i % accounts.len()];
            async move {
                let begun = Instant::now();
                let result = api
                    .login(&account.username, &context.options.password)
                    .await;
                (result, begun.elapsed())
            }
        })
        .buffer_unordered(config.concurrency.max(1));
    while let Ok(Some((result, elapsed))) = tokio::time::timeout_at(end, logins.next()).await {
        match result {
            Ok(_) => {
                ok += 1;
                Tally::add(&context.tally.logins, 1);
                probe::record(
                    &mut latency,
                    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                );
            }
            Err(err) => {
                failed += 1;
                context.tally.error(err.to_string());
            }
        }
    }
    Storm {
        ok,
        failed,
        secs: started.elapsed().as_secs_f64(),
        latency: Latency::of(&latency),
    }
}
