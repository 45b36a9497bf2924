//! Access token verification, done locally with the auth service's Ed25519 public key (no NATS
//! round trip per request), and the set of sessions revoked since this gateway started.

use anyhow::Context;
use chatalot_shared::{
    config::JwtConfig,
    contracts::auth::{AccessClaims, SessionsRevoked},
    error::{ApiError, ErrorCode},
    rpc::Caller,
};
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use std::{collections::HashMap, sync::Mutex};
use uuid::Uuid;

/// Verifies access tokens: EdDSA only (`alg: none` and every other algorithm are refused),
/// with issuer, audience and expiry checked.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(config: &JwtConfig) -> anyhow::Result<Self> {
        let public_pem = if config.public_key.trim().is_empty() {
            derive_public_key(config.private_key.expose()).context(
                "no JWT public key: set CHATALOT_JWT__PUBLIC_KEY (Ed25519 SPKI PEM) or CHATALOT_JWT__PRIVATE_KEY",
            )?
        } else {
            config.public_key.clone()
        };
        let key = DecodingKey::from_ed_pem(public_pem.as_bytes())
            .context("jwt.public_key is not an Ed25519 public key in PEM form")?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.key, &self.validation)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => ApiError::new(
                    ErrorCode::TokenExpired,
                    "the access token has expired; refresh it",
                ),
                _ => ApiError::new(ErrorCode::InvalidToken, "the access token is not valid"),
            })?;
        Ok(Caller {
            user_id: data.claims.sub,
            session_id: data.claims.sid,
        })
    }
}

/// The SPKI PEM public key of a PKCS#8 PEM Ed25519 private key.
fn derive_public_key(private_pem: &str) -> anyhow::Result<String> {
    let signing = ed25519_dalek::SigningKey::from_pkcs8_pem(private_pem).map_err(|err| {
        anyhow::anyhow!("jwt.private_key is not an Ed25519 PKCS#8 PEM key: {err}")
    })?;
    signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|err| anyhow::anyhow!("encoding the public key: {err}"))
}

/// Sessions revoked while their access tokens may still be unexpired. Filled from the
/// sessions-revoked events; entries are forgotten once no token of theirs can still be valid.
#[derive(Default)]
pub struct RevokedSessions {
    until: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl RevokedSessions {
    pub fn record(&self, event: &SessionsRevoked) {
        let Ok(mut until) = self.until.lock() else {
            return;
        };
        let now = Utc::now();
        until.retain(|_, expiry| *expiry > now);
        for session_id in &event.session_ids {
            until.insert(*session_id, event.tokens_valid_until);
        }
    }

    pub fn is_revoked(&self, session_id: Uuid) -> bool {
        self.until
            .lock()
            .map(|until| {
                until
                    .get(&session_id)
                    .is_some_and(|expiry| *expiry > Utc::now())
            })
            .unwrap_or(false)
    }
}
