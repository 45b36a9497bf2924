//! A browser's push subscription, checked: an endpoint the server may post to and keys it can
//! encrypt for (RFC 8291: a P-256 point on the curve and a 16-byte secret).

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::push::{PushSubscriptionKeys, SubscribePushRequest},
};
use reqwest::Url;
use std::net::IpAddr;

/// The longest endpoint accepted (push services' URLs are a few hundred bytes).
pub const MAX_ENDPOINT_BYTES: usize = 2048;

/// A subscription ready to store and push to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// Uncompressed P-256 point, 65 bytes.
    pub p256dh: Vec<u8>,
    /// 16 bytes.
    pub auth: Vec<u8>,
}

impl Subscription {
    /// `insecure`: `push.allow_insecure_endpoints` (tests and local push services).
    pub fn parse(req: SubscribePushRequest, insecure: bool) -> Result<Self, ApiError> {
        let endpoint = endpoint(&req.endpoint, insecure)?;
        let (p256dh, auth) = keys(&req.keys)?;
        Ok(Self {
            endpoint,
            p256dh,
            auth,
        })
    }
}

fn bad_endpoint(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidPushEndpoint, message)
}

fn bad_keys(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidPushKeys, message)
}

/// An `https://` URL naming a host (not an IP address) without credentials. With `insecure`,
/// `http://` and IP addresses too.
pub fn endpoint(raw: &str, insecure: bool) -> Result<String, ApiError> {
    if raw.is_empty() || raw.len() > MAX_ENDPOINT_BYTES {
        return Err(bad_endpoint("endpoint must be a URL of 1 to 2048 bytes"));
    }
    let url = Url::parse(raw).map_err(|_| bad_endpoint("endpoint is not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if insecure => {}
        _ => return Err(bad_endpoint("endpoint must be an https:// URL")),
    }
    let Some(host) = url.host_str() else {
        return Err(bad_endpoint("endpoint must name a host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad_endpoint("endpoint must not carry credentials"));
    }
    // Push services are reached by name; an address (or localhost) would let a user make the
    // server post to its own network.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let is_address = bare.parse::<IpAddr>().is_ok() || bare.eq_ignore_ascii_case("localhost");
    if is_address && !insecure {
        return Err(bad_endpoint(
            "endpoint must name a push service's host, not an address",
        ));
    }
    // Kept as the browser sent it: it is compared byte for byte on unsubscribe.
    Ok(raw.to_string())
}

/// Base64url with or without padding, as browsers and libraries produce it.
fn base64url(value: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(value)
        .or_else(|_| URL_SAFE.decode(value))
        .ok()
}

/// `p256dh`: an uncompressed P-256 point on the curve; `auth`: 16 bytes.
pub fn keys(keys: &PushSubscriptionKeys) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let p256dh =
        base64url(&keys.p256dh).ok_or_else(|| bad_keys("keys.p256dh must be base64url"))?;
    if p256dh.len() != 65 || p256dh.first() != Some(&4) {
        return Err(bad_keys(
            "keys.p256dh must be an uncompressed P-256 public key (65 bytes)",
        ));
    }
    if p256::PublicKey::from_sec1_bytes(&p256dh).is_err() {
        return Err(bad_keys("keys.p256dh is not a point on P-256"));
    }
    let auth = base64url(&keys.auth).ok_or_else(|| bad_keys("keys.auth must be base64url"))?;
    if auth.len() != 16 {
        return Err(bad_keys("keys.auth must be 16 bytes"));
    }
    Ok((p256dh, auth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    fn code<T>(result: Result<T, ApiError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    fn valid_p256dh() -> String {
        let secret = p256::SecretKey::from_slice(&[1u8; 32]).map_err(|_| ());
        let Ok(secret) = secret else {
            return String::new();
        };
        let point = secret.public_key().to_encoded_point(false);
        URL_SAFE_NO_PAD.encode(point.as_bytes())
    }

    #[test]
    fn endpoints_are_https_names() {
        assert!(endpoint("https://fcm.googleapis.com/fcm/send/abc", false).is_ok());
        assert!(
            endpoint(
                "https://updates.push.services.mozilla.com:443/wpush/v2/x",
                false
            )
            .is_ok()
        );
        for bad in [
            "",
            "not a url",
            "http://push.example.com/x",
            "ftp://push.example.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://localhost:8080/x",
            "https://user:pw@push.example.com/x",
        ] {
            assert_eq!(
                code(endpoint(bad, false)),
                Some(ErrorCode::InvalidPushEndpoint),
                "{bad}"
            );
        }
        let long = format!(
            "https://push.example.com/{}",
            "a".repeat(MAX_ENDPOINT_BYTES)
        );
        assert_eq!(
            code(endpoint(&long, false)),
            Some(ErrorCode::InvalidPushEndpoint)
        );
    }

    #[test]
    fn insecure_endpoints_need_the_flag() {
        assert!(endpoint("http://127.0.0.1:4000/push/1", true).is_ok());
        assert!(endpoint("ftp://127.0.0.1/x", true).is_err());
    }

    #[test]
    fn keys_are_a_curve_point_and_a_16_byte_secret() {
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        let p256dh = valid_p256dh();
        let ok = keys(&PushSubscriptionKeys {
            p256dh: p256dh.clone(),
            auth: auth.clone(),
        });
        assert!(ok.is_ok_and(|(k, a)| k.len() == 65 && a.len() == 16));
        let mut off_curve = vec![4u8];
        off_curve.extend([1u8; 64]);
        for (p256dh, auth) in [
            ("!!".to_string(), auth.clone()),
            (URL_SAFE_NO_PAD.encode([4u8; 33]), auth.clone()),
            (URL_SAFE_NO_PAD.encode(&off_curve), auth.clone()),
            (p256dh.clone(), URL_SAFE_NO_PAD.encode([7u8; 15])),
            (p256dh, "%%".to_string()),
        ] {
            assert_eq!(
                code(keys(&PushSubscriptionKeys { p256dh, auth })),
                Some(ErrorCode::InvalidPushKeys)
            );
        }
    }
}
