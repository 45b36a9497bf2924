//! Messages in community text channels (owned by message-svc): sending (idempotent by nonce),
//! editing with history, soft deletion, replies, threads, forwarding, mentions, reactions, pins,
//! history pages, read state, typing and full-text search; the events that announce them; and
//! the service-to-service answers gateways ask for (read states for the ready snapshot, missed
//! messages on resume).
//!
//! Ids taken from the URL (`channel_id`, `message_id`, ...) are `#[serde(default)]` in bodies so
//! clients may leave them out; the gateway always overwrites them with the path's.

use super::{Empty, attachments::Attachment, events, rpc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A message of a text channel as clients see it. A deleted message stays in history as a
/// tombstone: `deleted` is true, and its body, attachments, reactions and mentions are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// A UUIDv7: history is ordered by it.
    pub message_id: Uuid,
    pub channel_id: Uuid,
    pub community_id: Uuid,
    pub author_id: Uuid,
    /// The client's idempotency key: sending the same nonce again returns this message.
    pub nonce: String,
    /// Markdown, stored as written; up to 4000 characters.
    pub body: String,
    /// The message this one answers (same channel).
    pub reply_to: Option<Uuid>,
    /// Set on thread replies: the thread's root message. Thread replies are not part of the
    /// channel's main history.
    pub thread_root_id: Option<Uuid>,
    /// On a root message that has replies.
    pub thread: Option<ThreadSummary>,
    /// Set when the message is a forwarded copy.
    pub forwarded_from: Option<ForwardedFrom>,
    pub mentions: Mentions,
    /// By first reaction.
    pub reactions: Vec<ReactionCount>,
    pub attachments: Vec<Attachment>,
    pub pinned: bool,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    /// When the body last changed.
    pub edited_at: Option<DateTime<Utc>>,
}

/// The replies of a thread, summed up on its root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThreadSummary {
    /// Replies not deleted.
    pub reply_count: u32,
    pub last_reply_at: DateTime<Utc>,
}

/// Where a forwarded message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ForwardedFrom {
    pub channel_id: Uuid,
    pub message_id: Uuid,
    pub author_id: Uuid,
}

/// Who a message mentions: `<@user_id>`, `<@&role_id>`, and `@everyone` / `@here` (recorded
/// only when the author may mention everyone; otherwise they stay plain text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Mentions {
    pub users: Vec<Uuid>,
    pub roles: Vec<Uuid>,
    pub everyone: bool,
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: u32,
    /// Whether the reader reacted with it. Always false in events, which are the same bytes for
    /// every reader: clients follow their own reactions through `reaction_added/removed`.
    pub me: bool,
}

/// Messages: oldest first for history pages; most recently pinned first for pins.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageList {
    pub messages: Vec<Message>,
}

// ---- sending, editing, deleting ----

/// Sends a message. Sending the same `nonce` again (also concurrently) returns the message the
/// first call created and creates nothing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    #[serde(default)]
    pub channel_id: Uuid,
    /// 1 to 64 characters, no control characters; unique per author.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,64}$")]
    pub nonce: String,
    /// Up to 4000 characters; may be empty only when attachments are sent.
    #[serde(default)]
    #[schema(pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,4000}$")]
    pub body: String,
    #[serde(default)]
    pub reply_to: Option<Uuid>,
    /// Posts into the thread of this root message (a message of the channel not itself in a
    /// thread).
    #[serde(default)]
    pub thread_root_id: Option<Uuid>,
    /// Uploads of the caller not yet used by a message; at most 10 (`attach_files`).
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// Forwards a message (its text) to another channel, with attribution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardMessageRequest {
    /// The source channel.
    #[serde(default)]
    pub channel_id: Uuid,
    #[serde(default)]
    pub message_id: Uuid,
    /// Where the copy goes (`send_messages` needed there).
    pub to_channel_id: Uuid,
    /// As for sending.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,64}$")]
    pub nonce: String,
}

/// Replaces the body of one of the caller's own messages (the old one is kept in its edits).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    #[serde(default)]
    pub channel_id: Uuid,
    #[serde(default)]
    pub message_id: Uuid,
    /// Up to 4000 characters; may be empty only on a message with attachments.
    #[schema(pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,4000}$")]
    pub body: String,
}

/// Deletes a message: the caller's own, or anyone's with `manage_messages`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMessageRequest {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

/// The previous versions of a message's body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMessageEditsRequest {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

/// One previous version of a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageEdit {
    /// The body as it was before the edit.
    pub body: String,
    /// When this body was replaced.
    pub edited_at: DateTime<Utc>,
}

/// Oldest first. Deleting a message forgets its edits.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageEditList {
    pub edits: Vec<MessageEdit>,
}

// ---- history ----

/// A page of the channel's main history (thread replies excluded), oldest first. At most one of
/// `before`, `after` and `around`; without any, the newest messages.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMessagesRequest {
    #[serde(default)]
    #[param(ignore)]
    pub channel_id: Uuid,
    /// Messages older than this message id.
    #[serde(default)]
    pub before: Option<Uuid>,
    /// Messages newer than this message id.
    #[serde(default)]
    pub after: Option<Uuid>,
    /// Up to `limit / 2` messages before this one, this one, and the rest after it.
    #[serde(default)]
    pub around: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of one thread's replies, oldest first, with the same cursors as the main history.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListThreadMessagesRequest {
    #[serde(default)]
    #[param(ignore)]
    pub channel_id: Uuid,
    #[serde(default)]
    #[param(ignore)]
    pub root_id: Uuid,
    #[serde(default)]
    pub before: Option<Uuid>,
    #[serde(default)]
    pub after: Option<Uuid>,
    #[serde(default)]
    pub around: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

// ---- reactions ----

/// Reacts with one emoji (`add_reactions`); reacting twice with the same one changes nothing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddReactionRequest {
    pub channel_id: Uuid,
    pub message_id: Uuid,
    /// One emoji (a single grapheme, at most 32 bytes); percent-encoded in the URL.
    pub emoji: String,
}

/// Takes back the caller's own reaction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveReactionRequest {
    pub channel_id: Uuid,
    pub message_id: Uuid,
    pub emoji: String,
}

/// Who reacted with one emoji, by user id, a page at a time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListReactionUsersRequest {
    #[serde(default)]
    #[param(ignore)]
    pub channel_id: Uuid,
    #[serde(default)]
    #[param(ignore)]
    pub message_id: Uuid,
    #[serde(default)]
    #[param(ignore)]
    pub emoji: String,
    /// The previous page's `next_cursor` (a user id).
    #[serde(default)]
    pub after: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReactionUserPage {
    pub user_ids: Vec<Uuid>,
    pub next_cursor: Option<Uuid>,
}

// ---- pins ----

/// Pins a message (`manage_messages`); a channel holds at most 50 pins.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinMessageRequest {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpinMessageRequest {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

/// The channel's pinned messages, most recently pinned first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPinsRequest {
    pub channel_id: Uuid,
}

// ---- read state ----

/// Where a user stands in a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelReadState {
    pub channel_id: Uuid,
    /// `None` before the user first marks the channel read.
    pub last_read_message_id: Option<Uuid>,
    /// Messages of others after the marker (threads included, deleted ones not), counted up to
    /// 1000: clients show "999+" from there.
    pub unread_count: u32,
    /// Of those, the ones that mention the user, one of their roles, or everyone (also capped at
    /// 1000).
    pub mention_count: u32,
}

/// Moves the caller's read marker in a channel forward to `message_id` (never back).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkChannelReadRequest {
    #[serde(default)]
    pub channel_id: Uuid,
    /// A message of the channel.
    pub message_id: Uuid,
}

/// Marks every channel of a community the caller can see read up to its newest message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkCommunityReadRequest {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetReadStateRequest {
    pub channel_id: Uuid,
}

/// Read states of several channels.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadStates {
    pub states: Vec<ChannelReadState>,
}

/// The read states of a user in channels (service to service: gateways put them in the ready
/// snapshot). The caller vouches that the user may see these channels; at most 5000 ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadStatesRequest {
    pub user_id: Uuid,
    pub channel_ids: Vec<Uuid>,
}

// ---- typing ----

/// Tells the channel the caller is typing (`send_messages`). At most one event per user and
/// channel every 5 seconds goes out; further calls in that time answer the same and do nothing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartTypingRequest {
    pub channel_id: Uuid,
}

// ---- search ----

/// Full-text search over the messages of every channel the caller can see now, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchMessagesRequest {
    /// Words to find (web search syntax: `"exact phrase"`, `or`, `-excluded`); up to 256
    /// characters. Without it, only the filters apply.
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub community_id: Option<Uuid>,
    #[serde(default)]
    pub channel_id: Option<Uuid>,
    #[serde(default)]
    pub author_id: Option<Uuid>,
    /// Messages sent before this time (RFC 3339).
    #[serde(default)]
    pub before: Option<DateTime<Utc>>,
    /// Messages sent after this time (RFC 3339).
    #[serde(default)]
    pub after: Option<DateTime<Utc>>,
    #[serde(default)]
    pub has_attachment: Option<bool>,
    /// The previous page's `next_cursor` (a message id).
    #[serde(default)]
    pub before_id: Option<Uuid>,
    /// 1 to 50; 25 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    #[schema(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// Newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageSearchPage {
    pub messages: Vec<Message>,
    pub next_cursor: Option<Uuid>,
}

// ---- resume (service to service) ----

/// The messages of a channel after `after` (main history and threads, tombstones included),
/// oldest first: what a resuming client missed. No access answers no messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelMessagesSinceRequest {
    pub user_id: Uuid,
    pub channel_id: Uuid,
    pub after: Uuid,
    /// At most 500 are returned whatever is asked.
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessagesSince {
    pub messages: Vec<Message>,
    /// More messages follow the last one returned.
    pub has_more: bool,
}

// ---- events ----
//
// Channel events go to the channel's community subject with the `Chatalot-Channel-Id` scope
// header (`community::scope::CHANNEL`), so gateways deliver them only to those who see the
// channel. `read_state_updated` goes to the user's own subject (their other devices).

/// NATS headers of `message_created` linking each message to the one before it in its channel,
/// so a gateway notices a message it never received (core NATS may drop an event) and has the
/// client resume instead of silently skipping it. message-svc creates a channel's messages one at
/// a time with increasing ids, so `PREVIOUS` is exactly the newest message before this one.
pub mod link {
    /// The message's id.
    pub const MESSAGE_ID: &str = "Chatalot-Message-Id";
    /// The id of the channel's message before it (absent for the first).
    pub const PREVIOUS: &str = "Chatalot-Previous-Message-Id";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageCreated {
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageEdited {
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageDeleted {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactionAdded {
    pub channel_id: Uuid,
    pub message_id: Uuid,
    pub emoji: String,
    pub user_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactionRemoved {
    pub channel_id: Uuid,
    pub message_id: Uuid,
    pub emoji: String,
    pub user_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessagePinned {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageUnpinned {
    pub channel_id: Uuid,
    pub message_id: Uuid,
}

/// Clients show the indicator until `expires_at` unless another event or the message comes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TypingStarted {
    pub channel_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// The user's read markers changed (on another of their devices, or this one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadStateUpdated {
    pub states: Vec<ChannelReadState>,
}

events! {
    MessageCreated => "message_created";
    MessageEdited => "message_edited";
    MessageDeleted => "message_deleted";
    ReactionAdded => "reaction_added";
    ReactionRemoved => "reaction_removed";
    MessagePinned => "message_pinned";
    MessageUnpinned => "message_unpinned";
    TypingStarted => "typing_started";
    ReadStateUpdated => "read_state_updated";
}

rpc! {
    SendMessageRequest => Message, Message, "send_channel_message";
    ForwardMessageRequest => Message, Message, "forward_channel_message";
    EditMessageRequest => Message, Message, "edit_channel_message";
    DeleteMessageRequest => Empty, Message, "delete_channel_message";
    ListMessageEditsRequest => MessageEditList, Message, "list_channel_message_edits";
    ListMessagesRequest => MessageList, Message, "list_channel_messages";
    ListThreadMessagesRequest => MessageList, Message, "list_thread_messages";
    AddReactionRequest => Empty, Message, "add_channel_reaction";
    RemoveReactionRequest => Empty, Message, "remove_channel_reaction";
    ListReactionUsersRequest => ReactionUserPage, Message, "list_channel_reaction_users";
    PinMessageRequest => Empty, Message, "pin_channel_message";
    UnpinMessageRequest => Empty, Message, "unpin_channel_message";
    ListPinsRequest => MessageList, Message, "list_channel_pins";
    MarkChannelReadRequest => ChannelReadState, Message, "mark_channel_read";
    MarkCommunityReadRequest => ReadStates, Message, "mark_community_read";
    GetReadStateRequest => ChannelReadState, Message, "get_channel_read_state";
    ReadStatesRequest => ReadStates, Message, "channel_read_states";
    StartTypingRequest => Empty, Message, "start_channel_typing";
    SearchMessagesRequest => MessageSearchPage, Message, "search_channel_messages";
    ChannelMessagesSinceRequest => MessagesSince, Message, "channel_messages_since";
}
