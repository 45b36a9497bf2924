//! `chatalot-bench`: measures a running Chatalot instance from the outside, through its public
//! API only. It creates its own users, never targets anything but the given address, and every
//! loop is bounded in count and time.
//!
//! Scenario so far: `connections` — open N identified WebSocket connections, hold them idle, and
//! report the gateway's resident memory per connection (read from `/proc/<pid>/status`).

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};
use tokio::net::TcpSocket;
use tokio_tungstenite::{WebSocketStream, tungstenite::Message};

#[derive(Parser)]
#[command(about = "Load generator for a running Chatalot instance")]
struct Cli {
    /// The gateway's base URL, for example http://127.0.0.1:8080.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Open N idle, identified WebSocket connections and report memory per connection.
    Connections {
        /// Connections to open (at most 15000: one process may hold 20000 files here).
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// Users the connections are spread over (each is registered first).
        #[arg(long, default_value_t = 20)]
        users: usize,
        /// Pid of the gateway (or all-in-one) process whose memory is measured.
        #[arg(long)]
        pid: u32,
        /// Seconds to hold the connections idle before measuring.
        #[arg(long, default_value_t = 5)]
        hold_secs: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.scenario {
        Scenario::Connections {
            count,
            users,
            pid,
            hold_secs,
        } => connections(&cli.url, count, users.max(1), pid, hold_secs).await,
    }
}

/// Resident memory of `pid` in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading /proc/<pid>/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line")
}

async fn register(http: &reqwest::Client, url: &str, username: &str) -> anyhow::Result<String> {
    let body = json!({ "username": username, "password": "bench passphrase 1234" });
    let reply: Value = http
        .post(format!("{url}/api/v1/auth/register"))
        .json(&body)
        .send()
        .await?
        .error_for_status()
        .context(
            "registering a bench user (raise auth.register_ip_limit on the target if this is 429)",
        )?
        .json()
        .await?;
    reply["access_token"]
        .as_str()
        .map(str::to_string)
        .context("no access token")
}

type Socket = WebSocketStream<tokio::net::TcpStream>;

/// Opens one connection from `source` and identifies with `token`.
async fn open(
    target: SocketAddr,
    source: Ipv4Addr,
    ws_url: &str,
    token: &str,
) -> anyhow::Result<Socket> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = socket.connect(target).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(ws_url, stream).await?;
    ws.next().await.context("no hello")??;
    ws.send(Message::Text(
        json!({ "op": "identify", "d": { "token": token } })
            .to_string()
            .into(),
    ))
    .await?;
    let ready = ws.next().await.context("no ready")??;
    if !ready.to_text().unwrap_or("").contains("\"ready\"") {
        bail!("identify refused: {ready:?}");
    }
    Ok(ws)
}

async fn connections(
    url: &str,
    count: usize,
    users: usize,
    pid: u32,
    hold_secs: u64,
) -> anyhow::Result<()> {
    if count > 15_000 {
        bail!("at most 15000 connections per bench process");
    }
    let parsed = reqwest::Url::parse(url).context("--url")?;
    let host = parsed.host_str().context("--url needs a host")?;
    let port = parsed
        .port_or_known_default()
        .context("--url needs a port")?;
    let target: SocketAddr = tokio::net::lookup_host((host, port))
        .await?
        .next()
        .context("resolving --url")?;
    if !target.ip().is_loopback() {
        bail!(
            "this scenario spreads connections over 127.0.0.x source addresses; target a loopback address"
        );
    }
    let ws_url = format!("ws://{host}:{port}/ws");
    let http = reqwest::Client::new();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut tokens = Vec::with_capacity(users);
    for i in 0..users {
        tokens.push(register(&http, url, &format!("bench{}_{i}", &run[..8])).await?);
    }

    let before = rss_kib(pid)?;
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(count);
    for i in 0..count {
        // Several source addresses, so no single one runs out of ephemeral ports.
        let source = Ipv4Addr::new(127, 0, 0, 2 + (i % 8) as u8);
        sockets.push(open(target, source, &ws_url, &tokens[i % users]).await?);
    }
    let connect_secs = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(hold_secs);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let after = rss_kib(pid)?;
    let per_connection = (after.saturating_sub(before)) as f64 / count as f64;
    let summary = json!({
        "scenario": "connections",
        "connections": count,
        "users": users,
        "connect_rate_per_sec": (count as f64 / connect_secs).round(),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "rss_per_connection_kib": (per_connection * 100.0).round() / 100.0,
    });
    println!("connections            {count}");
    println!("users                  {users}");
    println!(
        "connect rate           {:.0}/s",
        count as f64 / connect_secs
    );
    println!("gateway RSS before     {before} KiB");
    println!("gateway RSS after      {after} KiB");
    println!("RSS per idle conn      {per_connection:.2} KiB");
    println!("{summary}");
    for mut socket in sockets {
        let _ = socket.close(None).await;
    }
    Ok(())
}
