//! The WebSocket at `/ws`: the upgrade (with buffers sized for many idle connections), the
//! per-connection loop ([`connection`]) and the per-user event fan-out ([`hub`]).

pub mod connection;
pub mod hub;
pub mod resume;

use crate::{error::HttpError, state::AppState};
use axum::{
    extract::{State, WebSocketUpgrade},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use chatalot_shared::error::ApiError;
use prometheus::{IntGauge, register_int_gauge};
use std::sync::LazyLock;

static OPEN_CONNECTIONS: LazyLock<Option<IntGauge>> = LazyLock::new(|| {
    register_int_gauge!(
        "chatalot_gateway_websocket_connections",
        "Identified WebSocket connections this gateway holds (the autoscaling signal)"
    )
    .ok()
});

/// Counts one identified connection in `chatalot_gateway_websocket_connections` while it lives.
pub(crate) struct OpenConnection(());

impl OpenConnection {
    pub(crate) fn new() -> Self {
        if let Some(gauge) = OPEN_CONNECTIONS.as_ref() {
            gauge.inc();
        }
        Self(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        if let Some(gauge) = OPEN_CONNECTIONS.as_ref() {
            gauge.dec();
        }
    }
}

/// Upgrades to a WebSocket, unless a browser page of another site asks
/// ([`crate::http_security`]) or this gateway is draining.
pub async fn upgrade(
    State(app): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = app.security.refused_origin(&headers) {
        tracing::info!(%origin, "a WebSocket from a foreign origin was refused");
        return HttpError(ApiError::forbidden(
            "this origin may not open a WebSocket here (gateway.allowed_origins)",
        ))
        .into_response();
    }
    if app.draining.is_cancelled() {
        return HttpError(ApiError::service_unavailable(
            "this gateway is shutting down; connect to another one",
        ))
        .into_response();
    }
    let config = &app.config;
    let ws = ws
        .read_buffer_size(config.ws_read_buffer_bytes)
        .write_buffer_size(config.ws_write_buffer_bytes)
        .max_message_size(config.ws_max_message_bytes)
        .max_frame_size(config.ws_max_message_bytes);
    let app = app.clone();
    ws.on_upgrade(move |socket| {
        let sockets = app.sockets.clone();
        sockets.track_future(connection::serve(app, socket))
    })
}
