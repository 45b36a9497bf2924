//! `chatalot-bench`: measures a running Chatalot instance from the outside, through its public
//! API only (REST and the WebSocket). It creates its own users, community and channels, never
//! targets anything but the gateways it is given, and every loop is bounded in count and by the
//! run's deadline (`Options::max_secs`).
//!
//! A run is one [`Scenario`] against a [`Target`]; [`run`] returns a [`report::Report`], which
//! the binary prints as a table followed by one JSON object on the last line. The test suite calls
//! [`run`] directly against an in-process server, once per scenario at a tiny size.
//!
//! # Layout
//!
//! - [`cli`]: the command line ([`cli::Cli`]) turned into a scenario, target and options.
//! - [`client`]: the HTTP API (register, login, communities, channels, messages) and the WebSocket
//!   client (identify, heartbeats, resume), spread over gateways and source addresses.
//! - [`setup`]: creates the users, community and channels a scenario needs.
//! - [`traffic`]: senders at an offered rate and followers that record every delivery; the
//!   engine of `fanout`, `channels`, `logins` and `resume`.
//! - [`probe`]: the timestamped message body and the per-follower ledger (latency, losses,
//!   duplicates).
//! - [`scenarios`]: one module per scenario.
//! - [`report`]: the result types, their stable JSON field names and the summary table.
//! - [`procstat`]: memory and CPU of given processes from `/proc`.
//! - [`tally`] and [`progress`]: live counters and the once-a-second progress line.

pub mod cli;
pub mod client;
pub mod probe;
pub mod procstat;
pub mod progress;
pub mod report;
pub mod scenarios;
pub mod setup;
pub mod tally;
pub mod traffic;

use std::{net::Ipv4Addr, time::Duration};

pub use report::Report;
pub use scenarios::{
    Scenario, channels::ChannelsConfig, connections::ConnectionsConfig, fanout::FanoutConfig,
    logins::LoginsConfig, resume::ResumeConfig,
};

/// Where the bench points and what it may measure there.
#[derive(Debug, Clone)]
pub struct Target {
    /// Gateways' base URLs (`http://host:port`); connections and requests are spread over them
    /// round-robin.
    pub urls: Vec<String>,
    /// Local addresses client sockets bind to (Linux routes all of 127/8 to `lo`): each gives
    /// another ~28,000 ephemeral ports toward one gateway. Empty: the system picks.
    pub source_ips: Vec<Ipv4Addr>,
    /// Pid of each gateway, in `urls` order (empty: memory per connection is not measured).
    pub gateway_pids: Vec<u32>,
    /// Other processes whose memory and CPU are reported (services, an all-in-one `chatalot`).
    pub pids: Vec<u32>,
    /// Also measure every `nats-server`, `postgres`, `redis-server` and `chatalot` process of
    /// this machine (found by name in `/proc/*/comm`).
    pub measure_system: bool,
}

/// How a run behaves, whatever the scenario.
#[derive(Debug, Clone)]
pub struct Options {
    /// Prefix of the usernames, community and nonces this run creates; distinct per bench
    /// process when several run against one instance.
    pub user_prefix: String,
    /// Password of every bench user.
    pub password: String,
    /// The whole run (setup included) stops by then; what was measured so far is reported.
    pub max_secs: u64,
    /// A progress line on stderr every second.
    pub progress: bool,
    /// Registrations and logins in flight at once during setup.
    pub setup_concurrency: usize,
}

impl Options {
    /// Defaults with a fresh random user prefix.
    pub fn new() -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        Self {
            user_prefix: format!("b{}", &run[..7]),
            password: "bench passphrase 1234".to_string(),
            max_secs: 600,
            progress: false,
            setup_concurrency: 8,
        }
    }

    pub fn max_duration(&self) -> Duration {
        Duration::from_secs(self.max_secs)
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `scenario` against `target`: sets up its users, community and channels, measures, and
/// returns the report. Fails only when the run cannot start (no gateway, setup refused);
/// failures during the measurement are counted in the report's `errors`.
pub async fn run(
    scenario: &Scenario,
    target: &Target,
    options: &Options,
) -> anyhow::Result<Report> {
    scenarios::run(scenario, target, options).await
}
