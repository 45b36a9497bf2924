//! Redis: one auto-reconnecting connection per process, every key under the configured prefix,
//! and fixed-window rate limits that hold across all gateways and replicas.

use crate::{
    config::RedisConfig,
    error::{ApiError, RateLimit},
};
use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// A Redis connection that prefixes every key.
#[derive(Clone)]
pub struct Cache {
    conn: ConnectionManager,
    prefix: String,
}

/// The outcome of counting one hit against a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub count: u32,
    pub limit: u32,
    pub reset_secs: u64,
}

impl Window {
    pub fn exceeded(&self) -> bool {
        self.count > self.limit
    }

    pub fn rate_limit(&self) -> RateLimit {
        RateLimit {
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.count),
            reset_secs: self.reset_secs.max(1),
        }
    }

    /// `rate_limited` with the headers' values when the limit is exceeded.
    pub fn check(&self) -> Result<(), ApiError> {
        if self.exceeded() {
            Err(ApiError::rate_limited(self.rate_limit()))
        } else {
            Ok(())
        }
    }
}

impl Cache {
    pub async fn connect(config: &RedisConfig) -> anyhow::Result<Self> {
        let client = redis::Client::open(config.url.expose())
            .context("redis.url is not a valid Redis URL")?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_max_delay(1_000);
        let conn = ConnectionManager::new_with_config(client, manager_config)
            .await
            .context("cannot connect to Redis (redis.url); is it running?")?;
        Ok(Self {
            conn,
            prefix: config.key_prefix.clone(),
        })
    }

    /// `<prefix>:<key>`.
    pub fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }

    /// A connection handle (cheap to clone) for commands this module does not wrap.
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub async fn is_ready(&self) -> bool {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }

    /// Counts one hit in the window `key` (created with a `window` lifetime on first hit).
    pub async fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<Window, redis::RedisError> {
        let key = self.key(key);
        let mut conn = self.conn.clone();
        let (count, ttl): (u32, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window.as_secs().max(1))
            .arg("NX")
            .ignore()
            .ttl(&key)
            .query_async(&mut conn)
            .await?;
        Ok(Window {
            count,
            limit,
            reset_secs: u64::try_from(ttl).unwrap_or(window.as_secs()),
        })
    }

    /// The window `key` as it stands, without counting a hit.
    pub async fn peek(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<Window, redis::RedisError> {
        let key = self.key(key);
        let mut conn = self.conn.clone();
        let (count, ttl): (Option<u32>, i64) = redis::pipe()
            .get(&key)
            .ttl(&key)
            .query_async(&mut conn)
            .await?;
        Ok(Window {
            count: count.unwrap_or(0),
            limit,
            reset_secs: u64::try_from(ttl).unwrap_or(window.as_secs()),
        })
    }

    /// Forgets the window `key`.
    pub async fn clear(&self, key: &str) -> Result<(), redis::RedisError> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut conn)
            .await
    }
}
