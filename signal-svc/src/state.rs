//! What every handler, the sweeper and the event follower share.

use crate::store::CallStore;
use chatalot_shared::{config::CallsConfig, rpc::RpcClient, subjects::Subjects};
use std::{ops::Deref, sync::Arc};
use uuid::Uuid;

/// Cheap to clone: one `Arc` around [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    /// For community-svc (channel access, moderation) and message-svc (conversation members).
    pub rpc: RpcClient,
    pub store: CallStore,
    pub config: CallsConfig,
    /// This replica, as the holder of the sweeping lease.
    pub replica_id: Uuid,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
