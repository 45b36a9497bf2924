//! The custom status a user shows next to their presence.

use chatalot_shared::{
    ApiError,
    contracts::presence::{CustomStatus, MAX_CUSTOM_STATUS_CHARS},
};
use chrono::{DateTime, Duration, Utc};

/// A custom status whose text and expiry follow the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCustomStatus {
    text: String,
    expires_at: Option<DateTime<Utc>>,
}

impl ValidCustomStatus {
    /// The latest expiry accepted, counted from now.
    pub const MAX_LIFETIME: Duration = Duration::days(366);

    /// Trims the text, then requires 1 to 128 characters without control characters, and an
    /// expiry (if any) after `now` and at most a year later.
    pub fn parse(raw: &CustomStatus, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let text = raw.text.trim();
        let chars = text.chars().count();
        if chars == 0 || chars > MAX_CUSTOM_STATUS_CHARS {
            return Err(ApiError::invalid_request(format!(
                "custom_status.text must have 1 to {MAX_CUSTOM_STATUS_CHARS} characters; send \
                 custom_status: null to clear it"
            )));
        }
        if text.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "custom_status.text must not contain control characters",
            ));
        }
        if let Some(expires_at) = raw.expires_at {
            if expires_at <= now {
                return Err(ApiError::invalid_request(
                    "custom_status.expires_at must be in the future",
                ));
            }
            if expires_at > now + Self::MAX_LIFETIME {
                return Err(ApiError::invalid_request(
                    "custom_status.expires_at must be at most a year ahead",
                ));
            }
        }
        Ok(Self {
            text: text.to_string(),
            expires_at: raw.expires_at,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::ErrorCode;

    fn status(text: &str, expires_at: Option<DateTime<Utc>>) -> CustomStatus {
        CustomStatus {
            text: text.to_string(),
            expires_at,
        }
    }

    #[test]
    fn trims_and_keeps_unicode_up_to_128_characters() {
        let now = Utc::now();
        let parsed = ValidCustomStatus::parse(&status("  in a meeting 📅 ", None), now);
        assert_eq!(
            parsed.map(|s| s.text().to_string()),
            Ok("in a meeting 📅".into())
        );
        assert!(ValidCustomStatus::parse(&status(&"é".repeat(128), None), now).is_ok());
        let later = now + Duration::hours(1);
        let parsed = ValidCustomStatus::parse(&status("lunch", Some(later)), now);
        assert_eq!(parsed.map(|s| s.expires_at()), Ok(Some(later)));
    }

    #[test]
    fn rejects_empty_long_control_characters_and_bad_expiries() {
        let now = Utc::now();
        for (text, expires_at) in [
            ("", None),
            ("   ", None),
            ("a\nb", None),
            (&*"x".repeat(129), None),
            ("past", Some(now - Duration::seconds(1))),
            ("now", Some(now)),
            ("far", Some(now + Duration::days(400))),
        ] {
            assert_eq!(
                ValidCustomStatus::parse(&status(text, expires_at), now)
                    .err()
                    .map(|e| e.code),
                Some(ErrorCode::InvalidRequest),
                "{text:?} {expires_at:?}"
            );
        }
    }
}
