//! Conversations (owned by message-svc): direct and group conversations between users, the
//! end-to-end encrypted envelopes relayed in them, read receipts, and user blocks.
//!
//! The server never sees a conversation message's plaintext. A client encrypts the message once
//! per recipient device and sends an [`Envelope`]: the sender's device, and one ciphertext per
//! (recipient user, device). The server stores the envelope and hands each user only the
//! ciphertexts of their own devices. A body that carries readable text instead is refused with
//! `plaintext_not_allowed` ([`SendConversationMessageRequest::from_json`]).

use super::{Empty, attachments::Attachment, events, rpc};
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The most people in one conversation, the caller included.
pub const MAX_CONVERSATION_MEMBERS: usize = 25;

/// The most devices of one user an envelope may address.
pub const MAX_DEVICES_PER_USER: usize = 10;

/// The most entries in one envelope: every member's devices.
pub const MAX_ENVELOPE_RECIPIENTS: usize = MAX_CONVERSATION_MEMBERS * MAX_DEVICES_PER_USER;

/// The largest ciphertext of one recipient device, in bytes (after base64 decoding).
pub const MAX_CIPHERTEXT_BYTES: usize = 64 * 1024;

/// Top-level fields that carry a readable body in channel messages. In a conversation message
/// they mean the client is about to send plaintext, which the server refuses.
pub const PLAINTEXT_FIELDS: [&str; 3] = ["body", "text", "content"];

/// Two people (`direct`) or three to 25 (`group`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Exactly one per pair of users; cannot be renamed, extended or left.
    Direct,
    /// Named optionally; members may add others (up to 25 in all) and leave.
    Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub conversation_id: Uuid,
    pub kind: ConversationKind,
    /// Groups only; `None` when unnamed.
    pub name: Option<String>,
    /// The current members, in the order they joined.
    pub member_ids: Vec<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// The last message, or the creation when there is none: lists are sorted by it.
    pub last_activity_at: DateTime<Utc>,
}

/// One recipient device's copy of a message, encrypted by the sender for that device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeRecipient {
    /// A current member of the conversation.
    pub user_id: Uuid,
    /// 1 to 64 characters.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,64}$")]
    pub device_id: String,
    /// Standard base64 (with padding); 1 to 65536 bytes once decoded.
    pub ciphertext: String,
}

/// What a client sends instead of a message body: opaque ciphertexts and routing metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The sending device, so recipients know which session to decrypt with; 1 to 64 characters.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,64}$")]
    pub sender_device_id: String,
    /// 1 to 250 entries, each (user, device) at most once.
    pub recipients: Vec<EnvelopeRecipient>,
}

/// A ciphertext addressed to one of the reader's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCiphertext {
    pub device_id: String,
    /// Standard base64.
    pub ciphertext: String,
}

/// A conversation message as one user sees it: the routing metadata and only that user's
/// devices' ciphertexts (empty when the sender encrypted it for none of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationMessage {
    /// Time-ordered (UUIDv7): paging and read markers compare ids.
    pub message_id: Uuid,
    pub conversation_id: Uuid,
    pub author_id: Uuid,
    /// The client's idempotency key, echoed so the sender can match its pending message.
    pub nonce: String,
    pub sender_device_id: String,
    pub created_at: DateTime<Utc>,
    pub ciphertexts: Vec<DeviceCiphertext>,
    pub attachments: Vec<Attachment>,
}

/// How far one member has read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadReceipt {
    pub user_id: Uuid,
    /// The last message they have read.
    pub message_id: Uuid,
    pub read_at: DateTime<Utc>,
}

/// A user the caller has blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Block {
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
}

// ---- conversations ----

/// Starts a conversation with `member_ids` (the caller is added). One other person makes a
/// direct conversation (the existing one if the pair already has it); two to 24 a group. Each
/// of them must share a community with the caller, and neither side may have blocked the other.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversationRequest {
    /// The other members (the caller's own id is ignored): 1 to 24 distinct users.
    pub member_ids: Vec<Uuid>,
    /// Groups only: 1 to 100 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
}

/// The conversation, and whether this call created it (`false`: the pair's direct conversation
/// already existed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationCreation {
    pub conversation: Conversation,
    pub created: bool,
}

/// The caller's conversations, most recent activity first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListConversationsRequest {}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<Conversation>,
}

/// One conversation (members only; `not_found` for anyone else).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetConversationRequest {
    pub conversation_id: Uuid,
}

/// Renames a group (any member).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversationRequest {
    #[serde(default)]
    pub conversation_id: Uuid,
    /// 1 to 100 characters; an empty string clears the name.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
}

/// Adds people to a group (any member), up to 25 members in all. Each new member must share a
/// community with the caller, and neither side may have blocked the other. Current members in
/// the list are ignored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddConversationMembersRequest {
    #[serde(default)]
    pub conversation_id: Uuid,
    pub member_ids: Vec<Uuid>,
}

/// Leaves a group. Direct conversations cannot be left (block the other user instead).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveConversationRequest {
    pub conversation_id: Uuid,
}

// ---- messages ----

/// Sends an encrypted message. Idempotent: the same `nonce` from the same author in the same
/// conversation returns the message already stored and delivers nothing again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendConversationMessageRequest {
    #[serde(default)]
    pub conversation_id: Uuid,
    /// The client's idempotency key: 1 to 64 characters.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,64}$")]
    pub nonce: String,
    pub envelope: Envelope,
    /// Files uploaded by the caller and not yet used (at most 10).
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

impl SendConversationMessageRequest {
    /// Parses a client's JSON object. Readable text where an envelope belongs (a `body`, `text`
    /// or `content` field, or an `envelope` that is missing or not an object) is
    /// `plaintext_not_allowed`; any other misfit is `invalid_request`.
    pub fn from_json(value: serde_json::Value) -> Result<Self, ApiError> {
        let plaintext = || {
            ApiError::new(
                ErrorCode::PlaintextNotAllowed,
                "conversation messages are end-to-end encrypted: send an envelope of \
                 ciphertexts, never a readable body",
            )
        };
        let Some(object) = value.as_object() else {
            return Err(ApiError::invalid_request("the body must be a JSON object"));
        };
        if PLAINTEXT_FIELDS.iter().any(|f| object.contains_key(*f))
            || !object.get("envelope").is_some_and(|e| e.is_object())
        {
            return Err(plaintext());
        }
        serde_json::from_value(value).map_err(|err| ApiError::invalid_request(err.to_string()))
    }
}

/// The stored message (with the caller's devices' ciphertexts) and whether this call stored it
/// (`false`: the nonce had been used; nothing was delivered again).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationMessageSent {
    pub message: ConversationMessage,
    pub created: bool,
}

/// A page of history, oldest first. With `after`: the oldest messages after it; otherwise the
/// newest messages (before `before` when given).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListConversationMessagesRequest {
    #[serde(default)]
    #[param(ignore)]
    pub conversation_id: Uuid,
    /// Only messages older than this message id.
    #[serde(default)]
    pub before: Option<Uuid>,
    /// Only messages newer than this message id.
    #[serde(default)]
    pub after: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Only this device's ciphertexts (otherwise every device of the caller's).
    #[serde(default)]
    #[param(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,64}$")]
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConversationMessagePage {
    /// Oldest first.
    pub messages: Vec<ConversationMessage>,
    /// More messages lie beyond this page in the direction asked (older without `after`,
    /// newer with it).
    pub has_more: bool,
}

/// Messages of one conversation newer than `after` as `user_id` sees them, oldest first, at
/// most 500 (service to service: a gateway catching a reconnecting client up). Empty when the
/// user is not a member.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationMessagesSinceRequest {
    pub user_id: Uuid,
    pub conversation_id: Uuid,
    pub after: Uuid,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationMessagesSince {
    pub messages: Vec<ConversationMessage>,
    pub has_more: bool,
}

/// Every conversation `user_id` belongs to (service to service).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListConversationIdsRequest {
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationIds {
    pub conversation_ids: Vec<Uuid>,
}

/// Everyone who shares at least one conversation with `user_id`, without the user themself
/// (service to service: keys-svc tells them when the user's devices change).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListConversationPartnersRequest {
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationPartners {
    pub user_ids: Vec<Uuid>,
}

// ---- read receipts ----

/// Moves the caller's read marker forward to `message_id` (a marker never moves back).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkConversationReadRequest {
    #[serde(default)]
    pub conversation_id: Uuid,
    /// A message of this conversation.
    pub message_id: Uuid,
}

/// Who has read up to where (members only). Members who opted out of read receipts, and those
/// who have read nothing yet, are left out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListConversationReceiptsRequest {
    pub conversation_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReceiptList {
    pub receipts: Vec<ReadReceipt>,
}

/// Whether the caller shares read receipts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetReadReceiptSettingRequest {}

/// Shares (`true`, the default) or stops sharing the caller's read receipts. Opting out still
/// keeps the caller's own read markers; others just no longer see them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetReadReceiptSettingRequest {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadReceiptSetting {
    pub enabled: bool,
}

// ---- blocks ----

/// Blocks a user: no new conversation between the two (either way), and nothing they send
/// reaches the caller (neither live nor in history). Blocking twice is harmless.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockUserRequest {
    pub user_id: Uuid,
}

/// Lifts a block; unblocking someone not blocked is harmless.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnblockUserRequest {
    pub user_id: Uuid,
}

/// The users the caller has blocked, most recent first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBlocksRequest {}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockList {
    pub blocks: Vec<Block>,
}

// ---- events (on each user's own subject) ----

/// A new message, sent to each recipient user (except those who blocked the author) and to the
/// author's own subject, each with only their own devices' ciphertexts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationMessageCreated {
    pub message: ConversationMessage,
}

/// A member read up to `message_id`; sent to the other members unless the reader opted out
/// (and not to members who blocked the reader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationRead {
    pub conversation_id: Uuid,
    pub user_id: Uuid,
    pub message_id: Uuid,
}

/// A conversation began, was renamed, or gained or lost members; sent to every current member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationUpdated {
    pub conversation: Conversation,
}

/// Sent to a member who left, so their other sessions drop the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationLeft {
    pub conversation_id: Uuid,
}

events! {
    ConversationMessageCreated => "conversation_message_created";
    ConversationRead => "conversation_read";
    ConversationUpdated => "conversation_updated";
    ConversationLeft => "conversation_left";
}

rpc! {
    CreateConversationRequest => ConversationCreation, Message, "create_conversation";
    ListConversationsRequest => ConversationList, Message, "list_conversations";
    GetConversationRequest => Conversation, Message, "get_conversation";
    UpdateConversationRequest => Conversation, Message, "update_conversation";
    AddConversationMembersRequest => Conversation, Message, "add_conversation_members";
    LeaveConversationRequest => Empty, Message, "leave_conversation";
    SendConversationMessageRequest => ConversationMessageSent, Message, "send_conversation_message";
    ListConversationMessagesRequest => ConversationMessagePage, Message, "list_conversation_messages";
    ConversationMessagesSinceRequest => ConversationMessagesSince, Message, "conversation_messages_since";
    ListConversationIdsRequest => ConversationIds, Message, "list_conversation_ids";
    ListConversationPartnersRequest => ConversationPartners, Message, "list_conversation_partners";
    MarkConversationReadRequest => ReadReceipt, Message, "mark_conversation_read";
    ListConversationReceiptsRequest => ReceiptList, Message, "list_conversation_receipts";
    GetReadReceiptSettingRequest => ReadReceiptSetting, Message, "get_read_receipt_setting";
    SetReadReceiptSettingRequest => ReadReceiptSetting, Message, "set_read_receipt_setting";
    BlockUserRequest => Empty, Message, "block_user";
    UnblockUserRequest => Empty, Message, "unblock_user";
    ListBlocksRequest => BlockList, Message, "list_blocks";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope() -> serde_json::Value {
        json!({
            "sender_device_id": "d1",
            "recipients": [{ "user_id": Uuid::nil(), "device_id": "d1", "ciphertext": "AA==" }],
        })
    }

    fn code(value: serde_json::Value) -> Option<ErrorCode> {
        SendConversationMessageRequest::from_json(value)
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn an_envelope_parses() {
        let parsed = SendConversationMessageRequest::from_json(
            json!({ "nonce": "n", "envelope": envelope() }),
        );
        assert!(parsed.is_ok_and(|r| r.envelope.recipients.len() == 1));
    }

    #[test]
    fn readable_bodies_are_plaintext() {
        for body in [
            json!({ "nonce": "n", "body": "hello" }),
            json!({ "nonce": "n", "text": "hello", "envelope": envelope() }),
            json!({ "nonce": "n", "content": { "text": "hello" } }),
            json!({ "nonce": "n", "envelope": "hello" }),
            json!({ "nonce": "n" }),
        ] {
            assert_eq!(code(body), Some(ErrorCode::PlaintextNotAllowed));
        }
    }

    #[test]
    fn other_misfits_are_invalid_requests() {
        assert_eq!(
            code(json!({ "nonce": "n", "envelope": envelope(), "extra": 1 })),
            Some(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            code(json!({ "nonce": "n", "envelope": { "recipients": [] } })),
            Some(ErrorCode::InvalidRequest)
        );
        assert_eq!(code(json!([1])), Some(ErrorCode::InvalidRequest));
    }
}
