//! Login and registration throttling in Redis fixed windows, shared by all replicas.
//!
//! Redis outages fail open: if the counters cannot be read or written, the attempt is allowed
//! and a warning logged. Refusing every login while Redis is down would turn a loss of
//! rebuildable state into an outage; argon2's cost and the semaphore still bound guessing speed.

use chatalot_shared::{ApiError, cache::Cache, config::AuthConfig, rpc::CallerContext};
use std::time::Duration;

/// A limit of `limit` events per `window`.
#[derive(Debug, Clone, Copy)]
struct Limit {
    limit: u32,
    window: Duration,
}

/// The login and registration limits.
#[derive(Clone)]
pub struct Throttle {
    cache: Cache,
    login_ip: Limit,
    login_account: Limit,
    register_ip: Limit,
}

impl Throttle {
    pub fn new(cache: Cache, config: &AuthConfig) -> Self {
        Self {
            cache,
            login_ip: Limit {
                limit: config.login_ip_limit,
                window: Duration::from_secs(config.login_ip_window_secs),
            },
            login_account: Limit {
                limit: config.login_account_limit,
                window: Duration::from_secs(config.login_account_window_secs),
            },
            register_ip: Limit {
                limit: config.register_ip_limit,
                window: Duration::from_secs(config.register_ip_window_secs),
            },
        }
    }

    /// Counts a login attempt from the caller's IP; `rate_limited` over the limit.
    pub async fn login_attempt(&self, ctx: &CallerContext) -> Result<(), ApiError> {
        self.hit(
            &format!("throttle:login:ip:{}", client_ip(ctx)),
            self.login_ip,
        )
        .await
    }

    /// Refuses a login to `username` while its failed attempts are at the limit, before any
    /// password is checked (so guessing cannot go on at full speed from many IPs).
    pub async fn check_account(&self, username: &str) -> Result<(), ApiError> {
        let key = account_key(username);
        match self
            .cache
            .peek(&key, self.login_account.limit, self.login_account.window)
            .await
        {
            Ok(window) if window.count >= window.limit => {
                Err(ApiError::rate_limited(window.rate_limit()))
            }
            Ok(_) => Ok(()),
            Err(err) => {
                warn_fail_open(&key, &err);
                Ok(())
            }
        }
    }

    /// Counts a failed login for `username` (whether or not the account exists, so the limit
    /// does not reveal which accounts do).
    pub async fn account_failed(&self, username: &str) {
        let key = account_key(username);
        if let Err(err) = self
            .cache
            .hit(&key, self.login_account.limit, self.login_account.window)
            .await
        {
            warn_fail_open(&key, &err);
        }
    }

    /// Forgets the failed logins of `username` after a successful one.
    pub async fn account_succeeded(&self, username: &str) {
        let key = account_key(username);
        if let Err(err) = self.cache.clear(&key).await {
            warn_fail_open(&key, &err);
        }
    }

    /// Counts a registration from the caller's IP; `rate_limited` over the limit.
    pub async fn register_attempt(&self, ctx: &CallerContext) -> Result<(), ApiError> {
        self.hit(
            &format!("throttle:register:ip:{}", client_ip(ctx)),
            self.register_ip,
        )
        .await
    }

    async fn hit(&self, key: &str, limit: Limit) -> Result<(), ApiError> {
        match self.cache.hit(key, limit.limit, limit.window).await {
            Ok(window) => window.check(),
            Err(err) => {
                warn_fail_open(key, &err);
                Ok(())
            }
        }
    }
}

/// The client IP the gateway saw, or `unknown` (all such callers then share one window).
pub fn client_ip(ctx: &CallerContext) -> &str {
    ctx.client_ip.as_deref().unwrap_or("unknown")
}

fn account_key(username: &str) -> String {
    format!("throttle:login:account:{}", username.to_lowercase())
}

fn warn_fail_open(key: &str, err: &redis::RedisError) {
    tracing::warn!(key, error = %err, "throttle unavailable; allowing the attempt");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_windows_ignore_case() {
        assert_eq!(account_key("Alice"), "throttle:login:account:alice");
    }

    #[test]
    fn callers_without_an_ip_share_a_window() {
        assert_eq!(client_ip(&CallerContext::default()), "unknown");
        let ctx = CallerContext {
            client_ip: Some("203.0.113.9".into()),
            ..CallerContext::default()
        };
        assert_eq!(client_ip(&ctx), "203.0.113.9");
    }
}
