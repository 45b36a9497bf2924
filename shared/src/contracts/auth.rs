//! Accounts, sessions, instance settings and the audit log (owned by auth-svc).

use super::{Empty, Event, rpc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The claims of an access token (an Ed25519-signed JWT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: Uuid,
    /// The session the token belongs to.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// What an account may do on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstanceRole {
    /// The first account; may do everything, including naming admins.
    Owner,
    /// May manage users, invites, settings and read the audit log.
    Admin,
    Member,
}

impl InstanceRole {
    pub fn is_admin(self) -> bool {
        matches!(self, InstanceRole::Owner | InstanceRole::Admin)
    }
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    Open,
    InviteOnly,
    Closed,
}

/// A user as they see themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserProfile {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: InstanceRole,
    pub created_at: DateTime<Utc>,
}

/// The tokens of a session. Send the access token as `Authorization: Bearer`; keep the refresh
/// token secret and exchange it before the access token expires.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionTokens {
    pub user: UserProfile,
    pub session_id: Uuid,
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Opaque; valid for one use (each refresh returns a new one).
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3 to 32 characters: letters, digits, `_`, `.` and `-`; unique ignoring case.
    #[schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    /// 8 to 128 characters, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,62}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub display_name: Option<String>,
    /// Required when the instance is invite-only.
    #[serde(default)]
    pub invite_code: Option<String>,
    /// A name for this device, shown in the session list.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,62}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,62}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Ends the caller's own session.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {}

/// Ends every session of the caller, this one included.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutAllRequest {}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSessionsRequest {}

/// One of the caller's sessions (a logged-in device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub session_id: Uuid,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// True for the session making the request.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeSessionRequest {
    pub session_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMeRequest {}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// 1 to 64 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,62}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub display_name: Option<String>,
}

/// Changes the caller's password and ends their other sessions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetInstanceRequest {}

/// Instance-wide settings anyone may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InstanceSettings {
    pub registration_mode: RegistrationMode,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInstanceRequest {
    pub registration_mode: RegistrationMode,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegistrationInviteRequest {
    /// How many accounts the code may create; unlimited when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub max_uses: Option<u32>,
    /// Seconds until the code expires, 3600 (1 hour) to 31536000 (1 year), else 422
    /// `invalid_expiry`; never when absent.
    #[serde(default)]
    #[schema(minimum = 3600, maximum = 31536000)]
    pub expires_in_secs: Option<u64>,
}

/// A code that lets someone register on an invite-only instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegistrationInvite {
    pub code: String,
    pub created_by: Uuid,
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRegistrationInvitesRequest {}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegistrationInviteList {
    pub invites: Vec<RegistrationInvite>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRegistrationInviteRequest {
    pub code: String,
}

/// A page of accounts, oldest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersRequest {
    /// Return accounts created after this user id (the previous page's `next_cursor`).
    #[serde(default)]
    pub after: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// An account as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminUserView {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: InstanceRole,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<AdminUserView>,
    pub next_cursor: Option<Uuid>,
}

/// Disables or re-enables an account. Disabling ends all its sessions at once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUserDisabledRequest {
    pub user_id: Uuid,
    pub disabled: bool,
}

/// Makes an account admin or member again (owner only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUserRoleRequest {
    pub user_id: Uuid,
    pub role: InstanceRole,
}

/// What the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Register,
    LoginSucceeded,
    LoginFailed,
    RefreshTokenReused,
    Logout,
    LogoutAll,
    SessionRevoked,
    PasswordChanged,
    RegistrationModeChanged,
    RegistrationInviteCreated,
    RegistrationInviteRevoked,
    UserDisabled,
    UserEnabled,
    UserRoleChanged,
}

/// Filters and cursor of an audit log query; newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueryAuditLogRequest {
    #[serde(default)]
    pub action: Option<AuditAction>,
    #[serde(default)]
    pub actor_id: Option<Uuid>,
    #[serde(default)]
    pub target_id: Option<Uuid>,
    /// Return entries older than this entry id (the previous page's `next_cursor`).
    #[serde(default)]
    pub before: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub entry_id: Uuid,
    pub action: AuditAction,
    pub actor_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditLogPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<Uuid>,
}

/// Public profile basics of some users (service to service; unknown ids are left out).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupUsersRequest {
    /// At most 1000 ids.
    pub user_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSummaries {
    pub users: Vec<UserSummary>,
}

/// Sessions that ended. Every gateway closes their sockets and refuses their access tokens.
/// Published on the sessions-revoked subject, not to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsRevoked {
    pub user_id: Uuid,
    pub session_ids: Vec<Uuid>,
    /// When the newest access token of these sessions expires at the latest.
    pub tokens_valid_until: DateTime<Utc>,
}

/// The user's own profile changed (sent to all their connections).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserUpdated {
    pub user: UserProfile,
}

impl Event for UserUpdated {
    const NAME: &'static str = "user_updated";
}

rpc! {
    RegisterRequest => SessionTokens, Auth, "register";
    LoginRequest => SessionTokens, Auth, "login";
    RefreshRequest => SessionTokens, Auth, "refresh";
    LogoutRequest => Empty, Auth, "logout";
    LogoutAllRequest => Empty, Auth, "logout_all";
    ListSessionsRequest => SessionList, Auth, "list_sessions";
    RevokeSessionRequest => Empty, Auth, "revoke_session";
    GetMeRequest => UserProfile, Auth, "get_me";
    UpdateMeRequest => UserProfile, Auth, "update_me";
    ChangePasswordRequest => Empty, Auth, "change_password";
    GetInstanceRequest => InstanceSettings, Auth, "get_instance";
    UpdateInstanceRequest => InstanceSettings, Auth, "update_instance";
    CreateRegistrationInviteRequest => RegistrationInvite, Auth, "create_registration_invite";
    ListRegistrationInvitesRequest => RegistrationInviteList, Auth, "list_registration_invites";
    RevokeRegistrationInviteRequest => Empty, Auth, "revoke_registration_invite";
    ListUsersRequest => UserList, Auth, "list_users";
    SetUserDisabledRequest => AdminUserView, Auth, "set_user_disabled";
    SetUserRoleRequest => AdminUserView, Auth, "set_user_role";
    QueryAuditLogRequest => AuditLogPage, Auth, "query_audit_log";
    LookupUsersRequest => UserSummaries, Auth, "lookup_users";
}
