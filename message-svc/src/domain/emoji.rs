//! Reaction emoji: exactly one Unicode emoji grapheme.
//!
//! Without a grapheme-segmentation table this follows the shape of emoji sequences (UTS #51): a
//! pictographic base with optional variation selectors, skin tones, keycap or tag characters;
//! several of those joined by ZERO WIDTH JOINER; or a pair of regional indicators (a flag).
//! That accepts every emoji in use and refuses text, two emoji side by side and ASCII.

use chatalot_shared::ApiError;

const ZWJ: char = '\u{200D}';

/// One emoji, as sent (no normalisation: `❤` and `❤️` are different reactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emoji(String);

impl Emoji {
    pub const MAX_BYTES: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let refuse =
            || ApiError::invalid_request("emoji must be a single Unicode emoji (at most 32 bytes)");
        if raw.is_empty() || raw.len() > Self::MAX_BYTES {
            return Err(refuse());
        }
        if raw
            .chars()
            .any(|c| c.is_ascii() || c.is_control() || c.is_whitespace())
        {
            return Err(refuse());
        }
        if !is_one_sequence(raw) {
            return Err(refuse());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Characters that only modify the pictograph before them.
fn is_modifier(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}')
        || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
        || ('\u{E0020}'..='\u{E007F}').contains(&c)
}

/// Where pictographic emoji live: © and ®, the symbol blocks from U+203C (arrows, technical,
/// dingbats, ...) to U+3299, and the emoji planes U+1F000 to U+1FAFF.
fn is_pictographic(c: char) -> bool {
    matches!(c, '\u{A9}' | '\u{AE}')
        || ('\u{203C}'..='\u{3299}').contains(&c)
        || ('\u{1F000}'..='\u{1FAFF}').contains(&c)
}

/// `element (ZWJ element)*`, consuming the whole string.
fn is_one_sequence(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    loop {
        let Some(base) = chars.next() else {
            return false;
        };
        if is_regional_indicator(base) {
            chars.next_if(|c| is_regional_indicator(*c));
        } else if is_pictographic(base) && !is_modifier(base) {
            while chars.next_if(|c| is_modifier(*c)).is_some() {}
        } else {
            return false;
        }
        match chars.next() {
            None => return true,
            Some(ZWJ) => continue,
            Some(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_emoji_of_every_shape_are_accepted() {
        for ok in [
            "👍",
            "❤",
            "❤️",
            "👍🏽",
            "👨‍👩‍👧‍👦",
            "🏳️‍🌈",
            "🇫🇷",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            "©️",
            "⭐",
            "🫠",
        ] {
            assert_eq!(
                Emoji::parse(ok).map(|e| e.as_str().to_string()),
                Ok(ok.to_string()),
                "{ok}"
            );
        }
    }

    #[test]
    fn text_and_several_emoji_are_refused() {
        for bad in [
            "",
            "a",
            "ab",
            ":smile:",
            "1️⃣",
            "👍👍",
            "👍 ",
            " 👍",
            "🇫🇷🇩🇪",
            "é",
            "漢",
            "\u{200D}",
            "👍\u{200D}",
            "\u{FE0F}",
            "\u{3000}",
            "x👍",
        ] {
            assert!(Emoji::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Emoji::parse(&"👍".repeat(9)).is_err());
    }
}
