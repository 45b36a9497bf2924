//! A progress line on stderr once a second (`--progress`), from the run's [`Tally`], so a long
//! run shows it is alive and how far it got. Stdout stays for the report.

use crate::tally::Tally;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_util::sync::{CancellationToken, DropGuard};

/// Prints until the returned guard is dropped.
pub fn spawn(enabled: bool, scenario: &'static str, tally: Arc<Tally>) -> DropGuard {
    let stop = CancellationToken::new();
    if !enabled {
        return stop.drop_guard();
    }
    let done = stop.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = done.cancelled() => break,
                _ = tick.tick() => {}
            }
            eprintln!(
                "[{scenario} {:>5.0}s] connected {} sent {} acked {} delivered {} logins {} errors {}",
                started.elapsed().as_secs_f64(),
                Tally::get(&tally.connected),
                Tally::get(&tally.sent),
                Tally::get(&tally.acked),
                Tally::get(&tally.delivered),
                Tally::get(&tally.logins),
                tally.error_count(),
            );
        }
    });
    stop.drop_guard()
}
