//! The gateway: the only public surface of Chatalot.
//!
//! It terminates HTTP and WebSocket connections, verifies access tokens locally with the auth
//! service's Ed25519 public key, forwards each REST call as a NATS request to the owning service,
//! and pushes events from NATS down to the WebSockets it holds. It keeps no state but its
//! connections: any number of gateways can run, and a client may use any of them.
//!
//! ## Layout
//! - [`routes`]: the REST API under `/api/v1` and its OpenAPI document.
//! - [`attachments`]: file uploads and downloads through the object store, and the orphan sweeper.
//! - [`ws`]: the `/ws` endpoint, the per-connection loop and the per-user event fan-out.
//! - [`presence`]: this gateway's connections in Redis, its liveness, presence changes.
//! - [`calls`]: call commands from WebSockets, rate limited per connection and forwarded to
//!   signal-svc with the connection they came on.
//! - [`rate_limit`]: the per-connection token bucket of call commands and other client frames.
//! - [`tokens`]: access token verification and the revoked-session set.
//! - [`revocations`]: applies session revocations from NATS (closes sockets within a second).
//! - [`extract`]: request extractors that turn bad input into stable error codes.
//! - [`http_security`]: security headers on every response, CORS and the WebSocket `Origin`
//!   check.
//! - [`error`]: errors as HTTP responses.
//! - [`state`]: what handlers share.
//!
//! ## Shutdown
//! On SIGTERM the gateway drains: it reports not ready, refuses new WebSockets, closes open ones
//! with close code 4009 (reconnect elsewhere), stops accepting connections and lets in-flight
//! requests finish, for at most `gateway.drain_timeout_ms`.

pub mod attachments;
pub mod calls;
pub mod error;
pub mod extract;
pub mod http_security;
pub mod presence;
pub mod rate_limit;
pub mod revocations;
pub mod routes;
pub mod state;
pub mod tokens;
pub mod web;
pub mod ws;

use anyhow::Context;
use axum::{Router, routing::get};
use chatalot_shared::{config::Config, process::Readiness, rpc::RpcClient, subjects::Subjects};
use state::{AppState, Inner};
use std::{net::SocketAddr, time::Duration};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// A gateway bound to its port, ready to run.
pub struct Gateway {
    listener: TcpListener,
    app: AppState,
    revocations: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Connects to NATS, loads the token key and binds `gateway.listen` (port 0 picks a free one).
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let (nats, nats_losses) =
            chatalot_shared::process::connect_nats_watched(&config.nats, "gateway").await?;
        readiness.add_nats(&nats);
        let subjects = Subjects::new(config.nats.namespace.clone());
        let verifier = tokens::TokenVerifier::new(&config.jwt)?;
        let rpc = RpcClient::new(
            nats.clone(),
            subjects.clone(),
            config.nats.request_timeout(),
        );
        let hub = ws::hub::Hub::new(
            nats.clone(),
            subjects.clone(),
            rpc.clone(),
            config.gateway.ws_outgoing_queue,
            nats_losses,
        );
        let draining = CancellationToken::new();
        let not_draining = draining.clone();
        readiness.add("gateway-accepting", move || {
            let accepting = !not_draining.is_cancelled();
            async move { accepting }
        });
        let instance_id = uuid::Uuid::new_v4();
        let presence = presence::PresenceTracker::connect(
            config,
            instance_id,
            rpc.clone(),
            nats.clone(),
            subjects.clone(),
        )
        .await;
        let web_csp = config
            .gateway
            .web_root
            .as_deref()
            .map(web::content_security_policy)
            .transpose()?;
        let security = http_security::HttpSecurity::new(
            &config.gateway.public_url,
            &config.gateway.allowed_origins,
            config.gateway.allow_desktop_app,
            config.gateway.hsts_max_age_secs,
            web_csp,
        );
        let app = AppState::new(Inner {
            config: config.gateway.clone(),
            security,
            rpc,
            verifier,
            revoked: tokens::RevokedSessions::default(),
            hub,
            draining,
            sockets: TaskTracker::new(),
            attachments: attachments::Attachments::open(&config.attachments)?,
            instance_id,
            presence,
            calls: calls::CallRelay::new(&nats, &subjects, instance_id, config),
        });
        let revocations =
            revocations::watch(app.clone(), nats, subjects.sessions_revoked()).await?;
        let listener = TcpListener::bind(config.gateway.listen)
            .await
            .with_context(|| {
                format!("cannot listen on gateway.listen {}", config.gateway.listen)
            })?;
        Ok(Self {
            listener,
            app,
            revocations,
        })
    }

    /// The address the gateway listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `shutdown` is cancelled, then drains.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let app = self.app.clone();
        let mut router =
            routes::api_router(app.config.max_body_bytes).route("/ws", get(ws::upgrade));
        if let Some(web_root) = &app.config.web_root {
            router = router.fallback_service(web::router(web_root));
        }
        let router: Router = router
            .layer(axum::middleware::from_fn_with_state(
                app.security.clone(),
                http_security::secure,
            ))
            .with_state(app.clone());
        let drain_timeout = Duration::from_millis(app.config.drain_timeout_ms);
        // Attachments: deletes uploads no message linked in time, until shutdown.
        let sweeper = attachments::sweeper::spawn(
            app.rpc.clone(),
            app.attachments.store.clone(),
            app.attachments.sweep_interval,
            shutdown.clone(),
        );

        // Presence: liveness refresh and sweeps; stopped after the sockets drained, so the last
        // disconnections are published before this gateway's liveness key is deleted.
        let presence_stop = CancellationToken::new();
        let presence = presence::liveness::spawn(app.presence.clone(), presence_stop.clone());
        // NATS connection lost: events were missed, so every client reconnects and resumes.
        let nats_losses = app.hub.watch_nats_losses();

        let draining = app.draining.clone();
        let stop = shutdown.clone();
        let serve = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.cancelled().await;
            draining.cancel();
        })
        .into_future();
        let mut serve = std::pin::pin!(serve);
        tokio::select! {
            result = &mut serve => result.context("gateway server failed")?,
            _ = shutdown.cancelled() => {
                tracing::info!(connections = app.hub.connection_count(), "gateway draining");
                app.draining.cancel();
                app.sockets.close();
                let drained = tokio::time::timeout(drain_timeout, async {
                    let _ = (&mut serve).await;
                    app.sockets.wait().await;
                })
                .await;
                if drained.is_err() {
                    tracing::warn!("drain timeout reached with requests or sockets still open");
                }
            }
        }
        presence_stop.cancel();
        let _ = presence.await;
        self.revocations.abort();
        nats_losses.abort();
        let _ = sweeper.await; // attachments: stops at shutdown, mid-sweep included
        tracing::info!("gateway stopped");
        Ok(())
    }
}
