//! Access tokens (short-lived Ed25519 JWTs that gateways verify without asking us) and refresh
//! tokens (opaque random strings of which only the SHA-256 is stored).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chatalot_shared::{ApiError, config::JwtConfig, contracts::auth::AccessClaims};
use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::{
    SigningKey, VerifyingKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::{RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

const PRIVATE_KEY_HINT: &str = "set CHATALOT_JWT__PRIVATE_KEY to an Ed25519 private key in PKCS#8 PEM \
     (for example the output of `openssl genpkey -algorithm ed25519`)";

/// Signs access tokens.
pub struct TokenIssuer {
    key: EncodingKey,
    header: Header,
    issuer: String,
    audience: String,
    ttl: TimeDelta,
}

/// A signed access token and when it stops being accepted.
pub struct AccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl TokenIssuer {
    /// Loads the private key and proves it can sign; fails with a sentence saying what to set.
    pub fn from_config(jwt: &JwtConfig) -> anyhow::Result<Self> {
        let pem = jwt.private_key.expose().trim();
        if pem.is_empty() {
            anyhow::bail!("jwt.private_key is empty; {PRIVATE_KEY_HINT}");
        }
        let signing = SigningKey::from_pkcs8_pem(pem).map_err(|err| {
            anyhow::anyhow!(
                "jwt.private_key is not a valid Ed25519 key ({err}); {PRIVATE_KEY_HINT}"
            )
        })?;
        let public_pem = jwt.public_key.trim();
        if !public_pem.is_empty() {
            let configured = VerifyingKey::from_public_key_pem(public_pem).map_err(|err| {
                anyhow::anyhow!("jwt.public_key is not a valid Ed25519 SPKI PEM key ({err}); fix or unset CHATALOT_JWT__PUBLIC_KEY")
            })?;
            if configured != signing.verifying_key() {
                anyhow::bail!(
                    "jwt.public_key does not belong to jwt.private_key, so gateways would refuse every token; \
                     set CHATALOT_JWT__PUBLIC_KEY to the matching public key or leave it empty"
                );
            }
        }
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|err| {
            anyhow::anyhow!(
                "jwt.private_key cannot be used for signing ({err}); {PRIVATE_KEY_HINT}"
            )
        })?;
        let ttl_secs = i64::try_from(jwt.access_token_ttl_secs).unwrap_or(i64::MAX);
        let issuer = Self {
            key,
            header: Header::new(Algorithm::EdDSA),
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            ttl: TimeDelta::try_seconds(ttl_secs).unwrap_or(TimeDelta::MAX),
        };
        issuer.issue(Uuid::nil(), Uuid::nil()).map_err(|_| {
            anyhow::anyhow!("signing a test token with jwt.private_key failed; {PRIVATE_KEY_HINT}")
        })?;
        Ok(issuer)
    }

    /// How long an access token is accepted.
    pub fn ttl(&self) -> TimeDelta {
        self.ttl
    }

    /// A new access token for `session_id` of `user_id`.
    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> Result<AccessToken, ApiError> {
        let now = Utc::now();
        let expires_at = now
            .checked_add_signed(self.ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.key).map_err(|err| {
            ApiError::internal(anyhow::Error::new(err).context("signing an access token"))
        })?;
        Ok(AccessToken { token, expires_at })
    }
}

/// A new refresh token: 32 random bytes, base64url without padding. Given to the client once.
pub struct RefreshToken {
    token: String,
    hash: RefreshTokenHash,
}

impl RefreshToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = RefreshTokenHash::of(&token);
        Self { token, hash }
    }

    pub fn as_str(&self) -> &str {
        &self.token
    }

    pub fn hash(&self) -> RefreshTokenHash {
        self.hash
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

/// The SHA-256 of a refresh token: what the database stores and looks tokens up by. A leaked
/// database therefore holds no usable refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshTokenHash([u8; 32]);

impl RefreshTokenHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// From a stored `bytea`; `None` if it is not 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::secret::Secret;
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
    use jsonwebtoken::{DecodingKey, Validation};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn key_pair() -> Result<(String, String), Box<dyn std::error::Error>> {
        let signing = SigningKey::generate(&mut OsRng);
        let private = signing.to_pkcs8_pem(LineEnding::LF)?.to_string();
        let public = signing.verifying_key().to_public_key_pem(LineEnding::LF)?;
        Ok((private, public))
    }

    fn jwt_config(private: &str) -> JwtConfig {
        JwtConfig {
            private_key: Secret::new(private),
            ..JwtConfig::default()
        }
    }

    #[test]
    fn access_tokens_round_trip_with_the_public_key() -> TestResult {
        let (private, public) = key_pair()?;
        let issuer = TokenIssuer::from_config(&jwt_config(&private))?;
        let (user_id, session_id) = (Uuid::now_v7(), Uuid::now_v7());
        let token = issuer.issue(user_id, session_id)?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&["chatalot"]);
        validation.set_audience(&["chatalot"]);
        let decoded = jsonwebtoken::decode::<AccessClaims>(
            &token.token,
            &DecodingKey::from_ed_pem(public.as_bytes())?,
            &validation,
        )?;
        assert_eq!(decoded.header.alg, Algorithm::EdDSA);
        assert_eq!(decoded.claims.sub, user_id);
        assert_eq!(decoded.claims.sid, session_id);
        assert_eq!(decoded.claims.exp - decoded.claims.iat, 900);
        assert_eq!(decoded.claims.exp, token.expires_at.timestamp());
        Ok(())
    }

    #[test]
    fn another_key_does_not_verify() -> TestResult {
        let (private, _) = key_pair()?;
        let (_, other_public) = key_pair()?;
        let token = TokenIssuer::from_config(&jwt_config(&private))?
            .issue(Uuid::now_v7(), Uuid::now_v7())?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&["chatalot"]);
        let decoded = jsonwebtoken::decode::<AccessClaims>(
            &token.token,
            &DecodingKey::from_ed_pem(other_public.as_bytes())?,
            &validation,
        );
        assert!(decoded.is_err());
        Ok(())
    }

    #[test]
    fn a_missing_or_broken_key_says_what_to_set() {
        for pem in [
            "",
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
        ] {
            let err = TokenIssuer::from_config(&jwt_config(pem))
                .err()
                .map(|e| e.to_string());
            assert!(
                err.unwrap_or_default()
                    .contains("CHATALOT_JWT__PRIVATE_KEY"),
                "{pem}"
            );
        }
    }

    #[test]
    fn a_mismatched_public_key_is_refused() -> TestResult {
        let (private, _) = key_pair()?;
        let (_, other_public) = key_pair()?;
        let config = JwtConfig {
            public_key: other_public,
            ..jwt_config(&private)
        };
        assert!(TokenIssuer::from_config(&config).is_err());
        Ok(())
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str().len(), 43);
        assert!(
            a.as_str()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(RefreshTokenHash::of(a.as_str()), a.hash());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(
            RefreshTokenHash::from_slice(a.hash().as_bytes()),
            Some(a.hash())
        );
        assert_eq!(RefreshTokenHash::from_slice(&[0; 31]), None);
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn refresh_token_hash_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let hash = RefreshTokenHash::of("abc");
        assert_eq!(hash.as_bytes()[..4], [0xba, 0x78, 0x16, 0xbf],);
    }
}
