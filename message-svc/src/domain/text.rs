//! Message bodies, nonces and search text. Lengths count characters, not bytes.

use chatalot_shared::ApiError;

/// A message body: markdown stored exactly as written, at most 4000 characters, no control
/// characters other than line breaks and tabs. A body of only whitespace counts as empty (and is
/// stored empty), so "a message needs text or an attachment" cannot be dodged with a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ApiError::invalid_request(format!(
                "body must have at most {} characters",
                Self::MAX_CHARS
            )));
        }
        let allowed = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
        if !raw.chars().all(allowed) {
            return Err(ApiError::invalid_request(
                "body must not contain control characters",
            ));
        }
        if raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A client's idempotency key: 1 to 64 characters, no control characters, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let chars = raw.chars().count();
        if !(1..=64).contains(&chars) {
            return Err(ApiError::invalid_request(
                "nonce must have 1 to 64 characters",
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "nonce must not contain control characters",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to search for: trimmed, at most 256 characters; `None` when blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(Option<String>);

impl SearchText {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Self(None));
        };
        if value.chars().count() > 256 {
            return Err(ApiError::invalid_request(
                "query must have at most 256 characters",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "query must not contain control characters",
            ));
        }
        Ok(Self(Some(value.to_string())))
    }

    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_kept_as_written_and_bounded_in_characters() {
        let markdown = "  **bold**\n\n- item\n\t`code`  ";
        assert_eq!(
            MessageBody::parse(markdown).map(|b| b.as_str().to_string()),
            Ok(markdown.to_string())
        );
        assert!(MessageBody::parse(&"é".repeat(4000)).is_ok());
        assert!(MessageBody::parse(&"x".repeat(4001)).is_err());
        assert!(MessageBody::parse("bell\u{7}").is_err());
        assert!(MessageBody::parse("nul\u{0}").is_err());
        assert_eq!(MessageBody::parse("   \n ").map(|b| b.is_empty()), Ok(true));
        assert_eq!(MessageBody::parse("").map(|b| b.is_empty()), Ok(true));
    }

    #[test]
    fn nonces_are_short_printable_strings() {
        assert!(Nonce::parse("a").is_ok());
        assert!(Nonce::parse(&"n".repeat(64)).is_ok());
        assert!(Nonce::parse("client 7 – ü").is_ok());
        assert!(Nonce::parse("").is_err());
        assert!(Nonce::parse(&"n".repeat(65)).is_err());
        assert!(Nonce::parse("line\nbreak").is_err());
    }

    #[test]
    fn search_text_is_optional_and_bounded() {
        assert_eq!(
            SearchText::parse(None).map(|s| s.value().is_none()),
            Ok(true)
        );
        assert_eq!(
            SearchText::parse(Some("  ")).map(|s| s.value().is_none()),
            Ok(true)
        );
        assert_eq!(
            SearchText::parse(Some(" rust async ")).map(|s| s.value().map(str::to_string)),
            Ok(Some("rust async".into()))
        );
        assert!(SearchText::parse(Some(&"q".repeat(257))).is_err());
    }
}
