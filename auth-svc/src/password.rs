//! argon2id hashing and verification. Each hash takes tens of milliseconds of CPU and ~19 MiB,
//! so it runs on the blocking pool, and a semaphore bounds how many run at once: a login storm
//! queues instead of exhausting memory or starving the async runtime.

use crate::domain::Password;
use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
    password_hash::{self, SaltString},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chatalot_shared::{ApiError, config::AuthConfig};
use rand::{RngCore, rngs::OsRng};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified when a login names an unknown account, so the
    /// answer takes as long as for a real account and does not reveal which accounts exist.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// Checks the parameters and computes the dummy hash (one hash at start-up).
    pub async fn new(config: &AuthConfig) -> anyhow::Result<Self> {
        let params = Params::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            None,
        )
        .map_err(|err| anyhow::anyhow!("auth.argon2_* parameters are not usable: {err}"))?;
        let mut hasher = Self {
            params,
            permits: Arc::new(Semaphore::new(config.hash_concurrency)),
            dummy_hash: Arc::from(""),
        };
        let mut random = [0u8; 24];
        OsRng.fill_bytes(&mut random);
        let dummy = hasher
            .hash_str(URL_SAFE_NO_PAD.encode(random))
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))
            .context("computing the dummy password hash")?;
        hasher.dummy_hash = Arc::from(dummy);
        Ok(hasher)
    }

    /// The PHC string (`$argon2id$v=19$m=...`) of a new password.
    pub async fn hash(&self, password: &Password) -> Result<String, ApiError> {
        self.hash_str(password.expose().to_string()).await
    }

    /// True when `password` matches `stored`. With `stored = None` (no such account) it
    /// verifies against the dummy hash and returns false, taking the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, ApiError> {
        let known = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_string);
        let password = password.to_string();
        let matches = self
            .run_blocking(move || {
                let parsed = PasswordHash::new(&hash)?;
                // Parameters come from the stored hash, so older hashes keep verifying after
                // the configured cost changes.
                match Argon2::default().verify_password(password.as_bytes(), &parsed) {
                    Ok(()) => Ok(true),
                    Err(password_hash::Error::Password) => Ok(false),
                    Err(err) => Err(err),
                }
            })
            .await?
            .map_err(|err| {
                ApiError::internal(anyhow::anyhow!("verifying a password hash: {err}"))
            })?;
        Ok(known && matches)
    }

    async fn hash_str(&self, password: String) -> Result<String, ApiError> {
        let params = self.params.clone();
        self.run_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
        })
        .await?
        .map_err(|err| ApiError::internal(anyhow::anyhow!("hashing a password: {err}")))
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit moves into the
    /// blocking task, so a caller that gives up does not let more hashes run than allowed.
    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|err| {
            ApiError::internal(anyhow::Error::new(err).context("waiting for a hashing permit"))
        })?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|err| ApiError::internal(anyhow::Error::new(err).context("password hashing task")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AuthConfig {
        AuthConfig {
            hash_concurrency: 2,
            ..AuthConfig::default()
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() -> Result<(), Box<dyn std::error::Error>> {
        let hasher = PasswordHasher::new(&config()).await?;
        let password = Password::parse("a long passphrase".into(), "alice")?;
        let hash = hasher.hash(&password).await?;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify("a long passphrase", Some(&hash)).await?);
        assert!(!hasher.verify("a long passphrasE", Some(&hash)).await?);
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() -> Result<(), Box<dyn std::error::Error>> {
        let hasher = PasswordHasher::new(&config()).await?;
        assert!(!hasher.verify("anything at all", None).await?);
        Ok(())
    }
}
