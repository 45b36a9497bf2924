//! The password policy: long enough, not absurdly long, not guessable.

use chatalot_shared::{ApiError, ErrorCode};
use std::{collections::HashSet, fmt, sync::LazyLock};

/// Well-known passwords of 8+ characters, lowercase, one per line; `#` lines are comments.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// A new password that follows the policy. Never trimmed or truncated: what the user typed is
/// what gets hashed. `Debug` does not print it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// Checks `raw` as the new password of `username`.
    pub fn parse(raw: String, username: &str) -> Result<Self, ApiError> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(weak("a password has 8 to 128 characters"));
        }
        let lower = raw.to_lowercase();
        if lower == username.to_lowercase() {
            return Err(weak("the password must not be the username"));
        }
        if COMMON_PASSWORDS.contains(lower.as_str()) {
            return Err(weak("this password is too common; choose another"));
        }
        Ok(Self(raw))
    }

    /// The password itself, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when `raw` could never have been set (too long): a login can skip hashing it.
    pub fn is_impossible(raw: &str) -> bool {
        raw.chars().count() > Self::MAX_CHARS
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

fn weak(message: &str) -> ApiError {
    ApiError::new(ErrorCode::WeakPassword, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str, username: &str) -> Option<ErrorCode> {
        Password::parse(raw.to_string(), username)
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn accepts_a_reasonable_password_unchanged() {
        let raw = "  correct horse battery staple  ";
        assert_eq!(
            Password::parse(raw.into(), "alice").map(|p| p.expose().to_string()),
            Ok(raw.to_string())
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        // 8 characters, 16 bytes: long enough.
        assert_eq!(code("ééééééé1", "alice"), None);
        // 7 characters: too short even though it has more than 8 bytes.
        assert_eq!(code("éééééé1", "alice"), Some(ErrorCode::WeakPassword));
        assert_eq!(code(&"é".repeat(128), "alice"), None);
        assert_eq!(
            code(&"x".repeat(129), "alice"),
            Some(ErrorCode::WeakPassword)
        );
    }

    #[test]
    fn rejects_the_username_ignoring_case() {
        assert_eq!(
            code("AliceSmith", "alicesmith"),
            Some(ErrorCode::WeakPassword)
        );
    }

    #[test]
    fn rejects_common_passwords_ignoring_case() {
        for common in [
            "password",
            "PassWord1",
            "12345678",
            "iloveyou",
            "qwertyuiop",
        ] {
            assert_eq!(
                code(common, "alice"),
                Some(ErrorCode::WeakPassword),
                "{common}"
            );
        }
    }

    #[test]
    fn the_bundled_list_is_loaded_without_its_header() {
        assert!(COMMON_PASSWORDS.len() >= 300);
        assert!(
            COMMON_PASSWORDS
                .iter()
                .all(|p| p.chars().count() >= 8 && !p.starts_with('#'))
        );
    }

    #[test]
    fn debug_does_not_print_the_password() {
        let password =
            Password::parse("a-very-private-phrase".into(), "alice").map(|p| format!("{p:?}"));
        assert_eq!(password, Ok("Password([redacted])".to_string()));
    }

    #[test]
    fn overlong_passwords_are_impossible() {
        assert!(Password::is_impossible(&"x".repeat(129)));
        assert!(!Password::is_impossible("short"));
    }
}
