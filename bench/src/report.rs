//! What a run reports. The field names are the bench's stable interface (snake_case, units in
//! the name: `_us`, `_ms`, `_secs`, `_kib`, `_per_sec`); add fields, never rename one. Values
//! that could not be measured (no pid given) are `null`.
//!
//! The binary prints the report as a two-column table (one row per leaf field, named by its JSON
//! path) and then the same report as one JSON object on the last line of stdout.

use crate::procstat::{ProcessUsage, round3};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;

/// The result of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `connections`, `fanout`, `channels`, `logins` or `resume`.
    pub scenario: String,
    /// Gateway URLs the run used.
    pub urls: Vec<String>,
    /// Wall time of the whole run, setup included.
    pub elapsed_secs: f64,
    /// True when `--max-secs` cut the run short.
    pub deadline_hit: bool,
    /// Failed requests, connections and unexpected frames during the run.
    pub errors: u64,
    /// The first distinct error messages (with the server's error code).
    pub error_samples: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<ConnectionsResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fanout: Option<FanoutResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<ChannelsResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logins: Option<LoginsResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeResult>,
}

/// Percentiles of a histogram of microseconds (all 0 when nothing was recorded).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub count: u64,
    pub min_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub mean_us: u64,
}

impl Latency {
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            count: histogram.len(),
            min_us: histogram.min(),
            p50_us: histogram.value_at_quantile(0.50),
            p90_us: histogram.value_at_quantile(0.90),
            p99_us: histogram.value_at_quantile(0.99),
            p999_us: histogram.value_at_quantile(0.999),
            max_us: histogram.max(),
            mean_us: histogram.mean().round() as u64,
        }
    }
}

/// One measured stretch of traffic: messages sent at an offered rate, and what the followers
/// received.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficResult {
    /// Messages per second offered, over all senders.
    pub offered_rate_per_sec: f64,
    /// Length of the sending window.
    pub send_secs: f64,
    /// Messages whose send was started.
    pub sent: u64,
    /// Sends the server acknowledged (201).
    pub acked: u64,
    pub send_errors: u64,
    /// Sends not started because too many were already in flight (the server fell behind).
    pub skipped_sends: u64,
    pub acks_per_sec: f64,
    /// Send request to acknowledgement.
    pub ack_latency: Latency,
    /// Deliveries the followers should have received: each acknowledged message once per
    /// follower connection that can see it.
    pub expected_deliveries: u64,
    /// Distinct deliveries received.
    pub deliveries: u64,
    /// Acknowledged messages that never reached a follower that should have received them.
    pub lost: u64,
    /// Arrivals of a message a follower had already received.
    pub duplicates: u64,
    /// Deliveries that came in a resume replay rather than live.
    pub replayed: u64,
    /// Deliveries over the window from the first send to the last delivery.
    pub deliveries_per_sec: f64,
    /// Send instant (in the body) to arrival, every live delivery to every follower.
    pub latency: Latency,
    /// Connections that ended and were resumed (4009 and the like) during the window.
    pub reconnects: u64,
    /// Memory and CPU of the measured processes over the window (empty without pids).
    pub processes: Vec<ProcessUsage>,
}

/// Memory per connection of one gateway.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayMemory {
    pub url: String,
    pub connections: u64,
    pub pid: Option<u32>,
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    pub rss_per_connection_kib: Option<f64>,
    /// The gateway's CPU while the connections were held idle, in percent of one core.
    pub idle_cpu_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectionsResult {
    pub requested: u64,
    pub opened: u64,
    pub failed: u64,
    pub users: u64,
    pub connect_secs: f64,
    pub connect_rate_per_sec: f64,
    pub hold_secs: f64,
    pub heartbeat_acks: u64,
    /// Connections the gateway ended while they were held.
    pub closed_during_hold: u64,
    pub gateways: Vec<GatewayMemory>,
    /// Every measured process over the hold (idle) window.
    pub processes: Vec<ProcessUsage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FanoutResult {
    pub senders: u64,
    pub receivers: u64,
    pub receiver_users: u64,
    /// One entry per offered rate (one, or several with `--rate-steps`).
    pub steps: Vec<TrafficResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelsResult {
    pub communities: u64,
    pub channels_per_community: u64,
    pub members_per_community: u64,
    /// Channels with traffic, over all communities.
    pub channels: u64,
    /// Follower connections (one per member).
    pub connections: u64,
    pub traffic: TrafficResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginsResult {
    pub logins: u64,
    pub login_users: u64,
    pub concurrency: u64,
    pub logins_ok: u64,
    pub logins_failed: u64,
    pub logins_per_sec: f64,
    pub login_latency: Latency,
    /// Message traffic before the storm.
    pub baseline: TrafficResult,
    /// The same traffic during the storm.
    pub during_logins: TrafficResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResumeResult {
    pub clients: u64,
    /// How long the clients stayed away.
    pub down_ms: u64,
    pub reconnected: u64,
    pub reconnect_failures: u64,
    /// Clients that received `resumed` after reconnecting.
    pub resumed: u64,
    pub resume_gaps: u64,
    /// Per client: reconnect start to `resumed` (replay complete).
    pub catch_up: Latency,
    /// Reconnect start until the last client got `resumed`.
    pub all_caught_up_ms: Option<u64>,
    /// Traffic over the whole scenario; `lost` must be 0.
    pub traffic: TrafficResult,
}

/// `count / secs`, rounded to one decimal; 0 for an empty window.
pub fn per_sec(count: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        0.0
    } else {
        (count as f64 / secs * 10.0).round() / 10.0
    }
}

impl Report {
    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
    }

    /// The summary table: one row per leaf field, named by its path in the JSON.
    pub fn table(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut rows = Vec::new();
        flatten("", &value, &mut rows);
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (key, value) in rows {
            let _ = writeln!(out, "{key:<width$}  {value}");
        }
        out
    }
}

fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, rows);
            }
        }
        // Short lists of plain values (pids, urls) stay on one row.
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let joined: Vec<String> = items.iter().map(plain).collect();
            rows.push((prefix.to_string(), joined.join(", ")));
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), inner, rows);
            }
        }
        other => rows.push((prefix.to_string(), plain(other))),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        Value::Number(n) => n
            .as_f64()
            .filter(|_| n.is_f64())
            .map_or_else(|| n.to_string(), |f| round3(f).to_string()),
        other => other.to_string(),
    }
}
