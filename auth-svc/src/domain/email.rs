//! An optional contact address. Only its shape is checked; nothing is sent to it.

use chatalot_shared::{ApiError, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    /// `None` and blank input mean "no address"; anything else must look like `local@domain.tld`.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, ApiError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => Self::parse(value).map(Some),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::new(ErrorCode::InvalidEmail, "the email address is not valid");
        if raw.chars().count() > Self::MAX_CHARS
            || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let mut parts = raw.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let domain_ok = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> Option<ErrorCode> {
        Email::parse(raw).err().map(|e| e.code)
    }

    #[test]
    fn accepts_ordinary_addresses() {
        assert_eq!(code("alice@example.org"), None);
        assert_eq!(code("a.b+tag@mail.example.co.uk"), None);
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "alice",
            "@example.org",
            "alice@localhost",
            "a@b@c.org",
            "alice@.org",
            "alice@org.",
            "a b@c.org",
        ] {
            assert_eq!(code(bad), Some(ErrorCode::InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(code(&long), Some(ErrorCode::InvalidEmail));
    }

    #[test]
    fn blank_means_no_address() {
        assert_eq!(Email::parse_optional(None), Ok(None));
        assert_eq!(Email::parse_optional(Some("  ")), Ok(None));
        assert_eq!(
            Email::parse_optional(Some(" alice@example.org "))
                .map(|e| e.map(|e| e.as_str().to_string())),
            Ok(Some("alice@example.org".to_string()))
        );
    }
}
