//! `connections`: open N identified WebSocket connections spread over the gateways and source
//! addresses, hold them idle with heartbeats, and report each gateway's resident memory per
//! connection, its CPU while idle, and the connect rate.

use super::Context;
use crate::{
    client::ws::{Connection, Incoming},
    procstat::{self, round3},
    report::{ConnectionsResult, GatewayMemory, per_sec},
    setup,
    tally::Tally,
};
use anyhow::bail;
use futures::StreamExt;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct ConnectionsConfig {
    pub count: usize,
    /// Users the connections are spread over (each registered first).
    pub users: usize,
    /// How long the connections are held idle before memory is measured.
    pub hold_secs: f64,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
}

/// Files this process may keep besides its connections (HTTP clients, /proc reads, stdio).
const SPARE_FILES: u64 = 256;

/// The soft limit on open files of this process (`Max open files` in /proc/self/limits).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

pub async fn run(
    context: &Context<'_>,
    config: &ConnectionsConfig,
) -> anyhow::Result<ConnectionsResult> {
    let (endpoints, options) = (&context.endpoints, context.options);
    if let Some(limit) = open_files_limit()
        && config.count as u64 + SPARE_FILES > limit
    {
        bail!(
            "{} connections need more open files than this process may hold ({limit}); run \
             several bench processes with distinct --user-prefix (see docs/benchmarks.md)",
            config.count
        );
    }
    let users = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "u",
        config.users.max(1),
        context.deadline,
    )
    .await?;

    let gateway_pid = |g: usize| context.target.gateway_pids.get(g).copied();
    let gateways = endpoints.gateways.len();
    let rss_before: Vec<Option<u64>> = (0..gateways)
        .map(|g| gateway_pid(g).and_then(procstat::rss_kib))
        .collect();

    let started = Instant::now();
    let opened: Vec<(usize, Connection)> = futures::stream::iter(0..config.count)
        .map(|i| {
            let token = &users[i % users.len()].access_token;
            async move {
                let opened =
                    Connection::open(endpoints.gateway(i), endpoints.source(i), token, None).await;
                (i % gateways, opened)
            }
        })
        .buffer_unordered(config.connect_concurrency.max(1))
        .take_until(tokio::time::sleep_until(context.deadline))
        .filter_map(|(gateway, opened)| async move {
            match opened {
                Ok(connection) => {
                    Tally::add(&context.tally.connected, 1);
                    Some((gateway, connection))
                }
                Err(err) => {
                    context.tally.error(format!("connect: {err:#}"));
                    None
                }
            }
        })
        .collect()
        .await;
    let connect_secs = started.elapsed().as_secs_f64();
    let mut per_gateway = vec![0u64; gateways];
    for (gateway, _) in &opened {
        per_gateway[*gateway] += 1;
    }

    // Hold: every connection answers heartbeats in its own task, as an idle client would.
    let stop = CancellationToken::new();
    let holders: Vec<_> = opened
        .into_iter()
        .map(|(_, mut connection)| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut acks = 0u64;
                loop {
                    match connection.next(&stop).await {
                        Incoming::HeartbeatAck => acks += 1,
                        Incoming::Stopped => {
                            connection.close().await;
                            return (acks, false);
                        }
                        Incoming::Closed(_) | Incoming::Dropped(_) => return (acks, true),
                        _ => {}
                    }
                }
            })
        })
        .collect();
    let window = procstat::Window::start(&context.groups);
    let cpu_before: Vec<Option<f64>> = (0..gateways)
        .map(|g| gateway_pid(g).and_then(procstat::cpu_secs))
        .collect();
    let hold_started = Instant::now();
    let hold_end =
        (hold_started + Duration::from_secs_f64(config.hold_secs.max(0.0))).min(context.deadline);
    tokio::time::sleep_until(hold_end).await;
    let hold_secs = hold_started.elapsed().as_secs_f64();
    let processes = window.finish(None);
    let gateway_memory = (0..gateways)
        .map(|g| {
            let pid = gateway_pid(g);
            let after = pid.and_then(procstat::rss_kib);
            let cpu_after = pid.and_then(procstat::cpu_secs);
            let connections = per_gateway[g];
            GatewayMemory {
                url: endpoints.gateways[g].base.clone(),
                connections,
                pid,
                rss_before_kib: rss_before[g],
                rss_after_kib: after,
                rss_per_connection_kib: match (rss_before[g], after) {
                    (Some(before), Some(after)) if connections > 0 => Some(round3(
                        after.saturating_sub(before) as f64 / connections as f64,
                    )),
                    _ => None,
                },
                idle_cpu_percent: match (cpu_before[g], cpu_after) {
                    (Some(before), Some(after)) if hold_secs > 0.0 => {
                        Some(round3((after - before).max(0.0) / hold_secs * 100.0))
                    }
                    _ => None,
                },
            }
        })
        .collect();

    stop.cancel();
    let (mut heartbeat_acks, mut closed_during_hold) = (0, 0);
    for (acks, closed) in futures::future::join_all(holders)
        .await
        .into_iter()
        .flatten()
    {
        heartbeat_acks += acks;
        closed_during_hold += u64::from(closed);
    }
    if closed_during_hold > 0 {
        context.tally.error(format!(
            "{closed_during_hold} connections closed by the gateway while held"
        ));
    }
    let opened_count: u64 = per_gateway.iter().sum();
    Tally::sub(&context.tally.connected, opened_count);
    Ok(ConnectionsResult {
        requested: config.count as u64,
        opened: opened_count,
        failed: config.count as u64 - opened_count,
        users: users.len() as u64,
        connect_secs: round3(connect_secs),
        connect_rate_per_sec: per_sec(opened_count, connect_secs),
        hold_secs: round3(hold_secs),
        heartbeat_acks,
        closed_during_hold,
        gateways: gateway_memory,
        processes,
    })
}
