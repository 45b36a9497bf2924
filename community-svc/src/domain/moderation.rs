//! Moderation input: reasons and timeouts.

use chatalot_shared::ApiError;
use chrono::{DateTime, Duration, Utc};

/// An optional reason for a kick, ban or timeout: up to 512 characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(Option<String>);

impl Reason {
    pub const MAX_CHARS: usize = 512;

    pub fn parse_optional(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Self(None));
        };
        check_reason(value).map(|v| Self(Some(v)))
    }

    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// The reason of a warning: required, 1 to 512 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningReason(String);

impl WarningReason {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(ApiError::invalid_request(
                "reason must have 1 to 512 characters",
            ));
        }
        check_reason(value).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_reason(value: &str) -> Result<String, ApiError> {
    if value.chars().count() > Reason::MAX_CHARS {
        return Err(ApiError::invalid_request(
            "reason must have at most 512 characters",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(ApiError::invalid_request(
            "reason must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// When a timeout ends: in the future, at most 28 days ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutUntil(DateTime<Utc>);

impl TimeoutUntil {
    pub const MAX_DAYS: i64 = 28;

    pub fn parse(until: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, ApiError> {
        if until <= now {
            return Err(ApiError::invalid_request(
                "until must be in the future (omit it to lift a timeout)",
            ));
        }
        if until > now + Duration::days(Self::MAX_DAYS) {
            return Err(ApiError::invalid_request(
                "until must be at most 28 days from now",
            ));
        }
        Ok(Self(until))
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_optional_and_bounded() {
        assert_eq!(
            Reason::parse_optional(None).map(|r| r.value().is_none()),
            Ok(true)
        );
        assert_eq!(
            Reason::parse_optional(Some("  ")).map(|r| r.value().is_none()),
            Ok(true)
        );
        assert_eq!(
            Reason::parse_optional(Some(" spam ")).map(|r| r.value().map(str::to_string)),
            Ok(Some("spam".into()))
        );
        assert!(Reason::parse_optional(Some(&"r".repeat(512))).is_ok());
        assert!(Reason::parse_optional(Some(&"r".repeat(513))).is_err());
        assert!(Reason::parse_optional(Some("a\u{1b}b")).is_err());
    }

    #[test]
    fn warnings_need_a_reason() {
        assert!(WarningReason::parse("be nice").is_ok());
        assert!(WarningReason::parse(" ").is_err());
        assert!(WarningReason::parse(&"w".repeat(513)).is_err());
    }

    #[test]
    fn timeouts_end_in_the_future_within_28_days() {
        let now = Utc::now();
        assert!(TimeoutUntil::parse(now + Duration::seconds(1), now).is_ok());
        assert!(TimeoutUntil::parse(now + Duration::days(28), now).is_ok());
        assert!(TimeoutUntil::parse(now, now).is_err());
        assert!(TimeoutUntil::parse(now - Duration::hours(1), now).is_err());
        assert!(TimeoutUntil::parse(now + Duration::days(28) + Duration::seconds(1), now).is_err());
    }
}
