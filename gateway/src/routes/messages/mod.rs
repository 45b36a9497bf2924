//! The channel message API: sending, forwarding, editing and deleting messages, history and
//! threads, reactions, pins, read state, typing and search. Every handler forwards to
//! message-svc, which asks community-svc what the caller may do in the channel; the gateway only
//! parses input and maps answers.
//!
//! Ids in the path always win over ids in a body or query: those fields are
//! `#[serde(default)]` in the contracts and the handler sets them from the path.
//!
//! Layout: [`channel_messages`] (send, forward, history, threads, edit, delete, edits),
//! [`reactions`], [`pins`], [`read_state`], [`typing`], [`search`].

pub mod channel_messages;
pub mod pins;
pub mod reactions;
pub mod read_state;
pub mod search;
pub mod typing;

use crate::error::HttpError;

type ApiResult<T> = Result<T, HttpError>;
