//! `fanout`: S senders and R receivers in one channel, at a fixed offered rate or stepping the
//! rate up. Reports per step the end-to-end latency of every delivery, deliveries and
//! acknowledgements per second, losses and duplicates, and the CPU each measured process spent
//! per 10,000 deliveries.

use super::{Context, stop_followers};
use crate::{
    report::FanoutResult,
    setup,
    traffic::{Phase, SendStream},
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct FanoutConfig {
    pub senders: usize,
    /// Follower connections.
    pub receivers: usize,
    /// Users the receiver connections belong to (round-robin); 0: one user per connection.
    pub receiver_users: usize,
    /// Offered messages per second over all senders, one per step.
    pub rates: Vec<f64>,
    /// Length of each step's sending window.
    pub step_secs: f64,
}

pub async fn run(context: &Context<'_>, config: &FanoutConfig) -> anyhow::Result<FanoutResult> {
    let (endpoints, options) = (&context.endpoints, context.options);
    let senders = config.senders.max(1);
    let receiver_users = match config.receiver_users {
        0 => config.receivers,
        n => n.min(config.receivers),
    };
    let authors = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "s",
        senders,
        context.deadline,
    )
    .await?;
    let readers = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "r",
        receiver_users,
        context.deadline,
    )
    .await?;
    let community = setup::create_community(
        endpoints,
        &authors[0],
        &format!("{} fanout", options.user_prefix),
        1,
    )
    .await?;
    setup::join(
        endpoints,
        options,
        community.community_id,
        &authors[1..],
        context.deadline,
    )
    .await?;
    setup::join(
        endpoints,
        options,
        community.community_id,
        &readers,
        context.deadline,
    )
    .await?;

    let connections: Vec<_> = (0..config.receivers)
        .filter_map(|i| readers.get(i % receiver_users.max(1)).cloned())
        .collect();
    let stop = CancellationToken::new();
    let followers = context.follow(&connections, &stop, None).await?;

    let mut steps = Vec::with_capacity(config.rates.len());
    for (k, rate) in config.rates.iter().enumerate() {
        if tokio::time::Instant::now() >= context.deadline {
            break;
        }
        let streams: Vec<SendStream> = authors
            .iter()
            .enumerate()
            .map(|(j, author)| SendStream {
                id: u32::try_from(k * senders + j).unwrap_or(u32::MAX),
                channel_id: community.channels[0],
                authors: vec![author.clone()],
                rate_per_sec: rate / senders as f64,
            })
            .collect();
        let ids: Vec<u32> = streams.iter().map(|s| s.id).collect();
        let phase = Phase {
            endpoints,
            streams,
            follows: vec![ids; followers.len()],
            followers: &followers,
            duration: Duration::from_secs_f64(config.step_secs.max(0.1)),
            deadline: context.deadline,
            nonce_prefix: context.nonce_prefix(),
            tally: context.tally.clone(),
            groups: &context.groups,
        };
        let (result, ()) = phase.run(async {}).await;
        steps.push(result);
    }
    stop_followers(&stop, followers).await;
    Ok(FanoutResult {
        senders: senders as u64,
        receivers: config.receivers as u64,
        receiver_users: receiver_users as u64,
        steps,
    })
}
