//! What every handler shares: the database pool, NATS, and a client for asking other services.

use crate::repository::OrInternal;
use chatalot_shared::{ApiError, rpc::RpcClient, subjects::Subjects};
use sqlx::{PgPool, Postgres, Transaction, pool::PoolConnection};
use std::{ops::Deref, sync::Arc};

/// Cheap to clone: one `Arc` around [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub pool: PgPool,
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    /// For auth-svc's `lookup_users` when someone joins.
    pub rpc: RpcClient,
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

    /// A connection for a handler that reads one thing.
    pub async fn connection(&self) -> Result<PoolConnection<Postgres>, ApiError> {
        self.pool
            .acquire()
            .await
            .or_internal("acquiring a connection")
    }

    /// A read-only transaction that sees one consistent state of the database, for handlers
    /// that read a community with several queries (views): without it, a change committed
    /// between two of those queries could show half of itself.
    pub async fn consistent_read(&self) -> Result<Transaction<'static, Postgres>, ApiError> {
        self.pool
            .begin_with("begin isolation level repeatable read, read only")
            .await
            .or_internal("starting a consistent read")
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
