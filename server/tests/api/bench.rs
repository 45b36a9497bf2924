//! The load generator (`bench/`, issue #9) runs each scenario once at a tiny size against an
//! in-process instance, so it cannot rot: every scenario must set itself up through the public
//! API, deliver every acknowledged message exactly once, and report the documented fields.

use crate::helpers::*;
use chatalot_bench::{
    ChannelsConfig, ConnectionsConfig, FanoutConfig, LoginsConfig, Options, Report, ResumeConfig,
    Scenario, Target, report::TrafficResult,
};
use serde_json::Value;
use std::net::Ipv4Addr;

/// Runs `scenario` against `app`; `pids` are measured (the in-process app has no pid of its
/// own: the test process stands in for it).
async fn run(app: &TestApp, scenario: Scenario, pids: Vec<u32>) -> (Report, Value) {
    let target = Target {
        urls: vec![app.url("")],
        // Two loopback source addresses, as a large run spreads its ports.
        source_ips: vec![Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2)],
        gateway_pids: Vec::new(),
        pids,
        measure_system: false,
    };
    let options = Options {
        max_secs: 60,
        setup_concurrency: 4,
        ..Options::new()
    };
    let report = chatalot_bench::run(&scenario, &target, &options)
        .await
        .expect("the bench run starts");
    // Shown with --nocapture, or when the test fails.
    println!("{}{}", report.table(), report.to_json());
    assert_eq!(report.errors, 0, "errors: {:?}", report.error_samples);
    assert!(!report.deadline_hit);
    // The last line of the binary's output: one JSON object with the documented fields.
    let json: Value = serde_json::from_str(&report.to_json()).expect("the report is JSON");
    for field in [
        "scenario",
        "urls",
        "elapsed_secs",
        "deadline_hit",
        "errors",
        "error_samples",
    ] {
        assert!(json.get(field).is_some(), "no {field} in {json}");
    }
    assert!(report.table().contains("scenario"), "{}", report.table());
    (report, json)
}

/// Every acknowledged message reached every follower once, with sane latency percentiles.
fn assert_delivered(traffic: &TrafficResult, followers: u64) {
    assert!(traffic.acked > 0, "{traffic:?}");
    assert_eq!(traffic.acked, traffic.sent, "{traffic:?}");
    assert_eq!(
        traffic.send_errors + traffic.skipped_sends,
        0,
        "{traffic:?}"
    );
    assert_eq!(
        traffic.expected_deliveries,
        traffic.acked * followers,
        "{traffic:?}"
    );
    assert_eq!(
        traffic.deliveries, traffic.expected_deliveries,
        "{traffic:?}"
    );
    assert_eq!((traffic.lost, traffic.duplicates), (0, 0), "{traffic:?}");
    let latency = &traffic.latency;
    assert!(latency.p50_us > 0, "{latency:?}");
    assert!(latency.p50_us <= latency.p90_us, "{latency:?}");
    assert!(latency.p90_us <= latency.p99_us, "{latency:?}");
    assert!(latency.p99_us <= latency.p999_us, "{latency:?}");
    assert!(latency.p999_us <= latency.max_us, "{latency:?}");
    assert!(
        traffic.ack_latency.p50_us > 0 && traffic.ack_latency.p50_us <= traffic.ack_latency.max_us
    );
    assert!(traffic.deliveries_per_sec > 0.0 && traffic.acks_per_sec > 0.0);
}

/// The JSON fields of a traffic window, under `pointer`.
fn assert_traffic_fields(json: &Value, pointer: &str) {
    let traffic = json
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in {json}"));
    for field in [
        "offered_rate_per_sec",
        "sent",
        "acked",
        "send_errors",
        "acks_per_sec",
        "expected_deliveries",
        "deliveries",
        "lost",
        "duplicates",
        "deliveries_per_sec",
        "reconnects",
        "processes",
    ] {
        assert!(traffic.get(field).is_some(), "no {pointer}/{field}");
    }
    for field in ["count", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"] {
        assert!(
            traffic["latency"].get(field).is_some(),
            "no {pointer}/latency/{field}"
        );
        assert!(traffic["ack_latency"].get(field).is_some());
    }
}

async fn bench_app() -> TestApp {
    spawn_app_with(|config| {
        config.auth.register_ip_limit = 10_000;
        config.auth.login_ip_limit = 10_000;
    })
    .await
}

#[tokio::test]
async fn bench_connections_opens_and_holds_identified_connections() {
    let app = bench_app().await;
    let scenario = Scenario::Connections(ConnectionsConfig {
        count: 20,
        users: 3,
        hold_secs: 1.0,
        connect_concurrency: 8,
    });
    // No pid: memory and CPU are not measured, and say so with null.
    let (report, json) = run(&app, scenario, Vec::new()).await;
    let result = report.connections.expect("connections result");
    assert_eq!(
        (result.requested, result.opened, result.failed),
        (20, 20, 0)
    );
    assert_eq!(result.closed_during_hold, 0);
    assert!(result.connect_rate_per_sec > 0.0);
    assert_eq!(result.gateways.len(), 1);
    assert_eq!(result.gateways[0].connections, 20);
    assert_eq!(result.gateways[0].rss_per_connection_kib, None);
    let gateway = &json["connections"]["gateways"][0];
    for field in [
        "url",
        "connections",
        "pid",
        "rss_before_kib",
        "rss_after_kib",
        "rss_per_connection_kib",
        "idle_cpu_percent",
    ] {
        assert!(gateway.get(field).is_some(), "no {field} in {gateway}");
    }
    assert!(gateway["rss_per_connection_kib"].is_null());
    assert!(json["connections"]["connect_rate_per_sec"].is_number());
}

#[tokio::test]
async fn bench_fanout_delivers_every_message_to_every_receiver() {
    let app = bench_app().await;
    let scenario = Scenario::Fanout(FanoutConfig {
        senders: 2,
        receivers: 5,
        receiver_users: 0,
        rates: vec![50.0],
        step_secs: 2.0,
    });
    let (report, json) = run(&app, scenario, vec![std::process::id()]).await;
    let result = report.fanout.expect("fanout result");
    assert_eq!(result.steps.len(), 1);
    let step = &result.steps[0];
    // 50/s for 2 s: about 100 messages (the window's edges may add or drop a tick).
    assert!((80..=104).contains(&step.sent), "{step:?}");
    assert_delivered(step, 5);
    let process = &step.processes[0];
    assert_eq!(process.pids, [std::process::id()]);
    assert!(
        process.rss_after_kib > 0 && process.cpu_secs > 0.0,
        "{process:?}"
    );
    assert!(process.cpu_secs_per_10k_deliveries.is_some_and(|c| c > 0.0));
    assert_traffic_fields(&json, "/fanout/steps/0");
}

#[tokio::test]
async fn bench_channels_keeps_many_channels_active_at_once() {
    let app = bench_app().await;
    let scenario = Scenario::Channels(ChannelsConfig {
        communities: 1,
        channels_per_community: 5,
        members_per_community: 3,
        rate_per_channel: 5.0,
        secs: 1.0,
    });
    let (report, json) = run(&app, scenario, Vec::new()).await;
    let result = report.channels.expect("channels result");
    assert_eq!((result.channels, result.connections), (5, 3));
    assert_delivered(&result.traffic, 3);
    assert_traffic_fields(&json, "/channels/traffic");
}

#[tokio::test]
async fn bench_logins_runs_a_storm_beside_message_traffic() {
    let app = bench_app().await;
    let scenario = Scenario::Logins(LoginsConfig {
        logins: 10,
        login_users: 2,
        concurrency: 4,
        receivers: 3,
        rate: 20.0,
        secs: 2.0,
    });
    let (report, json) = run(&app, scenario, Vec::new()).await;
    let result = report.logins.expect("logins result");
    assert_eq!((result.logins_ok, result.logins_failed), (10, 0));
    assert!(result.login_latency.p50_us > 0);
    assert!(result.login_latency.p50_us <= result.login_latency.max_us);
    assert_delivered(&result.baseline, 3);
    assert_delivered(&result.during_logins, 3);
    assert_traffic_fields(&json, "/logins/baseline");
    assert_traffic_fields(&json, "/logins/during_logins");
    assert!(json["logins"]["logins_per_sec"].is_number());
}

#[tokio::test]
async fn bench_resume_loses_nothing_when_clients_drop_and_reconnect() {
    let app = bench_app().await;
    let scenario = Scenario::Resume(ResumeConfig {
        clients: 10,
        rate: 20.0,
        before_secs: 1.0,
        down_ms: 500,
        after_secs: 1.0,
    });
    let (report, json) = run(&app, scenario, Vec::new()).await;
    let result = report.resume.expect("resume result");
    assert_eq!((result.reconnected, result.resumed), (10, 10));
    assert_eq!((result.reconnect_failures, result.resume_gaps), (0, 0));
    assert!(result.all_caught_up_ms.is_some());
    assert!(result.catch_up.p50_us > 0 && result.catch_up.p50_us <= result.catch_up.max_us);
    let traffic = &result.traffic;
    assert_delivered(traffic, 10);
    // What was sent while the clients were away came in the replay.
    assert!(traffic.replayed > 0, "{traffic:?}");
    assert_traffic_fields(&json, "/resume/traffic");
    assert!(json["resume"]["all_caught_up_ms"].is_number());
}
