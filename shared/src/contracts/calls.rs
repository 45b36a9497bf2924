//! Voice and video calls: participants and their state, and the WebRTC signaling relay, owned
//! by signal-svc (see `docs/calls.md`).
//!
//! A call takes place in a voice channel of a community or in a conversation ([`CallId`]); a
//! user is in at most one call at a time, from one WebSocket connection. Commands that bind the
//! participant to its connection (join, leave, update own state, signal) arrive on the
//! WebSocket as [`CallCommand`]s; the gateway adds which connection sent them
//! ([`CallConnection`]) and forwards them to signal-svc. Reading a call, removing a participant
//! and fetching ICE servers are REST routes.

use super::{Empty, events, rpc};
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most participants in any call: every participant sends to every other one (a mesh).
pub const MAX_CALL_PARTICIPANTS: u32 = 25;

/// The largest SDP offer or answer, in bytes.
pub const MAX_SDP_BYTES: usize = 64 * 1024;

/// The largest ICE candidate line, in bytes (real ones are under 256).
pub const MAX_ICE_CANDIDATE_BYTES: usize = 2048;

/// The largest media stream identification tag (`sdpMid`) or ICE username fragment, in bytes.
pub const MAX_ICE_TAG_BYTES: usize = 256;

/// Where a call takes place; also its identity (one call per voice channel or conversation).
/// On the wire: `{"kind": "channel", "id": "<channel id>"}` or `{"kind": "conversation", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum CallId {
    /// A voice channel of a community: everyone who can see the channel sees the call.
    Channel(Uuid),
    /// A direct or group conversation: its members see the call.
    Conversation(Uuid),
}

impl CallId {
    /// `channel:<id>` or `conversation:<id>`: a stable text form (Redis keys, logs).
    pub fn key(&self) -> String {
        match self {
            CallId::Channel(id) => format!("channel:{id}"),
            CallId::Conversation(id) => format!("conversation:{id}"),
        }
    }

    /// The inverse of [`CallId::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "channel" => Some(CallId::Channel(id)),
            "conversation" => Some(CallId::Conversation(id)),
            _ => None,
        }
    }
}

/// One participant as everyone who sees the call sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallParticipant {
    pub user_id: Uuid,
    pub joined_at: DateTime<Utc>,
    /// The participant's microphone is off (always true without `can_speak`).
    pub muted: bool,
    /// The participant hears nothing.
    pub deafened: bool,
    /// The participant sends camera video (never without `can_video`).
    pub camera: bool,
    /// The participant shares their screen (never without `can_video`).
    pub screen_sharing: bool,
    /// Whether they may speak here (`speak`, and not timed out). Clients do not play the
    /// audio of a participant who may not.
    pub can_speak: bool,
    /// Whether they may send video here (`video`, and not timed out).
    pub can_video: bool,
    /// False while their connection is gone and the grace period runs (`calls.disconnect_grace_ms`):
    /// they may come back by joining again, from any gateway.
    pub connected: bool,
}

/// A call and who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallState {
    pub call: CallId,
    /// The most participants this call admits.
    pub max_participants: u32,
    /// In the order they joined.
    pub participants: Vec<CallParticipant>,
}

/// A WebRTC signaling message from one participant to another; the server relays it unread
/// (apart from size limits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Signal {
    /// An SDP offer (at most 64 KiB).
    Offer { sdp: String },
    /// An SDP answer (at most 64 KiB).
    Answer { sdp: String },
    /// A trickled ICE candidate (an empty `candidate` ends the candidates).
    IceCandidate {
        /// At most 2 KiB.
        candidate: String,
        #[serde(default)]
        sdp_mid: Option<String>,
        #[serde(default)]
        sdp_m_line_index: Option<u16>,
        #[serde(default)]
        username_fragment: Option<String>,
    },
}

impl Signal {
    /// `payload_too_large` for an oversized SDP or candidate, `invalid_request` for an empty SDP
    /// or an overlong tag.
    pub fn validate(&self) -> Result<(), ApiError> {
        let too_large = |what: &str, limit: usize| {
            Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("{what} is larger than {limit} bytes"),
            ))
        };
        match self {
            Signal::Offer { sdp } | Signal::Answer { sdp } => {
                if sdp.len() > MAX_SDP_BYTES {
                    return too_large("the SDP", MAX_SDP_BYTES);
                }
                if sdp.trim().is_empty() {
                    return Err(ApiError::invalid_request("the SDP is empty"));
                }
            }
            Signal::IceCandidate {
                candidate,
                sdp_mid,
                username_fragment,
                ..
            } => {
                if candidate.len() > MAX_ICE_CANDIDATE_BYTES {
                    return too_large("the ICE candidate", MAX_ICE_CANDIDATE_BYTES);
                }
                let overlong = [sdp_mid, username_fragment]
                    .into_iter()
                    .flatten()
                    .any(|tag| tag.len() > MAX_ICE_TAG_BYTES);
                if overlong {
                    return Err(ApiError::invalid_request(format!(
                        "sdp_mid and username_fragment are at most {MAX_ICE_TAG_BYTES} bytes"
                    )));
                }
            }
        }
        Ok(())
    }
}

// ---- WebSocket commands ----

/// A call command a client sends on its WebSocket (`{"op":"call","d":{"ref":"…","action":…}}`);
/// the gateway answers each with a [`CommandReply`] carrying the same `ref`. The rest of the
/// object is parsed by [`CallCommand::action`], so a malformed command is answered with
/// `invalid_request` instead of closing the connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallCommand {
    /// Chosen by the client, echoed in the reply.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(flatten)]
    pub body: serde_json::Map<String, serde_json::Value>,
}

impl CallCommand {
    /// The command's action, or `invalid_request` saying what does not fit.
    pub fn action(&self) -> Result<CallAction, ApiError> {
        serde_json::from_value(serde_json::Value::Object(self.body.clone()))
            .map_err(|err| ApiError::invalid_request(format!("not a valid call command: {err}")))
    }
}

/// What a call command asks for, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum CallAction {
    /// Joins the call from this connection (leaving any other call first). Replies with the
    /// [`CallState`]. Joining again from another connection (a reconnect, another device) moves
    /// the participation there.
    Join {
        call: CallId,
        #[serde(default)]
        muted: bool,
        #[serde(default)]
        deafened: bool,
        #[serde(default)]
        camera: bool,
    },
    /// Leaves the call (harmless when not in it). Replies `{}`.
    Leave { call: CallId },
    /// Changes the caller's own state; absent fields keep their value. Replies with the
    /// updated [`CallParticipant`].
    UpdateState {
        call: CallId,
        #[serde(default)]
        muted: Option<bool>,
        #[serde(default)]
        deafened: Option<bool>,
        #[serde(default)]
        camera: Option<bool>,
        #[serde(default)]
        screen_sharing: Option<bool>,
    },
    /// Relays `signal` to another participant of the same call. Replies `{}`.
    Signal {
        call: CallId,
        to_user_id: Uuid,
        signal: Signal,
    },
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

impl CommandReply {
    pub fn ok(reference: String, value: serde_json::Value) -> Self {
        Self {
            reference,
            ok: Some(value),
            error: None,
        }
    }

    pub fn error(reference: String, error: ApiError) -> Self {
        Self {
            reference,
            ok: None,
            error: Some(error),
        }
    }
}

// ---- gateway to signal-svc ----

/// The WebSocket connection a command came from: the gateway process (its instance id, also
/// its liveness key in Redis) and the connection's number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallConnection {
    pub gateway_id: Uuid,
    pub connection_id: u64,
}

/// [`CallAction::Join`] from a connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinCallRequest {
    pub connection: CallConnection,
    pub call: CallId,
    pub muted: bool,
    pub deafened: bool,
    pub camera: bool,
}

/// [`CallAction::Leave`] from a connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveCallRequest {
    pub connection: CallConnection,
    pub call: CallId,
}

/// [`CallAction::UpdateState`] from a connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCallStateRequest {
    pub connection: CallConnection,
    pub call: CallId,
    pub muted: Option<bool>,
    pub deafened: Option<bool>,
    pub camera: Option<bool>,
    pub screen_sharing: Option<bool>,
}

/// [`CallAction::Signal`] from a connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySignalRequest {
    pub connection: CallConnection,
    pub call: CallId,
    pub to_user_id: Uuid,
    pub signal: Signal,
}

/// The caller's connection ended on its gateway: if it carried a call, the participant is
/// marked disconnected and leaves after the grace period unless they join again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallConnectionClosedRequest {
    pub connection: CallConnection,
}

/// Who is in a call (anyone who can see the channel or is a member of the conversation).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCallRequest {
    pub call: CallId,
}

/// Removes a participant from a voice channel's call (`kick_members`, on members ranked below
/// the caller).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveCallParticipantRequest {
    pub call: CallId,
    pub user_id: Uuid,
}

/// The ICE servers a client should use, with fresh TURN credentials.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServersRequest {}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    /// TURN only: `<expiry unix seconds>:<user id>` (coturn's `use-auth-secret` scheme).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN only: base64(HMAC-SHA1(secret, username)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The answer to [`IceServersRequest`]: pass `ice_servers` to `RTCPeerConnection` as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IceServers {
    pub ice_servers: Vec<IceServer>,
    /// When the TURN credentials stop working (fetch new ones before); absent without TURN.
    pub expires_at: Option<DateTime<Utc>>,
}

// ---- events ----
//
// Participant events of a voice channel go to its community subject with the channel scope
// header (everyone who sees the channel); those of a conversation to each member's own subject.
// Signals go to the target user's own subject only.

/// Someone joined, or joined again from another connection (peers renegotiate with them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallParticipantJoined {
    pub call: CallId,
    pub participant: CallParticipant,
}

/// A participant's state changed: muted, deafened, camera, screen, rights, connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallParticipantUpdated {
    pub call: CallId,
    pub participant: CallParticipant,
}

/// Why a participant is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallLeaveReason {
    /// They left.
    Left,
    /// They joined another call.
    Moved,
    /// A moderator removed them.
    Removed,
    /// Their connection was gone for longer than the grace period.
    Disconnected,
    /// They may no longer be there (left the community or conversation, lost `connect` or
    /// the channel, or the channel was deleted).
    LostAccess,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallParticipantLeft {
    pub call: CallId,
    pub user_id: Uuid,
    pub reason: CallLeaveReason,
}

/// A signal from another participant, to the target user's connections only (the one in the
/// call acts on it; the user's other devices ignore signals for calls they are not in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallSignal {
    pub call: CallId,
    pub from_user_id: Uuid,
    pub signal: Signal,
}

events! {
    CallParticipantJoined => "call_participant_joined";
    CallParticipantUpdated => "call_participant_updated";
    CallParticipantLeft => "call_participant_left";
    CallSignal => "call_signal";
}

rpc! {
    JoinCallRequest => CallState, Signal, "join_call";
    LeaveCallRequest => Empty, Signal, "leave_call";
    UpdateCallStateRequest => CallParticipant, Signal, "update_call_state";
    RelaySignalRequest => Empty, Signal, "relay_signal";
    CallConnectionClosedRequest => Empty, Signal, "call_connection_closed";
    GetCallRequest => CallState, Signal, "get_call";
    RemoveCallParticipantRequest => Empty, Signal, "remove_call_participant";
    IceServersRequest => IceServers, Signal, "ice_servers";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn command(value: serde_json::Value) -> Result<CallAction, ErrorCode> {
        serde_json::from_value::<CallCommand>(value)
            .map_err(|_| ErrorCode::InvalidJson)
            .and_then(|c| c.action().map_err(|e| e.code))
    }

    #[test]
    fn commands_parse_from_the_wire_form() {
        let id = Uuid::now_v7();
        let join = command(json!({
            "ref": "1", "action": "join", "call": { "kind": "channel", "id": id }, "muted": true
        }));
        assert_eq!(
            join,
            Ok(CallAction::Join {
                call: CallId::Channel(id),
                muted: true,
                deafened: false,
                camera: false,
            })
        );
        let signal = command(json!({
            "ref": "2", "action": "signal", "call": { "kind": "conversation", "id": id },
            "to_user_id": id, "signal": { "type": "ice_candidate", "candidate": "candidate:1", "sdp_m_line_index": 0 }
        }));
        assert!(matches!(
            signal,
            Ok(CallAction::Signal {
                signal: Signal::IceCandidate { .. },
                ..
            })
        ));
    }

    /// Found by the `ws_client_frame` fuzz target: without serde_json's `float_roundtrip`, a
    /// long mantissa with an exponent parsed one ULP off, so the body a gateway forwarded was
    /// not the body the client sent.
    #[test]
    #[expect(clippy::expect_used, reason = "a test fails loudly")]
    fn a_command_body_survives_the_trip_through_a_gateway_unchanged() {
        let wire = r#"{"ref":"5","action":"signal","extra":222222222222222222212222e21}"#;
        let parsed: CallCommand = serde_json::from_str(wire).expect("parses");
        let forwarded = serde_json::to_string(&parsed).expect("serialises");
        let received: CallCommand = serde_json::from_str(&forwarded).expect("parses again");
        assert_eq!(parsed.body, received.body);
    }

    #[test]
    fn malformed_commands_are_invalid_requests_not_decode_errors() {
        let id = Uuid::now_v7();
        for body in [
            json!({ "ref": "1", "action": "dance" }),
            json!({ "ref": "1" }),
            json!({ "ref": "1", "action": "join", "call": { "kind": "room", "id": id } }),
            json!({ "ref": "1", "action": "join", "call": { "kind": "channel", "id": id }, "extra": 1 }),
            json!({ "ref": "1", "action": "signal", "call": { "kind": "channel", "id": id },
                    "to_user_id": id, "signal": { "type": "offer" } }),
        ] {
            assert_eq!(
                command(body.clone()),
                Err(ErrorCode::InvalidRequest),
                "{body}"
            );
        }
        // Without a ref there is nothing to answer to: the frame itself is malformed.
        assert_eq!(
            command(json!({ "action": "leave" })),
            Err(ErrorCode::InvalidJson)
        );
    }

    #[test]
    fn signals_are_bounded() {
        let sdp = |n: usize| Signal::Offer { sdp: "a".repeat(n) };
        assert!(sdp(MAX_SDP_BYTES).validate().is_ok());
        assert_eq!(
            sdp(MAX_SDP_BYTES + 1).validate().err().map(|e| e.code),
            Some(ErrorCode::PayloadTooLarge)
        );
        assert_eq!(
            sdp(0).validate().err().map(|e| e.code),
            Some(ErrorCode::InvalidRequest)
        );
        let candidate = Signal::IceCandidate {
            candidate: "c".repeat(MAX_ICE_CANDIDATE_BYTES + 1),
            sdp_mid: None,
            sdp_m_line_index: None,
            username_fragment: None,
        };
        assert_eq!(
            candidate.validate().err().map(|e| e.code),
            Some(ErrorCode::PayloadTooLarge)
        );
        let end_of_candidates = Signal::IceCandidate {
            candidate: String::new(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        };
        assert!(end_of_candidates.validate().is_ok());
    }

    #[test]
    fn call_ids_round_trip_through_their_key() {
        let id = Uuid::now_v7();
        for call in [CallId::Channel(id), CallId::Conversation(id)] {
            assert_eq!(CallId::from_key(&call.key()), Some(call));
        }
        assert_eq!(CallId::from_key("room:x"), None);
        assert_eq!(
            serde_json::to_value(CallId::Channel(id)).ok(),
            Some(json!({ "kind": "channel", "id": id }))
        );
    }
}
