//! Invite codes, shared by registration invites (auth-svc) and community invites
//! (community-svc): how codes are made and read, the limits their creator may set (1 hour to
//! 1 year, at least one use), and why a presented code is refused.

use crate::error::{ApiError, ErrorCode};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};

/// An invite code: 16 URL-safe characters from 96 random bits, so codes cannot be guessed (a
/// code is the only way into a private community or an invite-only instance).
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

    /// A code someone presented: `invite_invalid` when it cannot be one of ours.
    pub fn parse_presented(raw: &str) -> Result<Self, ApiError> {
        let value = raw.trim();
        let url_safe = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if value.is_empty() || value.len() > Self::MAX_CHARS || !url_safe {
            return Err(invite_invalid());
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long an invite stays valid: 1 hour to 1 year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteExpiry(u64);

impl InviteExpiry {
    pub const MIN_SECS: u64 = 3_600;
    pub const MAX_SECS: u64 = 31_536_000;

    /// 422 `invalid_expiry` outside the bounds.
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

/// How many people (or accounts) one invite may bring in: at least 1.
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
                .ok_or_else(|| {
                    ApiError::invalid_request("max_uses must be between 1 and 2147483647")
                }),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// What is wrong with a stored invite, if anything. Checked in this order, so a revoked code is
/// reported as invalid even once it has also expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteState {
    pub revoked: bool,
    pub expired: bool,
    pub exhausted: bool,
}

impl InviteState {
    /// `Ok` for a usable invite, else the error its holder gets.
    pub fn check(self) -> Result<(), ApiError> {
        if self.revoked {
            Err(invite_invalid())
        } else if self.expired {
            Err(ApiError::new(
                ErrorCode::InviteExpired,
                "the invite code has expired",
            ))
        } else if self.exhausted {
            Err(ApiError::new(
                ErrorCode::InviteExhausted,
                "the invite code has been used as often as allowed",
            ))
        } else {
            Ok(())
        }
    }
}

/// The error for an unknown or revoked invite code.
pub fn invite_invalid() -> ApiError {
    ApiError::new(ErrorCode::InviteInvalid, "the invite code is not valid")
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
        assert_eq!(InviteCode::parse_presented(a.as_str()), Ok(a));
    }

    #[test]
    fn malformed_codes_are_invalid() {
        for bad in ["", "  ", "has space", "semi;colon", &"a".repeat(65)] {
            assert_eq!(
                InviteCode::parse_presented(bad).err().map(|e| e.code),
                Some(ErrorCode::InviteInvalid),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn expiry_is_one_hour_to_one_year() {
        assert_eq!(InviteExpiry::parse_optional(None), Ok(None));
        assert!(InviteExpiry::parse_optional(Some(3_600)).is_ok());
        assert!(InviteExpiry::parse_optional(Some(31_536_000)).is_ok());
        for bad in [0, 3_599, 31_536_001, u64::MAX] {
            assert_eq!(
                InviteExpiry::parse_optional(Some(bad))
                    .err()
                    .map(|e| e.code),
                Some(ErrorCode::InvalidExpiry),
                "{bad}"
            );
        }
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

    #[test]
    fn refusals_have_their_own_codes() {
        let state = |revoked, expired, exhausted| {
            InviteState {
                revoked,
                expired,
                exhausted,
            }
            .check()
            .err()
            .map(|e| e.code)
        };
        assert_eq!(state(false, false, false), None);
        assert_eq!(state(true, true, true), Some(ErrorCode::InviteInvalid));
        assert_eq!(state(false, true, true), Some(ErrorCode::InviteExpired));
        assert_eq!(state(false, false, true), Some(ErrorCode::InviteExhausted));
    }
}
