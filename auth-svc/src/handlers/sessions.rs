//! Sessions: starting one (after register or login), refreshing it, listing and ending them.

use super::caller::authenticate;
use crate::{
    domain::DeviceName,
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        refresh_tokens::{self, StoredRefreshToken},
        sessions::{self, NewSession},
        users::{self, User},
    },
    state::AppState,
    tokens::{RefreshToken, RefreshTokenHash},
};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::{
        Empty,
        auth::{
            AuditAction, ListSessionsRequest, LogoutAllRequest, LogoutRequest, RefreshRequest,
            RevokeSessionRequest, SessionInfo, SessionList, SessionTokens,
        },
    },
    rpc::CallerContext,
};
use serde_json::json;
use sqlx::PgConnection;

/// Opens a session for `user` on the caller's device, inside the caller's transaction.
pub(super) async fn start_session(
    conn: &mut PgConnection,
    state: &AppState,
    ctx: &CallerContext,
    user: &User,
    device_name: Option<&DeviceName>,
) -> Result<SessionTokens, ApiError> {
    let session = sessions::insert(
        conn,
        NewSession {
            user_id: user.user_id,
            device_name: device_name.map(DeviceName::as_str),
            ip: ctx.client_ip.as_deref(),
            user_agent: ctx.user_agent.as_deref(),
            idle_ttl_days: state.sessions.idle_ttl_days,
        },
    )
    .await?;
    let refresh = RefreshToken::generate();
    refresh_tokens::insert(conn, refresh.hash(), session.session_id).await?;
    let access = state.tokens.issue(user.user_id, session.session_id)?;
    Ok(SessionTokens {
        user: user.profile(),
        session_id: session.session_id,
        access_token: access.token,
        access_token_expires_at: access.expires_at,
        refresh_token: refresh.as_str().to_string(),
        refresh_token_expires_at: session.expires_at,
    })
}

/// Exchanges a refresh token for a new pair (rotation). Presenting a rotated token again is
/// reuse, a sign that it leaked, and ends the session, except for one retry shortly after the
/// rotation when the new token was never used: the client most likely lost the response.
pub async fn refresh(
    state: AppState,
    ctx: CallerContext,
    req: RefreshRequest,
) -> Result<SessionTokens, ApiError> {
    let presented = RefreshTokenHash::of(&req.refresh_token);
    let mut tx = state.begin().await?;
    let Some(session_id) = refresh_tokens::session_of(&mut tx, presented).await? else {
        return Err(invalid_refresh_token());
    };
    // Session lock first, token rows after: refreshes of one session run one at a time, and the
    // retry path (which also touches the replacement token) cannot deadlock with another refresh.
    let session = sessions::lock_standing(&mut tx, session_id)
        .await?
        .filter(|session| session.active && !session.user_disabled)
        .ok_or_else(invalid_refresh_token)?;
    let token =
        refresh_tokens::find_for_update(&mut tx, presented, state.sessions.retry_grace_secs)
            .await?
            .ok_or_else(invalid_refresh_token)?;

    let fresh = RefreshToken::generate();
    if token.rotated_at.is_none() {
        refresh_tokens::insert(&mut tx, fresh.hash(), session_id).await?;
        refresh_tokens::mark_rotated(&mut tx, presented, fresh.hash()).await?;
    } else if discard_lost_replacement(&mut tx, &token).await? {
        refresh_tokens::insert(&mut tx, fresh.hash(), session_id).await?;
        refresh_tokens::mark_retried(&mut tx, presented, fresh.hash()).await?;
    } else {
        sessions::revoke(&mut tx, session.user_id, session_id, "refresh_token_reused").await?;
        let entry = NewEntry::new(AuditAction::RefreshTokenReused, &ctx)
            .target(session.user_id)
            .details(json!({ "session_id": session_id }));
        audit::record(&mut tx, entry).await?;
        tx.commit()
            .await
            .or_internal("committing a session revocation")?;
        tracing::warn!(user_id = %session.user_id, %session_id, "refresh token reused; session revoked");
        notify::sessions_revoked(&state, session.user_id, vec![session_id]).await;
        return Err(ApiError::new(
            ErrorCode::RefreshTokenReused,
            "this refresh token was already used; the session has been ended, log in again",
        ));
    }

    let refresh_expires_at =
        sessions::touch(&mut tx, session_id, state.sessions.idle_ttl_days).await?;
    let user = users::find(&mut tx, session.user_id)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    let access = state.tokens.issue(user.user_id, session_id)?;
    tx.commit()
        .await
        .or_internal("committing a token refresh")?;
    Ok(SessionTokens {
        user: user.profile(),
        session_id,
        access_token: access.token,
        access_token_expires_at: access.expires_at,
        refresh_token: fresh.as_str().to_string(),
        refresh_token_expires_at: refresh_expires_at,
    })
}

/// For an already rotated token: if this is the first retry within the grace period and its
/// replacement was never used, deletes that replacement (only one of the two may live on) and
/// returns true. Anything else is reuse.
async fn discard_lost_replacement(
    conn: &mut PgConnection,
    token: &StoredRefreshToken,
) -> Result<bool, ApiError> {
    if !token.within_grace || token.retried {
        return Ok(false);
    }
    match token.replaced_by {
        Some(replacement) => refresh_tokens::delete_unused(conn, replacement).await,
        None => Ok(false),
    }
}

fn invalid_refresh_token() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRefreshToken,
        "the refresh token is not valid or its session has ended; log in again",
    )
}

/// Ends the caller's session.
pub async fn logout(
    state: AppState,
    ctx: CallerContext,
    _req: LogoutRequest,
) -> Result<Empty, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    sessions::revoke(&mut tx, caller.user_id, caller.session_id, "logout").await?;
    let entry = NewEntry::new(AuditAction::Logout, &ctx)
        .actor(caller.user_id)
        .target(caller.user_id)
        .details(json!({ "session_id": caller.session_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a logout")?;
    notify::sessions_revoked(&state, caller.user_id, vec![caller.session_id]).await;
    Ok(Empty {})
}

/// Ends every session of the caller, this one included.
pub async fn logout_all(
    state: AppState,
    ctx: CallerContext,
    _req: LogoutAllRequest,
) -> Result<Empty, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    let revoked = sessions::revoke_all(&mut tx, caller.user_id, None, "logout_all").await?;
    let entry = NewEntry::new(AuditAction::LogoutAll, &ctx)
        .actor(caller.user_id)
        .target(caller.user_id)
        .details(json!({ "sessions_revoked": revoked.len() }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a logout of all sessions")?;
    notify::sessions_revoked(&state, caller.user_id, revoked).await;
    Ok(Empty {})
}

/// The caller's active sessions, oldest first.
pub async fn list_sessions(
    state: AppState,
    ctx: CallerContext,
    _req: ListSessionsRequest,
) -> Result<SessionList, ApiError> {
    let mut conn = state.connection().await?;
    let caller = authenticate(&mut conn, &ctx).await?;
    let sessions = sessions::list_active(&mut conn, caller.user_id)
        .await?
        .into_iter()
        .map(|session| SessionInfo {
            current: session.session_id == caller.session_id,
            session_id: session.session_id,
            device_name: session.device_name,
            ip: session.ip,
            user_agent: session.user_agent,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
        })
        .collect();
    Ok(SessionList { sessions })
}

/// Ends one of the caller's own sessions; any other id is `not_found`, so session ids of other
/// users can be neither revoked nor probed.
pub async fn revoke_session(
    state: AppState,
    ctx: CallerContext,
    req: RevokeSessionRequest,
) -> Result<Empty, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    if !sessions::revoke(&mut tx, caller.user_id, req.session_id, "revoked").await? {
        return Err(ApiError::not_found("session"));
    }
    let entry = NewEntry::new(AuditAction::SessionRevoked, &ctx)
        .actor(caller.user_id)
        .target(caller.user_id)
        .details(json!({ "session_id": req.session_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a session revocation")?;
    notify::sessions_revoked(&state, caller.user_id, vec![req.session_id]).await;
    Ok(Empty {})
}
