//! A token bucket per connection, in memory: the connection lives on this gateway only. Call
//! commands have one ([`crate::calls`]); every other client frame another
//! (`gateway.ws_frames_per_sec`, `gateway.ws_frame_burst`).

use chatalot_shared::error::RateLimit;
use std::time::Instant;

/// A token bucket: `burst` commands at once, refilled at `rate` per second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    updated: Option<Instant>,
    /// The burst, as reported in `rate_limited` errors.
    limit: u32,
}

impl TokenBucket {
    pub fn full(burst: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            updated: None,
            limit: burst,
        }
    }

    /// Takes a token at `now`, or says when the next one comes.
    pub fn take(&mut self, now: Instant, rate: f64, burst: f64) -> Result<(), RateLimit> {
        if let Some(updated) = self.updated {
            let refill = now.saturating_duration_since(updated).as_secs_f64() * rate;
            self.tokens = (self.tokens + refill).min(burst);
        }
        self.updated = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = std::time::Duration::from_secs_f64(((1.0 - self.tokens) / rate).max(0.0));
        let wait_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(RateLimit {
            limit: self.limit,
            remaining: 0,
            reset_secs: wait_secs.max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(3);
        for _ in 0..3 {
            assert!(bucket.take(start, 2.0, 3.0).is_ok());
        }
        let refused = bucket.take(start, 2.0, 3.0);
        assert_eq!(refused.map_err(|limit| limit.reset_secs), Err(1));
        // Two tokens a second: one is back after half a second, not two.
        let later = start + Duration::from_millis(500);
        assert!(bucket.take(later, 2.0, 3.0).is_ok());
        assert!(bucket.take(later, 2.0, 3.0).is_err());
        // A long pause refills to the burst, no further.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.take(much_later, 2.0, 3.0).is_ok());
        }
        assert!(bucket.take(much_later, 2.0, 3.0).is_err());
    }
}
