//! What every Chatalot process does around its real work: connect to NATS, serve the admin port
//! (`/metrics`, `/healthz`, `/readyz`), and turn SIGTERM or Ctrl-C into a graceful shutdown.
//! Each binary's `main` is a call to [`run`].

use crate::{
    config::{Config, NatsConfig},
    telemetry,
};
use axum::{Router, extract::State, http::StatusCode, routing::get};
use futures::future::BoxFuture;
use std::{
    future::Future,
    net::SocketAddr,
    process::ExitCode,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio_util::sync::CancellationToken;

/// A named check that must pass for the process to report ready.
type Check = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// The readiness checks of a process (NATS connected, database and Redis answering), and
/// whether it finished starting: until [`Readiness::mark_started`] (called once everything is
/// built, migrations included) it reports `starting`, so a probe never sends traffic early.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Arc<Mutex<Vec<(String, Check)>>>,
    started: Arc<std::sync::atomic::AtomicBool>,
}

impl Readiness {
    /// Start-up is complete: from now on only the checks decide.
    pub fn mark_started(&self) {
        self.started
            .store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn add<F, Fut>(&self, name: impl Into<String>, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        let check: Check = Arc::new(move || Box::pin(check()));
        if let Ok(mut checks) = self.checks.lock() {
            checks.push((name.into(), check));
        }
    }

    /// Adds the check that `nats` is connected.
    pub fn add_nats(&self, nats: &async_nats::Client) {
        let nats = nats.clone();
        self.add("nats", move || {
            let connected = nats.connection_state() == async_nats::connection::State::Connected;
            async move { connected }
        });
    }

    /// The names of failing checks; empty when ready.
    pub async fn failing(&self) -> Vec<String> {
        let checks: Vec<(String, Check)> =
            self.checks.lock().map(|c| c.clone()).unwrap_or_default();
        let mut failing = Vec::new();
        if !self.started.load(std::sync::atomic::Ordering::Acquire) {
            failing.push("starting".to_string());
        }
        for (name, check) in checks {
            let ok = tokio::time::timeout(Duration::from_secs(2), check())
                .await
                .unwrap_or(false);
            if !ok {
                failing.push(name);
            }
        }
        failing
    }
}

/// Connects to NATS, reconnecting forever with at most one second between attempts.
pub async fn connect_nats(
    config: &NatsConfig,
    client_name: &str,
) -> anyhow::Result<async_nats::Client> {
    connect_nats_watched(config, client_name)
        .await
        .map(|(client, _)| client)
}

/// Like [`connect_nats`], and also counts the times the connection was lost. Core NATS does
/// not replay what was published while a client was away, so whoever relays events (a gateway)
/// watches the count to tell its clients to resume.
///
/// `nats.url` may list several servers (comma separated): the client connects to any of them
/// (in random order, spreading clients over a cluster) and, when its server goes away, to
/// another one.
pub async fn connect_nats_watched(
    config: &NatsConfig,
    client_name: &str,
) -> anyhow::Result<(async_nats::Client, tokio::sync::watch::Receiver<u64>)> {
    let servers = nats_servers(&config.url)?;
    let name = client_name.to_string();
    let (losses_tx, losses) = tokio::sync::watch::channel(0u64);
    let losses_tx = Arc::new(losses_tx);
    let client = async_nats::ConnectOptions::new()
        .name(client_name)
        .connection_timeout(Duration::from_secs(3))
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((attempts as u64 * 100).min(1_000))
        })
        .event_callback(move |event| {
            let name = name.clone();
            let losses_tx = losses_tx.clone();
            async move {
                match event {
                    async_nats::Event::Connected => {
                        tracing::info!(client = %name, "NATS connected")
                    }
                    async_nats::Event::Disconnected => {
                        losses_tx.send_modify(|count| *count += 1);
                        tracing::warn!(client = %name, "NATS disconnected")
                    }
                    other => tracing::debug!(client = %name, event = %other, "NATS event"),
                }
            }
        })
        .connect(servers)
        .await
        .map_err(|err| {
            anyhow::anyhow!("cannot connect to NATS at {} (nats.url): {err}", config.url)
        })?;
    Ok((client, losses))
}

/// The servers of `nats.url`: one URL or several, comma separated.
fn nats_servers(url: &str) -> anyhow::Result<Vec<async_nats::ServerAddr>> {
    let servers = url
        .split(',')
        .map(str::trim)
        .filter(|server| !server.is_empty())
        .map(|server| {
            server
                .parse::<async_nats::ServerAddr>()
                .map_err(|err| anyhow::anyhow!("nats.url: {server:?} is not a NATS URL: {err}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if servers.is_empty() {
        anyhow::bail!("nats.url names no server");
    }
    Ok(servers)
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `listen` until `shutdown`. Returns the bound
/// address (port 0 picks a free one).
pub async fn serve_admin(
    listen: SocketAddr,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let router = Router::new()
        .route("/metrics", get(|| async { telemetry::render_metrics() }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(readiness);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on admin.listen {listen}: {err}"))?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "admin server failed");
        }
    });
    Ok(addr)
}

async fn ready(State(readiness): State<Readiness>) -> (StatusCode, String) {
    let failing = readiness.failing().await;
    if failing.is_empty() {
        (StatusCode::OK, "ready".into())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", failing.join(", ")),
        )
    }
}

/// A token cancelled on SIGTERM or Ctrl-C.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = ctrl_c => {},
                        _ = term.recv() => {},
                    }
                }
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested");
        cancel.cancel();
    });
    token
}

/// The body of every binary's `main`: load configuration, set up logging, serve the admin port,
/// run `start` until it returns (after SIGTERM), and exit non-zero with the cause if it failed.
pub async fn run<F, Fut>(process: &'static str, start: F) -> ExitCode
where
    F: FnOnce(Arc<Config>, Readiness, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let config = match Config::load() {
        Ok(config) => Arc::new(config),
        Err(err) => {
            eprintln!("{process}: {err}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&config.telemetry);
    let shutdown = shutdown_on_signal();
    let readiness = Readiness::default();
    let result = async {
        let admin = serve_admin(config.admin.listen, readiness.clone(), shutdown.clone()).await?;
        tracing::info!(%admin, "admin port (metrics, healthz, readyz)");
        start(config.clone(), readiness, shutdown.clone()).await
    }
    .await;
    shutdown.cancel();
    match result {
        Ok(()) => {
            tracing::info!(process, "stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!(process, error = ?err, "failed");
            eprintln!("{process}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::nats_servers;

    #[test]
    fn nats_url_lists_several_servers() {
        let ports =
            nats_servers("nats://10.0.0.1:4222, nats://10.0.0.2:4223,10.0.0.3").map(|servers| {
                servers
                    .iter()
                    .map(|s| (s.host().to_string(), s.port()))
                    .collect()
            });
        let expected: Vec<(String, u16)> = vec![
            ("10.0.0.1".into(), 4222),
            ("10.0.0.2".into(), 4223),
            ("10.0.0.3".into(), 4222),
        ];
        assert_eq!(ports.ok(), Some(expected));
        assert!(nats_servers(" , ").is_err());
        assert!(nats_servers("http://10.0.0.1:4222").is_err());
    }
}
