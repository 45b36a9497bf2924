//! What every handler shares: the database pool, NATS, Redis and a client for asking other
//! services (community-svc's permission answers).

use crate::{handlers::ChannelSends, push::Pusher};
use chatalot_shared::{ApiError, cache::Cache, db::OrInternal, rpc::RpcClient, subjects::Subjects};
use sqlx::{PgPool, Postgres, Transaction, pool::PoolConnection};
use std::{ops::Deref, sync::Arc};

/// Cheap to clone: one `Arc` around [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub pool: PgPool,
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    pub rpc: RpcClient,
    /// Typing indicators and slow-mode windows (ephemeral, never in PostgreSQL).
    pub cache: Cache,
    /// How long an upload may stay unlinked before the orphan sweep may claim it.
    pub attachment_orphan_grace: std::time::Duration,
    /// Web Push of conversation messages (off without a VAPID key).
    pub push: Pusher,
    /// Channel messages waiting to be stored, batched per channel (group commit).
    pub sends: ChannelSends,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Shared {
    /// A transaction for a handler that changes something.
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, ApiError> {
        self.pool
            .begin()
            .await
            .or_internal("starting a transaction")
    }

    /// A connection for a handler that only reads.
    pub async fn connection(&self) -> Result<PoolConnection<Postgres>, ApiError> {
        self.pool
            .acquire()
            .await
            .or_internal("acquiring a connection")
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
