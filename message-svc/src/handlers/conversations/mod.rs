//! Conversations: direct and group conversations, the end-to-end encrypted envelopes relayed
//! in them, read receipts, and user blocks.
//!
//! The server never holds a readable conversation message: it stores each envelope's opaque
//! ciphertexts (one per recipient device) and hands every user only their own devices' ones,
//! live (`conversation_message_created` on their user subject) and in history. Who may talk to
//! whom: members must share a community with whoever adds them (community-svc's
//! `shared_community` answer) and have no block between them; a blocker receives nothing more
//! from the user they blocked.
//!
//! Layout: [`manage`] (start, list, rename, extend, leave), [`messages`] (send, history, the
//! gateways' catch-up answers), [`receipts`] (read markers and the opt-out), [`blocks`],
//! [`input`] (validation), [`notify`] (events after commits).

mod blocks;
pub(crate) mod input;
mod manage;
mod messages;
mod notify;
mod receipts;

use crate::state::AppState;
use chatalot_shared::{ApiError, rpc::RpcRouter};

/// Anyone who is not a member gets this for anything about a conversation, so they cannot
/// learn that it exists.
pub(super) fn conversation_not_found() -> ApiError {
    ApiError::not_found("conversation")
}

/// Adds this area's operations.
pub fn routes(router: RpcRouter<AppState>) -> RpcRouter<AppState> {
    router
        .route(manage::create_conversation)
        .route(manage::list_conversations)
        .route(manage::get_conversation)
        .route(manage::update_conversation)
        .route(manage::add_conversation_members)
        .route(manage::leave_conversation)
        .route(messages::send_conversation_message)
        .route(messages::list_conversation_messages)
        .route(messages::conversation_messages_since)
        .route(messages::list_conversation_ids)
        .route(messages::list_conversation_partners)
        .route(receipts::mark_conversation_read)
        .route(receipts::list_conversation_receipts)
        .route(receipts::get_read_receipt_setting)
        .route(receipts::set_read_receipt_setting)
        .route(blocks::block_user)
        .route(blocks::unblock_user)
        .route(blocks::list_blocks)
}
