//! Presence on this gateway. PLACEHOLDER: completed by the presence work.

use chatalot_shared::{
    contracts::{community::CommunityView, presence::Presence},
    rpc::Caller,
};

/// Tracks this gateway's connections in Redis and publishes presence changes.
#[derive(Clone, Default)]
pub struct PresenceTracker {}

impl PresenceTracker {
    /// The presence of the people `caller` can see, for the ready snapshot.
    pub async fn snapshot(&self, caller: Caller, views: &[CommunityView]) -> Vec<Presence> {
        let _ = (caller, views);
        Vec::new()
    }

    /// A connection of `caller` is ready (after `ready` was sent).
    pub async fn connected(&self, caller: Caller, connection_id: u64, views: &[CommunityView]) {
        let _ = (caller, connection_id, views);
    }

    /// The connection reported itself idle or active.
    pub async fn activity(&self, caller: Caller, connection_id: u64, idle: bool) {
        let _ = (caller, connection_id, idle);
    }

    /// The connection ended (cleanly or not) on this gateway.
    pub async fn disconnected(&self, caller: Caller, connection_id: u64) {
        let _ = (caller, connection_id);
    }
}
