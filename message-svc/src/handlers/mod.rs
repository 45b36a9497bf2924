//! One module per area; each adds its operations to the router in its `routes` function, so
//! areas can grow without touching each other.

mod attachments;
mod channel_messages;
pub(crate) mod conversations;
mod notification_levels;
mod push;

pub use channel_messages::{ChannelSends, channel_sends};

use crate::state::AppState;
use chatalot_shared::{rpc::RpcRouter, subjects::Service};

/// Every operation of the message service.
pub fn router(state: AppState) -> RpcRouter<AppState> {
    let router = RpcRouter::new(Service::Message, state);
    let router = channel_messages::routes(router);
    let router = conversations::routes(router);
    let router = push::routes(router);
    let router = notification_levels::routes(router);
    attachments::routes(router)
}
