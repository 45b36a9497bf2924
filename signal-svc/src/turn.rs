//! Time-limited TURN credentials in coturn's `use-auth-secret` scheme (the "TURN REST API"):
//! the username is `<expiry unix seconds>:<user id>` and the password is
//! base64(HMAC-SHA1(static-auth-secret, username)). coturn recomputes the password from the
//! username and refuses it once the expiry has passed; nothing is stored anywhere.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use uuid::Uuid;

/// A TURN username and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCredential {
    pub username: String,
    pub password: String,
    /// Unix seconds after which the TURN server refuses them.
    pub expires_at: i64,
}

/// Credentials for `user_id`, valid from `now` (unix seconds) for `ttl_secs`.
pub fn credential(secret: &str, user_id: Uuid, now: i64, ttl_secs: u64) -> TurnCredential {
    let expires_at = now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
    let username = format!("{expires_at}:{user_id}");
    TurnCredential {
        password: password(secret, &username),
        username,
        expires_at,
    }
}

/// base64(HMAC-SHA1(secret, username)).
fn password(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length; the error branch cannot happen.
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(username.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_rfc_2104_hmac_sha1_in_base64() {
        // HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog")
        // = de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9.
        assert_eq!(
            password("key", "The quick brown fox jumps over the lazy dog"),
            "3nybhbi3iqa8ino29wqQcBydtNk="
        );
    }

    #[test]
    fn the_username_carries_the_expiry_and_the_user() {
        let user = Uuid::now_v7();
        let turn = credential("s3cret", user, 1_700_000_000, 3600);
        assert_eq!(turn.expires_at, 1_700_003_600);
        assert_eq!(turn.username, format!("1700003600:{user}"));
        assert_eq!(turn.password, password("s3cret", &turn.username));
        assert_ne!(
            turn.password,
            credential("other", user, 1_700_000_000, 3600).password
        );
    }
}
