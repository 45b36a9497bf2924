//! Registration invites: their codes and the limits an administrator may set.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chatalot_shared::{ApiError, ErrorCode};
use rand::{RngCore, rngs::OsRng};

/// A registration invite code: 16 URL-safe characters from 96 random bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    const RANDOM_BYTES: usize = 12;
    /// Longer input cannot be a code we issued; refuse it before it reaches the database.
    const MAX_CHARS: usize = 64;

    pub fn generate() -> Self {
        let mut bytes = [0u8; Self::RANDOM_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The code a registrant typed: `invite_required` when absent or blank, `invite_invalid`
    /// when it cannot be one of ours.
    pub fn parse_presented(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
            return Err(ApiError::new(
                ErrorCode::InviteRequired,
                "this instance only accepts new accounts with an invite code",
            ));
        };
        let url_safe = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if value.len() > Self::MAX_CHARS || !url_safe {
            return Err(invite_invalid());
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The error for an unknown or revoked invite code.
pub fn invite_invalid() -> ApiError {
    ApiError::new(ErrorCode::InviteInvalid, "the invite code is not valid")
}

/// How long an invite stays valid: 1 hour to 1 year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteExpiry(u64);

impl InviteExpiry {
    pub const MIN_SECS: u64 = 3_600;
    pub const MAX_SECS: u64 = 31_536_000;

    pub fn parse_optional(secs: Option<u64>) -> Result<Option<Self>, ApiError> {
        match secs {
            None => Ok(None),
            Some(secs) if (Self::MIN_SECS..=Self::MAX_SECS).contains(&secs) => Ok(Some(Self(secs))),
            Some(_) => Err(ApiError::new(
                ErrorCode::InvalidExpiry,
                "expires_in_secs must be between 3600 (1 hour) and 31536000 (1 year)",
            )),
        }
    }

    /// Whole seconds, as the database's interval arithmetic wants them.
    pub fn as_secs_f64(self) -> f64 {
        // At most 31536000: exact in an f64.
        self.0 as f64
    }
}

/// How many accounts one invite may create: at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteMaxUses(i32);

impl InviteMaxUses {
    pub fn parse_optional(max_uses: Option<u32>) -> Result<Option<Self>, ApiError> {
        match max_uses {
            None => Ok(None),
            Some(n) => i32::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .map(|n| Some(Self(n)))
                .ok_or_else(|| ApiError::invalid_request("max_uses must be at least 1")),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_url_safe_and_distinct() {
        let a = InviteCode::generate();
        let b = InviteCode::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 16);
        assert_eq!(InviteCode::parse_presented(Some(a.as_str())), Ok(a));
    }

    #[test]
    fn presented_codes_are_required_and_checked() {
        let code = |raw: Option<&str>| InviteCode::parse_presented(raw).err().map(|e| e.code);
        assert_eq!(code(None), Some(ErrorCode::InviteRequired));
        assert_eq!(code(Some("  ")), Some(ErrorCode::InviteRequired));
        assert_eq!(code(Some("no spaces here")), Some(ErrorCode::InviteInvalid));
        assert_eq!(code(Some(&"a".repeat(65))), Some(ErrorCode::InviteInvalid));
    }

    #[test]
    fn expiry_is_one_hour_to_one_year() {
        assert_eq!(InviteExpiry::parse_optional(None), Ok(None));
        assert!(InviteExpiry::parse_optional(Some(3_600)).is_ok());
        assert!(InviteExpiry::parse_optional(Some(31_536_000)).is_ok());
        assert!(InviteExpiry::parse_optional(Some(3_599)).is_err());
        assert!(InviteExpiry::parse_optional(Some(31_536_001)).is_err());
    }

    #[test]
    fn max_uses_is_at_least_one() {
        assert_eq!(InviteMaxUses::parse_optional(None), Ok(None));
        assert_eq!(
            InviteMaxUses::parse_optional(Some(1)).map(|m| m.map(InviteMaxUses::get)),
            Ok(Some(1))
        );
        assert!(InviteMaxUses::parse_optional(Some(0)).is_err());
        assert!(InviteMaxUses::parse_optional(Some(u32::MAX)).is_err());
    }
}
