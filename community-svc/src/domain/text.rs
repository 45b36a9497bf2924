//! Names and free text: trimmed, bounded in characters (not bytes), no control characters
//! except line breaks and tabs where text may span lines.

use chatalot_shared::ApiError;

/// Trims `raw` and checks its length and characters; `field` names it in the error.
fn bounded(
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String, ApiError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars < min || chars > max {
        return Err(ApiError::invalid_request(if min == 0 {
            format!("{field} must have at most {max} characters")
        } else {
            format!("{field} must have {min} to {max} characters")
        }));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\t'));
    if !value.chars().all(allowed) {
        return Err(ApiError::invalid_request(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(value.to_string())
}

/// Declares a validated text type: `$name(field, min, max, multiline)`.
macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:expr, $max:expr, $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, ApiError> {
                bounded($field, raw, $min, $max, $multiline).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A community's name: 1 to 100 characters.
    CommunityName, "name", 1, 100, false
);
text_type!(
    /// What a community is about: up to 1000 characters, may span lines.
    Description, "description", 0, 1000, true
);
text_type!(
    /// A group's name: 1 to 100 characters.
    GroupName, "name", 1, 100, false
);
text_type!(
    /// A channel's name: 1 to 100 characters.
    ChannelName, "name", 1, 100, false
);
text_type!(
    /// A channel's topic: up to 1024 characters, may span lines.
    Topic, "topic", 0, 1024, true
);
text_type!(
    /// A search string for discovery and member lists: up to 100 characters.
    SearchQuery, "query", 0, 100, false
);

/// The welcome message new members see: up to 2000 characters; empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeMessage(Option<String>);

impl WelcomeMessage {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let value = bounded("welcome_message", raw, 0, 2000, true)?;
        Ok(Self(Some(value).filter(|v| !v.is_empty())))
    }

    /// `None` when cleared.
    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A reference to a community's icon (an attachment id or a URL): up to 2048 characters, no
/// spaces; empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IconRef(Option<String>);

impl IconRef {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let value = bounded("icon_ref", raw, 0, 2048, false)?;
        if value.chars().any(char::is_whitespace) {
            return Err(ApiError::invalid_request(
                "icon_ref must not contain spaces",
            ));
        }
        Ok(Self(Some(value).filter(|v| !v.is_empty())))
    }

    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A member's nickname in one community: 1 to 64 characters; empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(Option<String>);

impl Nickname {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let value = bounded("nickname", raw, 0, 64, false)?;
        Ok(Self(Some(value).filter(|v| !v.is_empty())))
    }

    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::ErrorCode;

    fn code<T>(result: Result<T, ApiError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            CommunityName::parse("  Rust Fans  ").map(|n| n.as_str().to_string()),
            Ok("Rust Fans".into())
        );
        assert!(CommunityName::parse(&"é".repeat(100)).is_ok());
        for bad in ["", "   ", &"x".repeat(101), "tab\there", "new\nline"] {
            assert_eq!(
                code(CommunityName::parse(bad)),
                Some(ErrorCode::InvalidRequest),
                "{bad:?}"
            );
        }
        assert!(GroupName::parse("General").is_ok());
        assert!(ChannelName::parse(&"c".repeat(100)).is_ok());
        assert!(ChannelName::parse(&"c".repeat(101)).is_err());
        assert!(ChannelName::parse("").is_err());
    }

    #[test]
    fn long_text_may_span_lines_but_has_limits() {
        assert!(Description::parse("").is_ok());
        assert!(Description::parse("line one\nline two").is_ok());
        assert!(Description::parse(&"d".repeat(1000)).is_ok());
        assert!(Description::parse(&"d".repeat(1001)).is_err());
        assert!(Topic::parse(&"t".repeat(1024)).is_ok());
        assert!(Topic::parse(&"t".repeat(1025)).is_err());
        assert!(Topic::parse("bell\u{7}").is_err());
        let message = Topic::parse(&"t".repeat(1025)).err().map(|e| e.message);
        assert_eq!(
            message.as_deref(),
            Some("topic must have at most 1024 characters")
        );
    }

    #[test]
    fn empty_clears_optional_text() {
        assert_eq!(
            Nickname::parse("").map(|n| n.value().map(str::to_string)),
            Ok(None)
        );
        assert_eq!(
            Nickname::parse("  ").map(|n| n.value().map(str::to_string)),
            Ok(None)
        );
        assert_eq!(
            Nickname::parse(" Zoë ").map(|n| n.value().map(str::to_string)),
            Ok(Some("Zoë".into()))
        );
        assert!(Nickname::parse(&"n".repeat(64)).is_ok());
        assert!(Nickname::parse(&"n".repeat(65)).is_err());
        assert_eq!(
            WelcomeMessage::parse("").map(|w| w.value().is_none()),
            Ok(true)
        );
        assert!(WelcomeMessage::parse(&"w".repeat(2001)).is_err());
        assert_eq!(IconRef::parse("").map(|i| i.value().is_none()), Ok(true));
        assert!(IconRef::parse("https://example.com/icon.png").is_ok());
        assert!(IconRef::parse("two words").is_err());
    }
}
