//! The name shown to others; free text, unlike the username.

use chatalot_shared::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    /// Trims surrounding whitespace, then requires 1 to 64 characters and no control characters.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let value = raw.trim();
        let chars = value.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(ApiError::invalid_request(
                "display_name must have 1 to 64 characters",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "display_name must not contain control characters",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::ErrorCode;

    #[test]
    fn trims_and_keeps_unicode() {
        assert_eq!(
            DisplayName::parse("  Zoë 🚀 ").map(|d| d.as_str().to_string()),
            Ok("Zoë 🚀".to_string())
        );
        assert!(DisplayName::parse(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn rejects_empty_long_and_control_characters() {
        for bad in ["", "   ", "a\u{0}b", "line\nbreak", &"x".repeat(65)] {
            assert_eq!(
                DisplayName::parse(bad).err().map(|e| e.code),
                Some(ErrorCode::InvalidRequest),
                "{bad:?}"
            );
        }
    }
}
