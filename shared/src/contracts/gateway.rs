//! The WebSocket protocol between clients and gateways.
//!
//! A client connects to `/ws`, receives `hello`, sends `identify` with its access token and gets
//! `ready`. It then sends `heartbeat` at the announced interval (answered by `heartbeat_ack`) and
//! receives `event` frames. Every frame is a JSON text message with an `op` tag.

use crate::{
    contracts::{
        calls::{CallCommand, CommandReply},
        community::CommunityView,
        messages::ChannelReadState,
        presence::{Activity, Presence},
    },
    error::ApiError,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Frames a client sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    tag = "op",
    content = "d",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ClientFrame {
    Identify(Identify),
    Heartbeat,
    /// This connection's user is idle or active again (presence).
    Activity(Activity),
    /// A call command (join, leave, state, signaling); answered by `reply`.
    Call(CallCommand),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identify {
    pub token: String,
    /// After a disconnect: the last message id seen per channel and per conversation. The
    /// gateway replays what came after, exactly once and in order, before live events.
    #[serde(default)]
    pub resume: Option<Resume>,
}

/// Last seen message ids, by channel and by conversation (at most 500 entries in all).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resume {
    #[serde(default)]
    pub channels: std::collections::HashMap<Uuid, Uuid>,
    #[serde(default)]
    pub conversations: std::collections::HashMap<Uuid, Uuid>,
}

/// Messages replayed per channel or conversation on resume; past it the client gets a
/// `resume_gap` event for that channel or conversation and should refetch its history.
pub const RESUME_LIMIT: u32 = 500;

/// Frames a gateway sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", content = "d", rename_all = "snake_case")]
pub enum ServerFrame {
    Hello {
        heartbeat_interval_ms: u64,
    },
    /// The snapshot a client starts from: every community it belongs to, with only the groups
    /// and channels it can see, its roles and its own permissions.
    Ready {
        user_id: Uuid,
        session_id: Uuid,
        communities: Vec<CommunityView>,
        /// Unread and mention counts of every visible text channel.
        read_states: Vec<ChannelReadState>,
        /// Presence of the people the client can see (see `docs/presence.md` for the bound).
        presences: Vec<Presence>,
    },
    HeartbeatAck,
    /// The replay after `identify { resume }` is complete; live events follow.
    Resumed,
    Error(ApiError),
    /// The answer to a client command that carries a `ref`.
    Reply(CommandReply),
}

/// WebSocket close codes used by gateways. Clients reconnect on all but the authentication ones.
pub mod close {
    /// The message was not valid UTF-8 (RFC 6455).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// The message was larger than `gateway.ws_max_message_bytes` (RFC 6455).
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The client sent a frame that is not part of the protocol; do not retry unchanged.
    pub const DECODE_ERROR: u16 = 4002;
    /// Something other than `identify` came first, or nothing came in time.
    pub const NOT_AUTHENTICATED: u16 = 4003;
    /// The access token was invalid or expired; refresh it, then reconnect.
    pub const AUTHENTICATION_FAILED: u16 = 4004;
    /// The session was revoked or the account disabled; do not reconnect with this session.
    pub const SESSION_REVOKED: u16 = 4005;
    /// No heartbeat arrived within the timeout.
    pub const HEARTBEAT_TIMEOUT: u16 = 4006;
    /// The client read too slowly and its queue filled up; reconnect and catch up.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// This gateway is shutting down; reconnect (to any gateway) right away.
    pub const RECONNECT: u16 = 4009;
    /// The client kept sending heartbeats or activity reports after `rate_limited` errors;
    /// reconnect after a pause.
    pub const RATE_LIMITED: u16 = 4010;
}
