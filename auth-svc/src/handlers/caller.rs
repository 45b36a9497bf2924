//! Who is calling, checked against the database: the gateway verified the access token's
//! signature, but only the database knows whether the session was revoked, the account
//! disabled or the role changed since the token was issued.

use crate::repository::sessions;
use chatalot_shared::{ApiError, ErrorCode, contracts::auth::InstanceRole, rpc::CallerContext};
use sqlx::PgConnection;
use uuid::Uuid;

/// A caller whose session is active and whose account is enabled.
#[derive(Debug, Clone, Copy)]
pub struct ActiveCaller {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// The role now, not when the token was issued.
    pub role: InstanceRole,
}

impl ActiveCaller {
    /// Owners and admins.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("only administrators may do this"))
        }
    }

    pub fn require_owner(&self) -> Result<(), ApiError> {
        if self.role == InstanceRole::Owner {
            Ok(())
        } else {
            Err(ApiError::forbidden("only the owner may do this"))
        }
    }
}

/// `missing_token` without a caller; `account_disabled` for a disabled account;
/// `session_revoked` for a session that was revoked, expired or is not the caller's.
pub async fn authenticate(
    conn: &mut PgConnection,
    ctx: &CallerContext,
) -> Result<ActiveCaller, ApiError> {
    let caller = ctx.require_caller()?;
    let standing = sessions::standing(conn, caller.session_id)
        .await?
        .filter(|standing| standing.user_id == caller.user_id);
    match standing {
        Some(standing) if standing.user_disabled => Err(account_disabled()),
        Some(standing) if standing.active => Ok(ActiveCaller {
            user_id: caller.user_id,
            session_id: caller.session_id,
            role: standing.role,
        }),
        _ => Err(ApiError::new(
            ErrorCode::SessionRevoked,
            "this session has ended; log in again",
        )),
    }
}

pub fn account_disabled() -> ApiError {
    ApiError::new(
        ErrorCode::AccountDisabled,
        "this account has been disabled by an administrator",
    )
}
