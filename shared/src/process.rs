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

/// The readiness checks of a process (NATS connected, database and Redis answering).
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Arc<Mutex<Vec<(String, Check)>>>,
}

impl Readiness {
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
    let name = client_name.to_string();
    async_nats::ConnectOptions::new()
        .name(client_name)
        .connection_timeout(Duration::from_secs(3))
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((attempts as u64 * 100).min(1_000))
        })
        .event_callback(move |event| {
            let name = name.clone();
            async move {
                match event {
                    async_nats::Event::Connected => {
                        tracing::info!(client = %name, "NATS connected")
                    }
                    async_nats::Event::Disconnected => {
                        tracing::warn!(client = %name, "NATS disconnected")
                    }
                    other => tracing::debug!(client = %name, event = %other, "NATS event"),
                }
            }
        })
        .connect(config.url.as_str())
        .await
        .map_err(|err| {
            anyhow::anyhow!("cannot connect to NATS at {} (nats.url): {err}", config.url)
        })
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
