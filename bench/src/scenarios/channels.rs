//! `channels`: many small channels active at once, the shape of a community server. K
//! communities of M members each, every community with C text channels, each channel with its
//! own trickle of messages from its members in turn. Every member holds one connection and
//! receives the messages of all channels of its community (it can see them all), so each message
//! is delivered M times.
//!
//! End-to-end encrypted conversations are not part of it yet: sending one needs devices and
//! prekeys (the `crypto` crate), which the bench does not speak.

use super::{Context, stop_followers};
use crate::{
    report::ChannelsResult,
    setup,
    traffic::{Phase, SendStream},
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct ChannelsConfig {
    pub communities: usize,
    pub channels_per_community: usize,
    /// Members of each community, owner included; each holds one connection.
    pub members_per_community: usize,
    /// Messages per second in each channel.
    pub rate_per_channel: f64,
    pub secs: f64,
}

pub async fn run(context: &Context<'_>, config: &ChannelsConfig) -> anyhow::Result<ChannelsResult> {
    let (endpoints, options) = (&context.endpoints, context.options);
    let (k, c, m) = (
        config.communities.max(1),
        config.channels_per_community.max(1),
        config.members_per_community.max(1),
    );
    let members = setup::register_users(
        endpoints,
        options,
        &context.tally,
        "m",
        k * m,
        context.deadline,
    )
    .await?;
    let mut streams = Vec::with_capacity(k * c);
    let mut follows = Vec::with_capacity(k * m);
    for (index, group) in members.chunks(m).enumerate() {
        let community = setup::create_community(
            endpoints,
            &group[0],
            &format!("{} channels {index}", options.user_prefix),
            c,
        )
        .await?;
        setup::join(
            endpoints,
            options,
            community.community_id,
            &group[1..],
            context.deadline,
        )
        .await?;
        let first = streams.len();
        for (j, channel_id) in community.channels.iter().enumerate() {
            // Each channel starts with a different member, so every member posts somewhere.
            let mut authors = group.to_vec();
            authors.rotate_left(j % group.len());
            streams.push(SendStream {
                id: u32::try_from(first + j).unwrap_or(u32::MAX),
                channel_id: *channel_id,
                authors,
                rate_per_sec: config.rate_per_channel,
            });
        }
        let ids: Vec<u32> = streams[first..].iter().map(|s| s.id).collect();
        follows.extend(std::iter::repeat_n(ids, group.len()));
    }

    let stop = CancellationToken::new();
    let followers = context.follow(&members, &stop, None).await?;
    let phase = Phase {
        endpoints,
        streams,
        follows,
        followers: &followers,
        duration: Duration::from_secs_f64(config.secs.max(0.1)),
        deadline: context.deadline,
        nonce_prefix: context.nonce_prefix(),
        tally: context.tally.clone(),
        groups: &context.groups,
    };
    let (traffic, ()) = phase.run(async {}).await;
    stop_followers(&stop, followers).await;
    Ok(ChannelsResult {
        communities: k as u64,
        channels_per_community: c as u64,
        members_per_community: m as u64,
        channels: (k * c) as u64,
        connections: (k * m) as u64,
        traffic,
    })
}
