//! One WebSocket connection, served by one task: `hello`, then `identify` within the timeout,
//! then a loop that reads client frames, writes queued events (coalesced: many frames fed, one
//! flush), and enforces the heartbeat timeout. See `shared::contracts::gateway` for the protocol
//! and close codes.

use super::{
    hub::{CloseReason, Outgoing, Registration},
    resume::{self, Continuity, HighWater},
};
use crate::{rate_limit::TokenBucket, state::AppState};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use chatalot_shared::{
    contracts::{
        community::{ChannelKind, CommunityView, ListMyCommunitiesRequest},
        gateway::{ClientFrame, Resume, ServerFrame, close},
        messages::{ChannelReadState, ReadStatesRequest},
    },
    error::{ApiError, RateLimit},
    rpc::{Caller, CallerContext},
};
use futures::{
    SinkExt, StreamExt,
    stream::{SplitSink, SplitStream},
};
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

    let (caller, resume) = match identify(&app, &mut stream).await {
        Ok(identified) => identified,
        Err((reason, error)) => {
            if let Some(error) = error {
                let _ = send(&mut sink, &ServerFrame::Error(error)).await;
            }
            close_with(&mut sink, reason).await;
            return;
        }
    };

    let (views, read_states) = match snapshot(&app, caller).await {
        Ok(snapshot) => snapshot,
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
    let _open = super::OpenConnection::new();
    // A session revoked between the token check and the registration would otherwise be missed.
    if app.revoked.is_revoked(caller.session_id) {
        registration.kick.kick(SESSION_REVOKED);
    }
    let presences = app.presence.snapshot(caller, &views).await;
    let connection_id = registration.connection_id;
    let ready = ServerFrame::Ready {
        user_id: caller.user_id,
        session_id: caller.session_id,
        communities: views.clone(),
        read_states,
        presences,
    };

    let reason = match begin(&app, &mut sink, &ready, caller, resume).await {
        Ok((mut high_water, mut continuity)) => {
            app.presence.connected(caller, connection_id, &views).await;
            drop(views);
            let reason = serve_events(
                &app,
                caller,
                &mut sink,
                &mut stream,
                &mut registration,
                &mut high_water,
                &mut continuity,
            )
            .await;
            app.presence.disconnected(caller, connection_id).await;
            app.calls.connection_closed(caller, connection_id).await;
            reason
        }
        Err(reason) => reason,
    };
    app.hub.unregister(caller.user_id, connection_id);
    if let Some(reason) = reason {
        close_with(&mut sink, reason).await;
    }
}

const DECODE_ERROR: CloseReason = CloseReason {
    code: close::DECODE_ERROR,
    reason: "not a valid client frame",
};

/// Sends `ready` and, when the client resumes, the replay of what it missed followed by
/// `resumed`. Returns the high-water marks and continuity to filter queued live frames by, or
/// why to stop.
async fn begin(
    app: &AppState,
    sink: &mut Sink,
    ready: &ServerFrame,
    caller: Caller,
    resume: Option<Resume>,
) -> Result<(HighWater, Continuity), Option<CloseReason>> {
    send(sink, ready).await.map_err(|_| None)?;
    let Some(resume) = resume else {
        return Ok((HighWater::default(), Continuity::default()));
    };
    match resume::replay(app, caller, &resume).await {
        Ok((frames, high_water, continuity)) => {
            for frame in frames {
                sink.feed(Message::Text(frame)).await.map_err(|_| None)?;
            }
            send(sink, &ServerFrame::Resumed).await.map_err(|_| None)?;
            Ok((high_water, continuity))
        }
        Err(error) => {
            // A resume the client got wrong is its fault (4002); anything else, try again.
            let reason = if error.http_status() < 500 {
                DECODE_ERROR
            } else {
                UNAVAILABLE
            };
            let _ = send(sink, &ServerFrame::Error(error)).await;
            Err(Some(reason))
        }
    }
}

/// The connection's life after `ready`: client frames in, queued events out, heartbeat
/// deadline. Returns why the gateway ends it (`None` when the client left).
async fn serve_events(
    app: &AppState,
    caller: Caller,
    sink: &mut Sink,
    stream: &mut SplitStream<WebSocket>,
    registration: &mut Registration,
    high_water: &mut HighWater,
    continuity: &mut Continuity,
) -> Option<CloseReason> {
    let heartbeat_timeout = Duration::from_millis(app.config.heartbeat_timeout_ms);
    let mut deadline = Instant::now() + heartbeat_timeout;
    let mut flood = FloodGuard::new(app.config.ws_frames_per_sec, app.config.ws_frame_burst);
    loop {
        let held_until = continuity.deadline().map(Instant::from_std);
        tokio::select! {
            biased;
            reason = registration.kick.kicked() => break Some(reason),
            _ = app.draining.cancelled() => break Some(CloseReason {
                code: close::RECONNECT,
                reason: "gateway shutting down; reconnect",
            }),
            frame = registration.outgoing.recv() => {
                let Some(frame) = frame else { break None };
                match write_batch(sink, frame, &mut registration.outgoing, high_water, continuity).await {
                    Ok(Batch::Written) => {}
                    Ok(Batch::Gap) => break Some(MISSED_MESSAGES),
                    Err(_) => break None,
                }
            }
            incoming = stream.next() => {
                deadline = Instant::now() + heartbeat_timeout;
                match incoming {
                    None | Some(Ok(Message::Close(_))) => break None,
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientFrame>(&text) {
                        // Call commands have their own, larger bucket (`calls.command_*`).
                        Ok(ClientFrame::Heartbeat | ClientFrame::Activity(_)) if !flood.admit() => {
                            if flood.persisting() {
                                break Some(FLOODING);
                            }
                            let refused = ServerFrame::Error(ApiError::rate_limited(flood.limit()));
                            if send(sink, &refused).await.is_err() {
                                break None;
                            }
                        }
                        Ok(ClientFrame::Heartbeat) => {
                            if send(sink, &ServerFrame::HeartbeatAck).await.is_err() {
                                break None;
                            }
                        }
                        Ok(ClientFrame::Activity(activity)) => {
                            app.presence
                                .activity(caller, registration.connection_id, activity.idle)
                                .await;
                        }
                        Ok(ClientFrame::Call(command)) => {
                            let reply = app
                                .calls
                                .command(caller, registration.connection_id, command)
                                .await;
                            if send(sink, &ServerFrame::Reply(reply)).await.is_err() {
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
            // A held-back message's predecessor did not arrive in time: resume fetches it.
            _ = sleep_until_some(held_until), if held_until.is_some() => break Some(MISSED_MESSAGES),
        }
    }
}

const FLOODING: CloseReason = CloseReason {
    code: close::RATE_LIMITED,
    reason: "too many frames after being rate limited",
};

/// The rate limit of a connection's heartbeats and activity reports: past the burst a frame is
/// answered with a `rate_limited` error and ignored; a client that goes on sending as many
/// refused frames again as the burst is closed with 4010.
struct FloodGuard {
    bucket: TokenBucket,
    rate: f64,
    burst: u32,
    refused_in_a_row: u32,
    last_refusal: Option<RateLimit>,
}

impl FloodGuard {
    fn new(rate: u32, burst: u32) -> Self {
        Self {
            bucket: TokenBucket::full(burst),
            rate: f64::from(rate),
            burst,
            refused_in_a_row: 0,
            last_refusal: None,
        }
    }

    fn admit(&mut self) -> bool {
        match self
            .bucket
            .take(std::time::Instant::now(), self.rate, f64::from(self.burst))
        {
            Ok(()) => {
                self.refused_in_a_row = 0;
                true
            }
            Err(limit) => {
                self.refused_in_a_row += 1;
                self.last_refusal = Some(limit);
                false
            }
        }
    }

    fn persisting(&self) -> bool {
        self.refused_in_a_row > self.burst
    }

    fn limit(&self) -> RateLimit {
        self.last_refusal.clone().unwrap_or(RateLimit {
            limit: self.burst,
            remaining: 0,
            reset_secs: 1,
        })
    }
}

const MISSED_MESSAGES: CloseReason = CloseReason {
    code: close::RECONNECT,
    reason: "a message did not arrive; reconnect and resume",
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

/// The ready snapshot: the caller's view of each of their communities, and the read state of
/// every text channel in them.
async fn snapshot(
    app: &AppState,
    caller: Caller,
) -> Result<(Vec<CommunityView>, Vec<ChannelReadState>), ApiError> {
    let ctx = CallerContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        caller: Some(caller),
        ..CallerContext::default()
    };
    let views = app
        .rpc
        .call(&ctx, &ListMyCommunitiesRequest {})
        .await?
        .views;
    let channel_ids: Vec<uuid::Uuid> = views
        .iter()
        .flat_map(|view| &view.channels)
        .filter(|c| c.channel.kind == ChannelKind::Text)
        .map(|c| c.channel.channel_id)
        .collect();
    if channel_ids.is_empty() {
        return Ok((views, Vec::new()));
    }
    let request = ReadStatesRequest {
        user_id: caller.user_id,
        channel_ids,
    };
    let read_states = app.rpc.call(&ctx, &request).await?.states;
    Ok((views, read_states))
}

/// Waits for `identify` and verifies its token.
async fn identify(
    app: &AppState,
    stream: &mut SplitStream<WebSocket>,
) -> Result<(Caller, Option<Resume>), Rejection> {
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
                        let resume = identify.resume;
                        app.authenticate(&identify.token)
                            .map(|caller| (caller, resume))
                            .map_err(|error| {
                                let code =
                                    if error.code == chatalot_shared::ErrorCode::SessionRevoked {
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

/// How a batch ended.
enum Batch {
    Written,
    /// Too many channel messages wait for their predecessors: nothing past them was written.
    Gap,
}

/// Sleeps until `until`; never wakes without one.
async fn sleep_until_some(until: Option<Instant>) {
    match until {
        Some(until) => tokio::time::sleep_until(until).await,
        None => std::future::pending().await,
    }
}

/// Feeds `first` and whatever else is queued (up to a batch), skipping frames a resume replay
/// or an earlier frame already sent and holding back channel messages whose predecessor has not
/// been written, then flushes once.
async fn write_batch(
    sink: &mut Sink,
    first: Outgoing,
    queue: &mut tokio::sync::mpsc::Receiver<Outgoing>,
    high_water: &mut HighWater,
    continuity: &mut Continuity,
) -> Result<Batch, axum::Error> {
    let mut next = Some(first);
    let mut fed = 0;
    let mut batch = Batch::Written;
    let mut ready = Vec::new();
    while let Some(Outgoing { frame, link }) = next {
        let in_order = match link {
            Some(link) => continuity.offer(link, frame, &mut ready).is_ok(),
            None => {
                if high_water.admits(&frame) {
                    ready.push(frame);
                }
                true
            }
        };
        if !in_order {
            batch = Batch::Gap;
            break;
        }
        for frame in ready.drain(..) {
            sink.feed(Message::Text(frame)).await?;
            fed += 1;
        }
        next = if fed < MAX_BATCH {
            queue.try_recv().ok()
        } else {
            None
        };
    }
    sink.flush().await?;
    Ok(batch)
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
