//! The scenarios, one module each, and what they share: the resolved gateways, the run's
//! deadline, its live counters and the processes to measure ([`Context`]).

pub mod channels;
pub mod connections;
pub mod fanout;
pub mod logins;
pub mod resume;

use crate::{
    Options, Report, Target,
    client::{Endpoints, api::Session},
    procstat::{self, ProcessGroup},
    progress,
    tally::Tally,
    traffic::Follower,
};
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A scenario with its sizes.
#[derive(Debug, Clone)]
pub enum Scenario {
    Connections(connections::ConnectionsConfig),
    Fanout(fanout::FanoutConfig),
    Channels(channels::ChannelsConfig),
    Logins(logins::LoginsConfig),
    Resume(resume::ResumeConfig),
}

impl Scenario {
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Connections(_) => "connections",
            Scenario::Fanout(_) => "fanout",
            Scenario::Channels(_) => "channels",
            Scenario::Logins(_) => "logins",
            Scenario::Resume(_) => "resume",
        }
    }
}

/// Followers started before waiting for them to connect.
const FOLLOWER_BATCH: usize = 64;

/// What every scenario works with.
pub struct Context<'a> {
    pub target: &'a Target,
    pub options: &'a Options,
    pub endpoints: Endpoints,
    pub tally: Arc<Tally>,
    /// Nothing runs past it.
    pub deadline: Instant,
    pub groups: Vec<ProcessGroup>,
}

impl Context<'_> {
    /// Starts one follower per session (connection `i` as `sessions[i]`) and waits until all
    /// are connected; fails when some could not connect.
    pub async fn follow(
        &self,
        sessions: &[Session],
        stop: &CancellationToken,
        disruption: Option<crate::traffic::Disruption>,
    ) -> anyhow::Result<Vec<Follower>> {
        // In batches, so thousands of followers do not all knock at once (listen backlogs).
        let mut followers: Vec<Follower> = Vec::with_capacity(sessions.len());
        for (i, session) in sessions.iter().enumerate() {
            followers.push(Follower::spawn(
                self.endpoints.clone(),
                i,
                session.clone(),
                self.tally.clone(),
                stop.clone(),
                disruption.clone(),
            ));
            if followers.len().is_multiple_of(FOLLOWER_BATCH) {
                let batch = &followers[followers.len() - FOLLOWER_BATCH..];
                crate::traffic::wait_connected(batch, self.deadline).await;
            }
        }
        let connected = crate::traffic::wait_connected(&followers, self.deadline).await;
        if connected < followers.len() {
            stop.cancel();
            anyhow::bail!(
                "only {connected} of {} follower connections came up; first errors: {:?}",
                followers.len(),
                self.tally.error_samples()
            );
        }
        Ok(followers)
    }

    /// A nonce prefix unique to this run.
    pub fn nonce_prefix(&self) -> String {
        self.options.user_prefix.clone()
    }
}

/// Stops the followers and waits for them.
pub async fn stop_followers(stop: &CancellationToken, followers: Vec<Follower>) {
    stop.cancel();
    futures::future::join_all(followers.into_iter().map(Follower::join)).await;
}

pub async fn run(
    scenario: &Scenario,
    target: &Target,
    options: &Options,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let deadline = started + options.max_duration();
    let tally = Arc::new(Tally::default());
    let _progress = progress::spawn(options.progress, scenario.name(), tally.clone());
    let context = Context {
        target,
        options,
        endpoints: Endpoints::resolve(target).await?,
        tally: tally.clone(),
        deadline,
        groups: procstat::groups(&target.gateway_pids, &target.pids, target.measure_system),
    };
    let mut report = Report {
        scenario: scenario.name().to_string(),
        urls: target.urls.clone(),
        elapsed_secs: 0.0,
        deadline_hit: false,
        errors: 0,
        error_samples: Vec::new(),
        connections: None,
        fanout: None,
        channels: None,
        logins: None,
        resume: None,
    };
    match scenario {
        Scenario::Connections(config) => {
            report.connections = Some(connections::run(&context, config).await?);
        }
        Scenario::Fanout(config) => report.fanout = Some(fanout::run(&context, config).await?),
        Scenario::Channels(config) => {
            report.channels = Some(channels::run(&context, config).await?);
        }
        Scenario::Logins(config) => report.logins = Some(logins::run(&context, config).await?),
        Scenario::Resume(config) => report.resume = Some(resume::run(&context, config).await?),
    }
    report.elapsed_secs = procstat::round3(started.elapsed().as_secs_f64());
    report.deadline_hit = Instant::now() >= deadline;
    report.errors = tally.error_count();
    report.error_samples = tally.error_samples();
    Ok(report)
}
