//! Messages in community text channels: sending and forwarding, editing and deleting, history
//! and threads, reactions, pins, read state, typing and search.
//!
//! Every operation first asks community-svc what the user may do in the channel
//! ([`access::grant`]): without `view_channel` the answer is `not_found`. Changes run in one
//! transaction and are announced after the commit ([`crate::notify`]).
//!
//! Layout: [`access`] (the permission answer), [`assemble`] (stored rows to contract messages),
//! [`sending`], [`storing`] (group commit of sends), [`editing`], [`history`], [`reactions`], [`pins`], [`read_state`], [`typing`],
//! [`search`].

pub(super) mod access;
mod assemble;
mod editing;
mod history;
mod pins;
mod reactions;
mod read_state;
mod search;
mod sending;
mod storing;
mod typing;

pub use storing::{ChannelSends, channel_sends};

use crate::state::AppState;
use chatalot_shared::rpc::RpcRouter;

/// Adds this area's operations.
pub fn routes(router: RpcRouter<AppState>) -> RpcRouter<AppState> {
    router
        .route(sending::send_message)
        .route(sending::forward_message)
        .route(editing::edit_message)
        .route(editing::delete_message)
        .route(editing::list_message_edits)
        .route(history::list_messages)
        .route(history::list_thread_messages)
        .route(history::channel_messages_since)
        .route(reactions::add_reaction)
        .route(reactions::remove_reaction)
        .route(reactions::list_reaction_users)
        .route(pins::pin_message)
        .route(pins::unpin_message)
        .route(pins::list_pins)
        .route(read_state::mark_channel_read)
        .route(read_state::mark_community_read)
        .route(read_state::get_read_state)
        .route(read_state::channel_read_states)
        .route(typing::start_typing)
        .route(search::search_messages)
}
