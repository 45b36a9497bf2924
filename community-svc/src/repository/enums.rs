//! How contract enums are stored: as the same snake_case text they have on the wire, so the
//! database reads like the API. A value the code does not know (written by a newer version, or
//! by hand) is an internal error.

use chatalot_shared::ApiError;
use serde::{Serialize, de::DeserializeOwned};

/// The wire name of a unit variant.
pub fn name<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        // Only unit variants are stored; anything else fails the table's check constraint.
        _ => String::new(),
    }
}

/// The variant with wire name `name`.
pub fn parse<T: DeserializeOwned>(what: &str, name: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|_| ApiError::internal(anyhow::anyhow!("unknown {what} {name:?} in the database")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::contracts::community::{
        ChannelKind, CommunityAuditAction, CommunityVisibility, GroupVisibility,
    };

    #[test]
    fn names_match_the_check_constraints_and_round_trip() {
        assert_eq!(name(CommunityVisibility::Public), "public");
        assert_eq!(name(GroupVisibility::Private), "private");
        assert_eq!(name(ChannelKind::Voice), "voice");
        assert_eq!(
            name(CommunityAuditAction::MemberTimedOut),
            "member_timed_out"
        );
        assert_eq!(
            parse::<CommunityAuditAction>("action", "invite_revoked").ok(),
            Some(CommunityAuditAction::InviteRevoked)
        );
        assert!(parse::<ChannelKind>("kind", "stage").is_err());
    }
}
