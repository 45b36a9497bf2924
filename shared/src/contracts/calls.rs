//! Voice and video calls: participants and their state, and the WebRTC signaling relay, owned
//! by signal-svc (see `docs/calls.md`).
//!
//! PLACEHOLDER: completed by the calls work.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

/// A call command a client sends on its WebSocket (`{"op":"call","d":{...}}`); the gateway
/// answers each with a [`CommandReply`] carrying the same `ref`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallCommand {
    /// Chosen by the client, echoed in the reply.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(flatten)]
    pub action: CallAction,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CallAction {
    Leave,
}

/// The answer to a [`CallCommand`]: `ok` (the command's result) or `error`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandReply {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}
