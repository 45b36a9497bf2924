//! One push request (RFC 8030 §5): the payload encrypted for the subscription with aes128gcm
//! (RFC 8291, by web-push-native), the VAPID `Authorization`, `TTL` and `Urgency`, posted with
//! a timeout and no redirects; the answer sorted into an [`Outcome`].

use super::vapid::VapidKey;
use crate::repository::push_subscriptions::Target;
use chatalot_shared::config::PushConfig;
use reqwest::{
    StatusCode, Url,
    header::{AUTHORIZATION, HeaderName, HeaderValue},
};
use std::time::Duration;
use web_push_native::{Auth, WebPushBuilder, p256::PublicKey};

/// How a push went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The push service accepted it (2xx).
    Delivered,
    /// The subscription expired or was revoked (404, 410): it is deleted.
    Gone,
    /// Another 4xx: the request was refused (for example a VAPID key the subscription was not
    /// made with, after a key rotation).
    Rejected,
    /// 5xx, 429, a network error or a timeout.
    Failed,
}

impl Outcome {
    /// The `outcome` label of `chatalot_push_total`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Gone => "gone",
            Outcome::Rejected => "rejected",
            Outcome::Failed => "failed",
        }
    }

    fn of(status: StatusCode) -> Self {
        match status.as_u16() {
            200..=299 => Outcome::Delivered,
            404 | 410 => Outcome::Gone,
            429 => Outcome::Failed,
            400..=499 => Outcome::Rejected,
            _ => Outcome::Failed,
        }
    }
}

/// Sends pushes with the server's VAPID key.
pub struct PushClient {
    http: reqwest::Client,
    key: VapidKey,
    ttl: Duration,
}

impl PushClient {
    pub fn new(key: VapidKey, config: &PushConfig) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout())
            .connect_timeout(config.request_timeout())
            // A push service answers; it never sends the server elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("chatalot/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            key,
            ttl: Duration::from_secs(config.ttl_secs),
        })
    }

    pub fn public_key(&self) -> &str {
        self.key.public_key()
    }

    /// Pushes `payload` to one subscription.
    pub async fn send(&self, target: &Target, payload: &[u8]) -> Outcome {
        let request = match self.request(target, payload) {
            Ok(request) => request,
            Err(err) => {
                // Stored subscriptions were checked on the way in; this is a bug or a bad row.
                tracing::warn!(error = %err, user_id = %target.user_id, "cannot build a push");
                return Outcome::Rejected;
            }
        };
        match self.http.execute(request).await {
            Ok(response) => {
                let status = response.status();
                let outcome = Outcome::of(status);
                if matches!(outcome, Outcome::Rejected | Outcome::Failed) {
                    tracing::info!(
                        status = status.as_u16(),
                        user_id = %target.user_id,
                        "a push service refused a push"
                    );
                }
                outcome
            }
            Err(err) => {
                tracing::info!(error = %err, user_id = %target.user_id, "a push did not go through");
                Outcome::Failed
            }
        }
    }

    fn request(&self, target: &Target, payload: &[u8]) -> anyhow::Result<reqwest::Request> {
        let endpoint = Url::parse(&target.endpoint)?;
        let ua_public = PublicKey::from_sec1_bytes(&target.p256dh)?;
        if target.auth.len() != 16 {
            anyhow::bail!("a push auth secret of {} bytes", target.auth.len());
        }
        let ua_auth = Auth::clone_from_slice(&target.auth);
        // web-push-native encrypts (aes128gcm) and sets Content-Encoding, Content-Type,
        // Content-Length and TTL; its VAPID module is not used (see `vapid`).
        let request = WebPushBuilder::new(target.endpoint.parse()?, ua_public, ua_auth)
            .with_valid_duration(self.ttl)
            .build(payload.to_vec())
            .map_err(|err| anyhow::anyhow!("encrypting a push: {err}"))?;
        let mut request = reqwest::Request::try_from(request)?;
        let now = chrono::Utc::now().timestamp();
        let headers = request.headers_mut();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&self.key.authorization(&endpoint, now))?,
        );
        // A chat message should wake the device (RFC 8030 §5.3).
        headers.insert(
            HeaderName::from_static("urgency"),
            HeaderValue::from_static("high"),
        );
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_sort_into_outcomes() {
        for (status, outcome) in [
            (201, Outcome::Delivered),
            (200, Outcome::Delivered),
            (404, Outcome::Gone),
            (410, Outcome::Gone),
            (403, Outcome::Rejected),
            (413, Outcome::Rejected),
            (429, Outcome::Failed),
            (500, Outcome::Failed),
            (503, Outcome::Failed),
        ] {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
            assert_eq!(Outcome::of(status), outcome, "{status}");
        }
    }
}
