//! What every handler shares: connections, the hasher, the token issuer and session settings.

use crate::repository::OrInternal;
use crate::{password::PasswordHasher, throttle::Throttle, tokens::TokenIssuer};
use chatalot_shared::{ApiError, config::AuthConfig, subjects::Subjects};
use sqlx::{PgPool, Postgres, Transaction, pool::PoolConnection};
use std::{ops::Deref, sync::Arc};

/// Cheap to clone: one `Arc` around [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub pool: PgPool,
    pub nats: async_nats::Client,
    pub subjects: Subjects,
    pub throttle: Throttle,
    pub passwords: PasswordHasher,
    pub tokens: TokenIssuer,
    pub sessions: SessionPolicy,
}

/// How long sessions live and how forgiving refresh is.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session ends after this many days without a refresh.
    pub idle_ttl_days: i32,
    /// A rotated refresh token may be presented once more within this many seconds.
    pub retry_grace_secs: f64,
}

impl SessionPolicy {
    pub fn from_config(config: &AuthConfig) -> Self {
        Self {
            idle_ttl_days: i32::try_from(config.refresh_token_ttl_days).unwrap_or(i32::MAX),
            // Exact below 2^53 seconds, far past any sensible grace window.
            retry_grace_secs: config.refresh_retry_grace_secs as f64,
        }
    }
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
