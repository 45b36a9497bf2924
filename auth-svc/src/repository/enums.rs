//! How contract enums are stored: as the same snake_case text they have on the wire. A value the
//! code does not know (written by a newer version, or by hand) is an internal error.

use chatalot_shared::{
    ApiError,
    contracts::auth::{AuditAction, InstanceRole, RegistrationMode},
};

pub fn role_name(role: InstanceRole) -> &'static str {
    match role {
        InstanceRole::Owner => "owner",
        InstanceRole::Admin => "admin",
        InstanceRole::Member => "member",
    }
}

pub fn parse_role(name: &str) -> Result<InstanceRole, ApiError> {
    [
        InstanceRole::Owner,
        InstanceRole::Admin,
        InstanceRole::Member,
    ]
    .into_iter()
    .find(|role| role_name(*role) == name)
    .ok_or_else(|| unknown("role", name))
}

pub fn mode_name(mode: RegistrationMode) -> &'static str {
    match mode {
        RegistrationMode::Open => "open",
        RegistrationMode::InviteOnly => "invite_only",
        RegistrationMode::Closed => "closed",
    }
}

pub fn parse_mode(name: &str) -> Result<RegistrationMode, ApiError> {
    [
        RegistrationMode::Open,
        RegistrationMode::InviteOnly,
        RegistrationMode::Closed,
    ]
    .into_iter()
    .find(|mode| mode_name(*mode) == name)
    .ok_or_else(|| unknown("registration mode", name))
}

const ALL_ACTIONS: [AuditAction; 14] = [
    AuditAction::Register,
    AuditAction::LoginSucceeded,
    AuditAction::LoginFailed,
    AuditAction::RefreshTokenReused,
    AuditAction::Logout,
    AuditAction::LogoutAll,
    AuditAction::SessionRevoked,
    AuditAction::PasswordChanged,
    AuditAction::RegistrationModeChanged,
    AuditAction::RegistrationInviteCreated,
    AuditAction::RegistrationInviteRevoked,
    AuditAction::UserDisabled,
    AuditAction::UserEnabled,
    AuditAction::UserRoleChanged,
];

pub fn action_name(action: AuditAction) -> &'static str {
    match action {
        AuditAction::Register => "register",
        AuditAction::LoginSucceeded => "login_succeeded",
        AuditAction::LoginFailed => "login_failed",
        AuditAction::RefreshTokenReused => "refresh_token_reused",
        AuditAction::Logout => "logout",
        AuditAction::LogoutAll => "logout_all",
        AuditAction::SessionRevoked => "session_revoked",
        AuditAction::PasswordChanged => "password_changed",
        AuditAction::RegistrationModeChanged => "registration_mode_changed",
        AuditAction::RegistrationInviteCreated => "registration_invite_created",
        AuditAction::RegistrationInviteRevoked => "registration_invite_revoked",
        AuditAction::UserDisabled => "user_disabled",
        AuditAction::UserEnabled => "user_enabled",
        AuditAction::UserRoleChanged => "user_role_changed",
    }
}

pub fn parse_action(name: &str) -> Result<AuditAction, ApiError> {
    ALL_ACTIONS
        .into_iter()
        .find(|action| action_name(*action) == name)
        .ok_or_else(|| unknown("audit action", name))
}

fn unknown(what: &str, name: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("unknown {what} {name:?} in the database"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored names must be the wire names, so the database reads like the API.
    fn wire_name<T: serde::Serialize>(value: T) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    #[test]
    fn actions_round_trip_and_match_the_wire() {
        for action in ALL_ACTIONS {
            assert_eq!(action_name(action), wire_name(action));
            assert_eq!(parse_action(action_name(action)), Ok(action));
        }
    }

    #[test]
    fn roles_and_modes_round_trip_and_match_the_wire() {
        for role in [
            InstanceRole::Owner,
            InstanceRole::Admin,
            InstanceRole::Member,
        ] {
            assert_eq!(role_name(role), wire_name(role));
            assert_eq!(parse_role(role_name(role)), Ok(role));
        }
        for mode in [
            RegistrationMode::Open,
            RegistrationMode::InviteOnly,
            RegistrationMode::Closed,
        ] {
            assert_eq!(mode_name(mode), wire_name(mode));
            assert_eq!(parse_mode(mode_name(mode)), Ok(mode));
        }
        assert!(parse_role("root").is_err());
    }
}
