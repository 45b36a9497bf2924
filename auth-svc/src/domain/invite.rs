//! Registration invites use the shared invite rules (`chatalot_shared::invites`); what is
//! particular here is that an invite-only instance requires a code.

use chatalot_shared::{ApiError, ErrorCode, invites::InviteCode};

pub use chatalot_shared::invites::invite_invalid;

/// The code a registrant typed: `invite_required` when absent or blank, `invite_invalid` when it
/// cannot be one of ours.
pub fn required_code(raw: Option<&str>) -> Result<InviteCode, ApiError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Err(ApiError::new(
            ErrorCode::InviteRequired,
            "this instance only accepts new accounts with an invite code",
        )),
        Some(value) => InviteCode::parse_presented(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_codes_are_required_and_checked() {
        let code = |raw: Option<&str>| required_code(raw).err().map(|e| e.code);
        assert_eq!(code(None), Some(ErrorCode::InviteRequired));
        assert_eq!(code(Some("  ")), Some(ErrorCode::InviteRequired));
        assert_eq!(code(Some("no spaces here")), Some(ErrorCode::InviteInvalid));
        assert_eq!(code(Some(&"a".repeat(65))), Some(ErrorCode::InviteInvalid));
        let issued = InviteCode::generate();
        assert_eq!(required_code(Some(issued.as_str())), Ok(issued));
    }
}
