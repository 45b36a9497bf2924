//! The label of a logged-in device in the session list.

use chatalot_shared::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName(String);

impl DeviceName {
    pub const MAX_CHARS: usize = 64;

    /// Trimmed; blank means "no name"; at most 64 characters and no control characters.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, ApiError> {
        let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if value.chars().count() > Self::MAX_CHARS || value.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "device_name must have at most 64 characters and no control characters",
            ));
        }
        Ok(Some(Self(value.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::ErrorCode;

    fn parse(raw: Option<&str>) -> Result<Option<String>, ErrorCode> {
        DeviceName::parse_optional(raw)
            .map(|d| d.map(|d| d.as_str().to_string()))
            .map_err(|e| e.code)
    }

    #[test]
    fn blank_or_absent_means_none() {
        assert_eq!(parse(None), Ok(None));
        assert_eq!(parse(Some(" ")), Ok(None));
    }

    #[test]
    fn keeps_short_names_and_rejects_long_ones() {
        assert_eq!(
            parse(Some(" Firefox on Linux ")),
            Ok(Some("Firefox on Linux".into()))
        );
        assert_eq!(
            parse(Some(&"d".repeat(64))).map(|d| d.map(|d| d.len())),
            Ok(Some(64))
        );
        assert_eq!(parse(Some(&"d".repeat(65))), Err(ErrorCode::InvalidRequest));
        assert_eq!(parse(Some("tab\there")), Err(ErrorCode::InvalidRequest));
    }
}
