//! The gateway's WebSocket protocol as a client speaks it (`shared/src/contracts/gateway.rs`):
//! `hello`, `identify` (optionally with `resume`), `ready`, heartbeats at the announced interval,
//! then events. [`Connection::next`] sends heartbeats itself, so a connection held by a task that
//! only reads stays alive.

use super::Gateway;
use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Duration,
};
use tokio::{net::TcpSocket, time::Instant};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{Message, protocol::WebSocketConfig},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How long connecting and identifying may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// An identified connection.
pub struct Connection {
    stream: WebSocketStream<tokio::net::TcpStream>,
    heartbeat_interval: Duration,
    next_heartbeat: Instant,
}

/// A message as the bench reads it from `message_created` (the other fields are skipped).
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveredMessage {
    pub message_id: Uuid,
    pub channel_id: Uuid,
    pub body: String,
}

/// What [`Connection::next`] read.
#[derive(Debug)]
pub enum Incoming {
    Message(DeliveredMessage),
    /// The resume replay is complete; live events follow.
    Resumed,
    /// More than the replay limit was missed in this channel or conversation.
    ResumeGap,
    HeartbeatAck,
    /// An `error` frame from the gateway.
    Error(String),
    /// Any other frame (presence, typing, read states, ...).
    Other,
    /// The gateway closed the connection with this code (1005: without one).
    Closed(u16),
    /// The connection broke without a close frame.
    Dropped(String),
    /// The caller's stop token was cancelled.
    Stopped,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    op: &'a str,
    #[serde(default, borrow)]
    t: Option<&'a str>,
}

#[derive(Deserialize)]
struct MessageCreated {
    d: MessageCreatedData,
}

#[derive(Deserialize)]
struct MessageCreatedData {
    message: DeliveredMessage,
}

/// Small buffers: the bench may hold thousands of mostly idle connections (tungstenite's
/// default read buffer alone is 128 KiB each).
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
}

impl Connection {
    /// Connects to `gateway` from `source`, identifies with `token` (and `resume`: last seen
    /// message id by channel id) and waits for `ready`.
    pub async fn open(
        gateway: &Gateway,
        source: Option<Ipv4Addr>,
        token: &str,
        resume: Option<Value>,
    ) -> anyhow::Result<Self> {
        tokio::time::timeout(
            CONNECT_TIMEOUT,
            Self::open_untimed(gateway, source, token, resume),
        )
        .await
        .with_context(|| {
            format!(
                "no ready from {} within {CONNECT_TIMEOUT:?}",
                gateway.ws_url
            )
        })?
    }

    async fn open_untimed(
        gateway: &Gateway,
        source: Option<Ipv4Addr>,
        token: &str,
        resume: Option<Value>,
    ) -> anyhow::Result<Self> {
        let socket = match gateway.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .context("creating a socket (out of file descriptors? see docs/benchmarks.md)")?;
        if let Some(ip) = source {
            socket
                .bind(SocketAddr::new(IpAddr::V4(ip), 0))
                .with_context(|| format!("binding source address {ip}"))?;
        }
        let tcp = socket
            .connect(gateway.addr)
            .await
            .with_context(|| format!("connecting to {}", gateway.addr))?;
        tcp.set_nodelay(true).ok();
        let (stream, _) = tokio_tungstenite::client_async_with_config(
            gateway.ws_url.as_str(),
            tcp,
            Some(socket_config()),
        )
        .await
        .context("WebSocket handshake")?;
        let mut connection = Self {
            stream,
            heartbeat_interval: Duration::from_secs(30),
            next_heartbeat: Instant::now(),
        };
        let hello = connection.next_text().await?;
        let hello: Value = serde_json::from_str(&hello).context("hello is not JSON")?;
        if hello["op"] != "hello" {
            bail!("expected hello, got {hello}");
        }
        let interval_ms = hello["d"]["heartbeat_interval_ms"]
            .as_u64()
            .unwrap_or(30_000);
        connection.heartbeat_interval = Duration::from_millis(interval_ms.max(100));
        connection.next_heartbeat = Instant::now() + connection.heartbeat_interval;

        let mut identify = json!({ "token": token });
        if let Some(resume) = resume {
            identify["resume"] = resume;
        }
        connection
            .send(json!({ "op": "identify", "d": identify }))
            .await?;
        let ready = connection.next_text().await?;
        let op = serde_json::from_str::<Frame<'_>>(&ready).map(|f| f.op == "ready");
        if !matches!(op, Ok(true)) {
            bail!("identify refused: {ready}");
        }
        Ok(connection)
    }

    async fn send(&mut self, frame: Value) -> anyhow::Result<()> {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .context("sending a frame")
    }

    /// The next text frame (during the handshake); a close is an error with its code.
    async fn next_text(&mut self) -> anyhow::Result<String> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_string()),
                Some(Ok(Message::Close(frame))) => {
                    bail!("closed by the gateway: {frame:?}")
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(err).context("reading a frame"),
                None => bail!("the gateway ended the connection"),
            }
        }
    }

    /// Reads the next frame worth telling the caller about, sending heartbeats when they are due,
    /// until `stop` is cancelled.
    pub async fn next(&mut self, stop: &CancellationToken) -> Incoming {
        loop {
            let frame = tokio::select! {
                biased;
                _ = stop.cancelled() => return Incoming::Stopped,
                _ = tokio::time::sleep_until(self.next_heartbeat) => {
                    self.next_heartbeat = Instant::now() + self.heartbeat_interval;
                    if let Err(err) = self.send(json!({ "op": "heartbeat" })).await {
                        return Incoming::Dropped(format!("{err:#}"));
                    }
                    continue;
                }
                frame = self.stream.next() => frame,
            };
            return match frame {
                Some(Ok(Message::Text(text))) => classify(text.as_str()),
                Some(Ok(Message::Close(frame))) => {
                    Incoming::Closed(frame.map_or(1005, |f| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => Incoming::Dropped(err.to_string()),
                None => Incoming::Dropped("connection ended".to_string()),
            };
        }
    }

    /// Closes the connection politely (a close frame), as a client that leaves does.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.stream.close(None)).await;
    }

    /// Drops the TCP connection without a close frame, as a client whose network fails does.
    pub fn abandon(self) {
        drop(self.stream);
    }
}

/// Parses only what the bench needs: the op and event name, and the message of
/// `message_created` (the one frame read at high rates).
fn classify(text: &str) -> Incoming {
    let Ok(frame) = serde_json::from_str::<Frame<'_>>(text) else {
        return Incoming::Error(format!("not a JSON frame: {text}"));
    };
    match (frame.op, frame.t) {
        ("event", Some("message_created")) => match serde_json::from_str::<MessageCreated>(text) {
            Ok(created) => Incoming::Message(created.d.message),
            Err(err) => Incoming::Error(format!("unreadable message_created: {err}")),
        },
        ("event", Some("resume_gap")) => Incoming::ResumeGap,
        ("resumed", _) => Incoming::Resumed,
        ("heartbeat_ack", _) => Incoming::HeartbeatAck,
        ("error", _) => Incoming::Error(text.to_string()),
        _ => Incoming::Other,
    }
}
