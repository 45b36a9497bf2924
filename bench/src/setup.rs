//! Creates what a scenario needs through the public API: users, a public community with text
//! channels, and its members. Setup failures end the run with the server's error code: a
//! measurement on a half-built setup would mislead.

use crate::{
    Options,
    client::{
        Endpoints,
        api::{ApiError, Session},
    },
    tally::Tally,
};
use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use tokio::time::Instant;
use uuid::Uuid;

/// A community the bench created, with its text channels (the default one first).
#[derive(Debug, Clone)]
pub struct Community {
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub channels: Vec<Uuid>,
}

/// Registers `count` users named `<prefix>-<role><i>`, `options.setup_concurrency` at a time,
/// spread over the gateways and source addresses. Logged in (the registration's session).
pub async fn register_users(
    endpoints: &Endpoints,
    options: &Options,
    tally: &Tally,
    role: &str,
    count: usize,
    deadline: Instant,
) -> anyhow::Result<Vec<Session>> {
    let registrations = futures::stream::iter(0..count)
        .map(|i| {
            let api = endpoints.api(i);
            let username = format!("{}-{role}{i}", options.user_prefix);
            async move {
                let session = api.register(&username, &options.password).await;
                if session.is_ok() {
                    Tally::add(&tally.logins, 1);
                }
                session
            }
        })
        .buffered(options.setup_concurrency.max(1))
        .try_collect::<Vec<Session>>();
    tokio::time::timeout_at(deadline, registrations)
        .await
        .with_context(|| format!("registering {count} users ran past --max-secs"))?
        .map_err(anyhow::Error::from)
}

/// Creates a public community owned by `owner` with `channels` text channels in all (the
/// default channel counts as the first).
pub async fn create_community(
    endpoints: &Endpoints,
    owner: &Session,
    name: &str,
    channels: usize,
) -> anyhow::Result<Community> {
    let api = endpoints.api(0);
    let (community_id, group_id, default_channel) = api.create_community(owner, name).await?;
    let mut all = vec![default_channel];
    for i in 1..channels {
        let channel = api
            .create_channel(owner, community_id, group_id, &format!("bench-{i}"))
            .await?;
        all.push(channel);
    }
    Ok(Community {
        community_id,
        group_id,
        channels: all,
    })
}

/// Makes every one of `members` join `community_id` (`setup_concurrency` at a time).
pub async fn join(
    endpoints: &Endpoints,
    options: &Options,
    community_id: Uuid,
    members: &[Session],
    deadline: Instant,
) -> anyhow::Result<()> {
    let joins = futures::stream::iter(members.iter().enumerate())
        .map(|(i, member)| {
            let api = endpoints.api(i);
            async move { api.join_community(member, community_id).await }
        })
        .buffer_unordered(options.setup_concurrency.max(1))
        .try_collect::<Vec<()>>();
    tokio::time::timeout_at(deadline, joins)
        .await
        .context("joining the community ran past --max-secs")?
        .map_err(|err: ApiError| anyhow::Error::from(err))?;
    Ok(())
}
