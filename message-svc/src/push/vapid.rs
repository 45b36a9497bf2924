//! VAPID (RFC 8292): the server's P-256 key and the ES256 token that identifies it to push
//! services, `Authorization: vapid t=<token>, k=<public key>`.
//!
//! Signed here with p256's ECDSA rather than web-push-native's VAPID module, which leaves the
//! endpoint's port out of `aud` (RFC 8292 wants the origin) and makes the token live as long
//! as the push's TTL (push services refuse tokens valid for more than 24 hours).

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::{
    SecretKey,
    ecdsa::{Signature, SigningKey, signature::Signer},
    elliptic_curve::sec1::ToEncodedPoint,
    pkcs8::DecodePrivateKey,
};
use reqwest::Url;
use serde_json::json;

/// How long a token is valid: well inside the 24 hours push services accept.
pub const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;

/// The server's VAPID key and contact.
pub struct VapidKey {
    signing: SigningKey,
    /// The uncompressed public point, unpadded base64url (`applicationServerKey`, `k=`).
    public_key: String,
    subject: String,
}

impl VapidKey {
    /// `pem`: a P-256 private key, PKCS#8 PEM (what `deploy/generate-secrets.sh` writes).
    pub fn from_pem(pem: &str, subject: &str) -> anyhow::Result<Self> {
        let secret = SecretKey::from_pkcs8_pem(pem.trim()).context(
            "push.vapid_private_key is not a P-256 private key in PKCS#8 PEM; make one with \
             deploy/generate-secrets.sh (vapid-private.pem) or \
             `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`",
        )?;
        let point = secret.public_key().to_encoded_point(false);
        Ok(Self {
            public_key: URL_SAFE_NO_PAD.encode(point.as_bytes()),
            signing: SigningKey::from(&secret),
            subject: subject.to_string(),
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` value for a push to `endpoint` at unix time `now`.
    pub fn authorization(&self, endpoint: &Url, now: i64) -> String {
        let header = json!({ "typ": "JWT", "alg": "ES256" });
        let claims = json!({
            // The origin: scheme, host and any non-default port.
            "aud": endpoint.origin().ascii_serialization(),
            "exp": now + TOKEN_LIFETIME_SECS,
            "sub": self.subject,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // JWS ES256 signatures are r || s, 64 bytes: p256's fixed encoding.
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes()),
            self.public_key
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::{
        ecdsa::{VerifyingKey, signature::Verifier},
        pkcs8::{EncodePrivateKey, LineEnding},
    };

    fn key() -> VapidKey {
        let secret = SecretKey::from_slice(&[3u8; 32]).map_err(|e| e.to_string());
        let pem = secret.and_then(|s| {
            s.to_pkcs8_pem(LineEnding::LF)
                .map(|p| p.to_string())
                .map_err(|e| e.to_string())
        });
        let built = pem
            .map_err(anyhow::Error::msg)
            .and_then(|pem| VapidKey::from_pem(&format!("\n{pem}\n"), "mailto:ops@example.com"));
        match built {
            Ok(key) => key,
            Err(err) => panic!("test key: {err:#}"),
        }
    }

    fn claims_of(authorization: &str) -> (serde_json::Value, bool) {
        let rest = authorization.strip_prefix("vapid t=").unwrap_or_default();
        let (token, k) = rest.split_once(", k=").unwrap_or_default();
        let parts: Vec<&str> = token.split('.').collect();
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap_or_default();
        let claims = serde_json::from_slice(&decode(parts[1])).unwrap_or_default();
        let verifying = VerifyingKey::from_sec1_bytes(&decode(k));
        let signature = Signature::from_slice(&decode(parts[2]));
        let valid = match (verifying, signature) {
            (Ok(v), Ok(s)) => v
                .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &s)
                .is_ok(),
            _ => false,
        };
        (claims, valid)
    }

    #[test]
    fn the_token_names_the_origin_and_verifies_with_k() {
        let key = key();
        for (endpoint, origin) in [
            (
                "https://push.example.com/wpush/abc",
                "https://push.example.com",
            ),
            ("https://push.example.com:443/x", "https://push.example.com"),
            ("http://127.0.0.1:4567/push/1", "http://127.0.0.1:4567"),
        ] {
            let url = Url::parse(endpoint).unwrap_or_else(|e| panic!("{e}"));
            let (claims, valid) = claims_of(&key.authorization(&url, 1_000));
            assert!(valid, "{endpoint}");
            assert_eq!(claims["aud"], origin);
            assert_eq!(claims["exp"], 1_000 + TOKEN_LIFETIME_SECS);
            assert_eq!(claims["sub"], "mailto:ops@example.com");
        }
        assert_eq!(key.public_key().len(), 87);
    }

    #[test]
    fn a_key_that_is_not_p256_pkcs8_is_refused() {
        assert!(VapidKey::from_pem("not a key", "mailto:a@b").is_err());
    }
}
