//! Account names: what people log in with and how others find them.

use chatalot_shared::{ApiError, ErrorCode};

/// 3 to 32 ASCII letters, digits, `_`, `.` or `-`. Case is kept as typed; uniqueness ignores case
/// (a unique index on `lower(username)`), so `Alice` and `alice` cannot both exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let length_ok = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&raw.len());
        let chars_ok = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if length_ok && chars_ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(ApiError::new(
                ErrorCode::InvalidUsername,
                "a username has 3 to 32 characters: letters, digits, '_', '.' and '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> Option<ErrorCode> {
        Username::parse(raw).err().map(|e| e.code)
    }

    #[test]
    fn accepts_the_allowed_characters_and_keeps_case() {
        for ok in ["abc", "Alice_B.c-9", &"a".repeat(32)] {
            assert_eq!(
                Username::parse(ok).map(|u| u.as_str().to_string()),
                Ok(ok.to_string())
            );
        }
    }

    #[test]
    fn rejects_bad_lengths() {
        assert_eq!(code("ab"), Some(ErrorCode::InvalidUsername));
        assert_eq!(code(""), Some(ErrorCode::InvalidUsername));
        assert_eq!(code(&"a".repeat(33)), Some(ErrorCode::InvalidUsername));
    }

    #[test]
    fn rejects_other_characters() {
        for bad in [
            "has space",
            "émile",
            "a/b",
            "abc\n",
            "<script>",
            "user@host",
            " abc",
        ] {
            assert_eq!(code(bad), Some(ErrorCode::InvalidUsername), "{bad}");
        }
    }
}
