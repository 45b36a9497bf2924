//! The one error model. A client error has a stable snake_case [`ErrorCode`] and a human
//! message; it travels unchanged as the HTTP body, the WebSocket error frame and the NATS reply.
//! Unexpected failures become `internal` with a generic message: the cause is logged once where it
//! happens and never sent to clients.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// Stable, machine-readable error codes. Never rename one: clients match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON.
    InvalidJson,
    /// The body is JSON but not of the expected shape (unknown or missing fields, wrong types).
    InvalidRequest,
    /// The request body or WebSocket message is larger than allowed.
    PayloadTooLarge,
    /// The request needs `Content-Type: application/json`.
    UnsupportedMediaType,
    /// No access token was sent.
    MissingToken,
    /// The access token is malformed, has a bad signature or a disallowed algorithm.
    InvalidToken,
    /// The access token has expired; refresh it.
    TokenExpired,
    /// The caller is authenticated but not allowed to do this.
    Forbidden,
    /// No such object, or the caller may not know it exists.
    NotFound,
    /// No such route.
    RouteNotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The username does not follow the rules.
    InvalidUsername,
    /// The username is taken (case-insensitively).
    UsernameTaken,
    /// The email address is not valid.
    InvalidEmail,
    /// The password is too short, too long or too common.
    WeakPassword,
    /// Wrong username or password (the same answer whether or not the account exists).
    InvalidCredentials,
    /// The account has been disabled by an administrator.
    AccountDisabled,
    /// The instance does not accept new accounts.
    RegistrationClosed,
    /// The instance only accepts new accounts with an invite code.
    InviteRequired,
    /// The invite code is unknown or revoked.
    InviteInvalid,
    /// The invite code has expired.
    InviteExpired,
    /// An invite expiry outside 1 hour to 1 year.
    InvalidExpiry,
    /// The invite code has been used as often as allowed.
    InviteExhausted,
    /// The refresh token is unknown, expired or its session has ended.
    InvalidRefreshToken,
    /// A refresh token that was already rotated was used again; the session has been revoked.
    RefreshTokenReused,
    /// The session has been revoked.
    SessionRevoked,
    /// Too many requests; retry after the time given in `Retry-After`.
    RateLimited,
    /// A conversation message carried readable text instead of an end-to-end encrypted envelope.
    PlaintextNotAllowed,
    /// A signed prekey's signature does not verify with the device's identity key.
    InvalidSignature,
    /// The call already has as many participants as it may (`calls.max_participants`, or the
    /// voice channel's `voice_cap`).
    CallFull,
    /// A push subscription's endpoint is not an `https://` URL of a push service (or is longer
    /// than 2048 bytes).
    InvalidPushEndpoint,
    /// A push subscription's keys are not a base64url P-256 public key (`p256dh`, 65 bytes,
    /// uncompressed, on the curve) and a 16-byte `auth` secret.
    InvalidPushKeys,
    /// Web Push is not configured on this server (no VAPID key).
    PushDisabled,
    /// The owning service did not answer in time or is not running.
    ServiceUnavailable,
    /// Something unexpected failed on the server.
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidJson | InvalidRequest | InvalidUsername | InvalidEmail | WeakPassword
            | InviteInvalid | InviteExpired | InviteExhausted | InviteRequired
            | PlaintextNotAllowed | InvalidPushEndpoint | InvalidPushKeys => 400,
            MissingToken | InvalidToken | TokenExpired | InvalidCredentials
            | InvalidRefreshToken | RefreshTokenReused | SessionRevoked => 401,
            Forbidden | AccountDisabled | RegistrationClosed => 403,
            NotFound | RouteNotFound | PushDisabled => 404,
            MethodNotAllowed => 405,
            UsernameTaken | CallFull => 409,
            InvalidExpiry | InvalidSignature => 422,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited => 429,
            Internal => 500,
            ServiceUnavailable => 503,
        }
    }

    /// The snake_case name, as sent on the wire.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidJson => "invalid_json",
            InvalidRequest => "invalid_request",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            MissingToken => "missing_token",
            InvalidToken => "invalid_token",
            TokenExpired => "token_expired",
            Forbidden => "forbidden",
            NotFound => "not_found",
            RouteNotFound => "route_not_found",
            MethodNotAllowed => "method_not_allowed",
            InvalidUsername => "invalid_username",
            UsernameTaken => "username_taken",
            InvalidEmail => "invalid_email",
            WeakPassword => "weak_password",
            InvalidCredentials => "invalid_credentials",
            AccountDisabled => "account_disabled",
            RegistrationClosed => "registration_closed",
            InviteRequired => "invite_required",
            InviteInvalid => "invite_invalid",
            InviteExpired => "invite_expired",
            InvalidExpiry => "invalid_expiry",
            InviteExhausted => "invite_exhausted",
            InvalidRefreshToken => "invalid_refresh_token",
            RefreshTokenReused => "refresh_token_reused",
            SessionRevoked => "session_revoked",
            RateLimited => "rate_limited",
            PlaintextNotAllowed => "plaintext_not_allowed",
            InvalidSignature => "invalid_signature",
            CallFull => "call_full",
            InvalidPushEndpoint => "invalid_push_endpoint",
            InvalidPushKeys => "invalid_push_keys",
            PushDisabled => "push_disabled",
            ServiceUnavailable => "service_unavailable",
            Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rate-limit state, sent as `Retry-After` and `X-RateLimit-*` headers over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in the current window.
    pub remaining: u32,
    /// Seconds until the window resets (and until a retry can succeed when `remaining` is 0).
    pub reset_secs: u64,
}

/// An error as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    pub code: ErrorCode,
    /// A sentence for humans; may change, unlike `code`.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            rate_limit: None,
        }
    }

    pub fn rate_limited(limit: RateLimit) -> Self {
        Self {
            code: ErrorCode::RateLimited,
            message: format!("too many requests; retry in {} seconds", limit.reset_secs),
            rate_limit: Some(limit),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, message)
    }

    /// An unexpected failure. Logs the cause once, here, and returns the generic client error.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        tracing::error!(error = ?cause, "internal error");
        Self::new(ErrorCode::Internal, "internal server error")
    }

    /// The database was out of reach ([`crate::db::is_unavailable`]): logged once as a warning,
    /// answered `service_unavailable` so that clients retry (a restart or failover of
    /// PostgreSQL is over in seconds).
    pub fn database_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        tracing::warn!(error = ?cause, "database unavailable");
        Self::service_unavailable("the database is unavailable; retry shortly")
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&err) {
            ApiError::database_unavailable(err)
        } else {
            ApiError::internal(err)
        }
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(err: redis::RedisError) -> Self {
        ApiError::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_names() {
        for code in [
            ErrorCode::InvalidJson,
            ErrorCode::RateLimited,
            ErrorCode::ServiceUnavailable,
        ] {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn client_errors_are_4xx_and_failures_5xx() {
        assert_eq!(ErrorCode::InvalidToken.http_status(), 401);
        assert_eq!(ErrorCode::RateLimited.http_status(), 429);
        assert_eq!(ErrorCode::InvalidSignature.http_status(), 422);
        assert_eq!(ErrorCode::InvalidSignature.as_str(), "invalid_signature");
        assert_eq!(ErrorCode::ServiceUnavailable.http_status(), 503);
    }
}
