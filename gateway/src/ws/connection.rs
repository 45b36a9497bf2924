//! One WebSocket connection, served by one task: `hello`, then `identify` within the timeout,
//! then a loop that reads client frames, writes queued events (coalesced: many frames fed, one
//! flush), and enforces the heartbeat timeout. See `shared::contracts::gateway` for the protocol
//! and close codes.

use super::hub::CloseReason;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use chatalot_shared::{
    contracts::{
        community::{CommunityView, ListMyCommunitiesRequest},
        gateway::{ClientFrame, ServerFrame, close},
    },
    error::ApiError,
    rpc::{Caller, CallerContext},
};
use futures::{SinkExt, StreamExt, stream::SplitSink};
use std::time::Duration;
use tokio::time::Instant;

/// Frames written between two flushes at most.
const MAX_BATCH: usize = 64;

type Sink = SplitSink<WebSocket, Message>;

pub async fn serve(app: AppState, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let hello = ServerFrame::Hello {
        heartbeat_interval_ms: app.config.heartbeat_interval_ms,
    };
    if send(&mut sink, &hello).await.is_err() {
        return;
    }

    let caller = match identify(&app, &mut stream).await {
        Ok(caller) => caller,
        Err((reason, error)) => {
            if let Some(error) = error {
                let _ = send(&mut sink, &ServerFrame::Error(error)).await;
            }
            close_with(&mut sink, reason).await;
            return;
        }
    };

    let views = match snapshot(&app, caller).await {
        Ok(views) => views,
        Err(error) => {
            let _ = send(&mut sink, &ServerFrame::Error(error)).await;
            close_with(&mut sink, UNAVAILABLE).await;
            return;
        }
    };
    let mut registration = match app
        .hub
        .register(caller.user_id, caller.session_id, &views)
        .await
    {
        Ok(registration) => registration,
        Err(err) => {
            tracing::warn!(error = %err, "subscribing to events");
            close_with(&mut sink, UNAVAILABLE).await;
            return;
        }
    };
    // A session revoked between the token check and the registration would otherwise be missed.
    if app.revoked.is_revoked(caller.session_id) {
        registration.kick.kick(SESSION_REVOKED);
    }
    let ready = ServerFrame::Ready {
        user_id: caller.user_id,
        session_id: caller.session_id,
        communities: views,
    };

    let heartbeat_timeout = Duration::from_millis(app.config.heartbeat_timeout_ms);
    let mut deadline = Instant::now() + heartbeat_timeout;
    let reason = if send(&mut sink, &ready).await.is_err() {
        None
    } else {
        loop {
            tokio::select! {
                biased;
                reason = registration.kick.kicked() => break Some(reason),
                _ = app.draining.cancelled() => break Some(CloseReason {
                    code: close::RECONNECT,
                    reason: "gateway shutting down; reconnect",
                }),
                frame = registration.outgoing.recv() => {
                    let Some(frame) = frame else { break None };
                    if write_batch(&mut sink, frame, &mut registration.outgoing).await.is_err() {
                        break None;
                    }
                }
                incoming = stream.next() => {
                    deadline = Instant::now() + heartbeat_timeout;
                    match incoming {
                        None | Some(Ok(Message::Close(_))) => break None,
                        Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientFrame>(&text) {
                            Ok(ClientFrame::Heartbeat) => {
                                if send(&mut sink, &ServerFrame::HeartbeatAck).await.is_err() {
                                    break None;
                                }
                            }
                            Ok(ClientFrame::Identify(_)) => break Some(CloseReason {
                                code: close::DECODE_ERROR,
                                reason: "already identified",
                            }),
                            Err(_) => break Some(DECODE_ERROR),
                        },
                        Some(Ok(Message::Binary(_))) => break Some(DECODE_ERROR),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Err(err)) => break close_reason_for(&err),
                    }
                }
                _ = tokio::time::sleep_until(deadline) => break Some(CloseReason {
                    code: close::HEARTBEAT_TIMEOUT,
                    reason: "no heartbeat in time",
                }),
            }
        }
    };
    app.hub
        .unregister(caller.user_id, registration.connection_id);
    if let Some(reason) = reason {
        close_with(&mut sink, reason).await;
    }
}

const DECODE_ERROR: CloseReason = CloseReason {
    code: close::DECODE_ERROR,
    reason: "not a valid client frame",
};

const UNAVAILABLE: CloseReason = CloseReason {
    code: close::RECONNECT,
    reason: "events unavailable; reconnect",
};

const SESSION_REVOKED: CloseReason = CloseReason {
    code: close::SESSION_REVOKED,
    reason: "session revoked",
};

type Rejection = (CloseReason, Option<ApiError>);

/// The ready snapshot: the caller's view of each of their communities.
async fn snapshot(app: &AppState, caller: Caller) -> Result<Vec<CommunityView>, ApiError> {
    let ctx = CallerContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        caller: Some(caller),
        ..CallerContext::default()
    };
    Ok(app
        .rpc
        .call(&ctx, &ListMyCommunitiesRequest {})
        .await?
        .views)
}

/// Waits for `identify` and verifies its token.
async fn identify(
    app: &AppState,
    stream: &mut futures::stream::SplitStream<WebSocket>,
) -> Result<Caller, Rejection> {
    let not_authenticated = |reason| {
        (
            CloseReason {
                code: close::NOT_AUTHENTICATED,
                reason,
            },
            None,
        )
    };
    let deadline = Instant::now() + Duration::from_millis(app.config.identify_timeout_ms);
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| not_authenticated("identify in time"))?;
        match next {
            None | Some(Ok(Message::Close(_))) => return Err(not_authenticated("closed")),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Text(text))) => {
                return match serde_json::from_str::<ClientFrame>(&text) {
                    Ok(ClientFrame::Identify(identify)) => {
                        app.authenticate(&identify.token).map_err(|error| {
                            let code = if error.code == chatalot_shared::ErrorCode::SessionRevoked {
                                close::SESSION_REVOKED
                            } else {
                                close::AUTHENTICATION_FAILED
                            };
                            (
                                CloseReason {
                                    code,
                                    reason: "authentication failed",
                                },
                                Some(error),
                            )
                        })
                    }
                    Ok(_) => Err(not_authenticated("identify first")),
                    Err(_) => Err((DECODE_ERROR, None)),
                };
            }
            Some(Ok(Message::Binary(_))) => return Err((DECODE_ERROR, None)),
            Some(Err(err)) => {
                return Err((close_reason_for(&err).unwrap_or(DECODE_ERROR), None));
            }
        }
    }
}

/// Feeds `first` and whatever else is queued (up to a batch), then flushes once.
async fn write_batch(
    sink: &mut Sink,
    first: Utf8Bytes,
    queue: &mut tokio::sync::mpsc::Receiver<Utf8Bytes>,
) -> Result<(), axum::Error> {
    sink.feed(Message::Text(first)).await?;
    for _ in 1..MAX_BATCH {
        match queue.try_recv() {
            Ok(frame) => sink.feed(Message::Text(frame)).await?,
            Err(_) => break,
        }
    }
    sink.flush().await
}

async fn send(sink: &mut Sink, frame: &ServerFrame) -> Result<(), axum::Error> {
    let text = serde_json::to_string(frame).map_err(axum::Error::new)?;
    sink.send(Message::Text(text.into())).await
}

/// Sends a close frame, giving a dead peer at most a second.
async fn close_with(sink: &mut Sink, reason: CloseReason) {
    let frame = CloseFrame {
        code: reason.code,
        reason: Utf8Bytes::from_static(reason.reason),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}

/// The close code for a protocol error: 1009 for an oversized message, 1007 for invalid UTF-8.
fn close_reason_for(err: &axum::Error) -> Option<CloseReason> {
    use std::error::Error as _;
    let mut source: Option<&(dyn std::error::Error + 'static)> = err.source();
    while let Some(cause) = source {
        if let Some(err) = cause.downcast_ref::<tungstenite::Error>() {
            return match err {
                tungstenite::Error::Capacity(_) => Some(CloseReason {
                    code: close::MESSAGE_TOO_BIG,
                    reason: "message too big",
                }),
                tungstenite::Error::Utf8(_) => Some(CloseReason {
                    code: close::INVALID_PAYLOAD,
                    reason: "invalid UTF-8",
                }),
                _ => None,
            };
        }
        source = cause.source();
    }
    None
}
