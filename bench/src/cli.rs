//! The command line: global flags say where to point and what to measure ([`Target`],
//! [`Options`]), a subcommand picks the scenario and its sizes ([`Scenario`]).

use crate::{
    ChannelsConfig, ConnectionsConfig, FanoutConfig, LoginsConfig, Options, ResumeConfig, Scenario,
    Target,
};
use clap::{Parser, Subcommand};
use std::net::Ipv4Addr;

#[derive(Debug, Parser)]
#[command(
    name = "chatalot-bench",
    about = "Load generator for a running Chatalot instance (public API only)",
    after_help = "Prints a summary table, then the same report as one JSON object on the last line.\nSee docs/benchmarks.md for the server settings a run needs."
)]
pub struct Cli {
    /// A gateway's base URL; repeat for several gateways (connections and requests are spread
    /// over them round-robin).
    #[arg(long = "url", default_value = "http://127.0.0.1:8080", global = true)]
    pub urls: Vec<String>,
    /// Local addresses to bind client sockets to, comma separated (127.0.0.1,127.0.0.2,...):
    /// each adds ~28,000 ephemeral ports toward a gateway. Loopback targets only.
    #[arg(long, value_delimiter = ',', global = true)]
    pub source_ips: Vec<Ipv4Addr>,
    /// Pid of each gateway process, in --url order (all-in-one: the `chatalot` pid); enables
    /// memory per connection and the gateway's CPU.
    #[arg(long = "gateway-pid", global = true)]
    pub gateway_pids: Vec<u32>,
    /// Other processes to measure (memory, CPU): service processes, say. Repeatable.
    #[arg(long = "pid", global = true)]
    pub pids: Vec<u32>,
    /// Also measure nats-server, postgres, redis-server and chatalot processes found by name.
    #[arg(long, global = true)]
    pub measure_system: bool,
    /// Prefix of everything this run creates (default: random); distinct per bench process.
    #[arg(long, global = true)]
    pub user_prefix: Option<String>,
    /// The whole run, setup included, stops after this many seconds.
    #[arg(long, default_value_t = 600, global = true)]
    pub max_secs: u64,
    /// No progress line on stderr.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Registrations and joins in flight at once during setup.
    #[arg(long, default_value_t = 8, global = true)]
    pub setup_concurrency: usize,
    #[command(subcommand)]
    pub scenario: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open N idle, identified connections; memory per connection, idle CPU, connect rate.
    Connections {
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// Users the connections are spread over.
        #[arg(long, default_value_t = 20)]
        users: usize,
        /// Seconds to hold the connections idle before measuring.
        #[arg(long, default_value_t = 5.0)]
        hold_secs: f64,
        /// Connections being opened at once.
        #[arg(long, default_value_t = 64)]
        connect_concurrency: usize,
    },
    /// S senders, R receivers in one channel: latency, deliveries/s, acks/s, CPU per 10k.
    Fanout {
        #[arg(long, default_value_t = 2)]
        senders: usize,
        #[arg(long, default_value_t = 100)]
        receivers: usize,
        /// Users the receiver connections belong to (0: one per connection).
        #[arg(long, default_value_t = 0)]
        receiver_users: usize,
        /// Offered messages per second over all senders.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Step the rate up instead: comma separated rates, one step each.
        #[arg(long, value_delimiter = ',')]
        rate_steps: Vec<f64>,
        /// Seconds of sending per step.
        #[arg(long, default_value_t = 10.0)]
        step_secs: f64,
    },
    /// Many small channels active at once, in several small communities.
    Channels {
        #[arg(long, default_value_t = 10)]
        communities: usize,
        #[arg(long, default_value_t = 5)]
        channels_per_community: usize,
        #[arg(long, default_value_t = 10)]
        members_per_community: usize,
        /// Messages per second in each channel.
        #[arg(long, default_value_t = 1.0)]
        rate_per_channel: f64,
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
    },
    /// A login storm, and the message latency meanwhile compared with before it.
    Logins {
        #[arg(long, default_value_t = 200)]
        logins: usize,
        /// Accounts the logins cycle through.
        #[arg(long, default_value_t = 20)]
        login_users: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Receivers of the background traffic.
        #[arg(long, default_value_t = 20)]
        receivers: usize,
        /// Messages per second of the background traffic.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Seconds of the baseline window and of the storm window.
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
    },
    /// Clients dropped and reconnected in bulk: time to catch up, messages lost (must be 0).
    Resume {
        #[arg(long, default_value_t = 100)]
        clients: usize,
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        #[arg(long, default_value_t = 3.0)]
        before_secs: f64,
        #[arg(long, default_value_t = 2000)]
        down_ms: u64,
        #[arg(long, default_value_t = 5.0)]
        after_secs: f64,
    },
}

impl Cli {
    /// What to run, against what, how.
    pub fn into_run(self) -> (Scenario, Target, Options) {
        let mut options = Options::new();
        if let Some(prefix) = self.user_prefix {
            options.user_prefix = prefix;
        }
        options.max_secs = self.max_secs;
        options.progress = !self.quiet;
        options.setup_concurrency = self.setup_concurrency;
        let target = Target {
            urls: self
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            source_ips: self.source_ips,
            gateway_pids: self.gateway_pids,
            pids: self.pids,
            measure_system: self.measure_system,
        };
        let scenario = match self.scenario {
            Command::Connections {
                count,
                users,
                hold_secs,
                connect_concurrency,
            } => Scenario::Connections(ConnectionsConfig {
                count,
                users,
                hold_secs,
                connect_concurrency,
            }),
            Command::Fanout {
                senders,
                receivers,
                receiver_users,
                rate,
                rate_steps,
                step_secs,
            } => Scenario::Fanout(FanoutConfig {
                senders,
                receivers,
                receiver_users,
                rates: if rate_steps.is_empty() {
                    vec![rate]
                } else {
                    rate_steps
                },
                step_secs,
            }),
            Command::Channels {
                communities,
                channels_per_community,
                members_per_community,
                rate_per_channel,
                secs,
            } => Scenario::Channels(ChannelsConfig {
                communities,
                channels_per_community,
                members_per_community,
                rate_per_channel,
                secs,
            }),
            Command::Logins {
                logins,
                login_users,
                concurrency,
                receivers,
                rate,
                secs,
            } => Scenario::Logins(LoginsConfig {
                logins,
                login_users,
                concurrency,
                receivers,
                rate,
                secs,
            }),
            Command::Resume {
                clients,
                rate,
                before_secs,
                down_ms,
                after_secs,
            } => Scenario::Resume(ResumeConfig {
                clients,
                rate,
                before_secs,
                down_ms,
                after_secs,
            }),
        };
        (scenario, target, options)
    }
}
