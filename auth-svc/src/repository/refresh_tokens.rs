//! Refresh tokens, stored as SHA-256 hashes. Each session's tokens form a chain (a family):
//! every refresh marks the presented token rotated and points it at its replacement.

use super::OrInternal;
use crate::tokens::RefreshTokenHash;
use chatalot_shared::ApiError;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored refresh token, as the refresh logic needs it.
#[derive(Debug, Clone)]
pub struct StoredRefreshToken {
    pub rotated_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<RefreshTokenHash>,
    /// Already used once for a lost-response retry.
    pub retried: bool,
    /// Rotated less than the retry grace period ago.
    pub within_grace: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    rotated_at: Option<DateTime<Utc>>,
    replaced_by: Option<Vec<u8>>,
    retried: bool,
    within_grace: bool,
}

pub async fn insert(
    conn: &mut PgConnection,
    hash: RefreshTokenHash,
    session_id: Uuid,
) -> Result<(), ApiError> {
    sqlx::query("insert into refresh_tokens (token_hash, session_id) values ($1, $2)")
        .bind(hash.as_bytes())
        .bind(session_id)
        .execute(conn)
        .await
        .or_internal("inserting a refresh token")?;
    Ok(())
}

/// The session a token belongs to, without locking (the caller locks the session first).
pub async fn session_of(
    conn: &mut PgConnection,
    hash: RefreshTokenHash,
) -> Result<Option<Uuid>, ApiError> {
    sqlx::query_scalar("select session_id from refresh_tokens where token_hash = $1")
        .bind(hash.as_bytes())
        .fetch_optional(conn)
        .await
        .or_internal("looking up a refresh token")
}

/// Loads and locks a token; `within_grace` is computed against the database clock.
pub async fn find_for_update(
    conn: &mut PgConnection,
    hash: RefreshTokenHash,
    grace_secs: f64,
) -> Result<Option<StoredRefreshToken>, ApiError> {
    let row = sqlx::query_as::<_, Row>(
        "select rotated_at, replaced_by, retried, \
         coalesce(rotated_at > now() - make_interval(secs => $2), false) as within_grace \
         from refresh_tokens where token_hash = $1 for update",
    )
    .bind(hash.as_bytes())
    .bind(grace_secs)
    .fetch_optional(conn)
    .await
    .or_internal("locking a refresh token")?;
    Ok(row.map(|row| StoredRefreshToken {
        rotated_at: row.rotated_at,
        // A stored value that is not 32 bytes cannot match any token: treat it as no replacement.
        replaced_by: row
            .replaced_by
            .as_deref()
            .and_then(RefreshTokenHash::from_slice),
        retried: row.retried,
        within_grace: row.within_grace,
    }))
}

/// Marks `hash` used and replaced by `replacement` (a normal rotation).
pub async fn mark_rotated(
    conn: &mut PgConnection,
    hash: RefreshTokenHash,
    replacement: RefreshTokenHash,
) -> Result<(), ApiError> {
    sqlx::query(
        "update refresh_tokens set rotated_at = now(), replaced_by = $2 where token_hash = $1",
    )
    .bind(hash.as_bytes())
    .bind(replacement.as_bytes())
    .execute(conn)
    .await
    .or_internal("rotating a refresh token")?;
    Ok(())
}

/// Records the one allowed retry of an already rotated token: it now points at `replacement`
/// and any further use of it is reuse.
pub async fn mark_retried(
    conn: &mut PgConnection,
    hash: RefreshTokenHash,
    replacement: RefreshTokenHash,
) -> Result<(), ApiError> {
    sqlx::query("update refresh_tokens set retried = true, replaced_by = $2 where token_hash = $1")
        .bind(hash.as_bytes())
        .bind(replacement.as_bytes())
        .execute(conn)
        .await
        .or_internal("recording a refresh retry")?;
    Ok(())
}

/// Deletes a token that was issued but never used (the replacement whose response was lost);
/// false when it is missing or was used meanwhile.
pub async fn delete_unused(
    conn: &mut PgConnection,
    hash: RefreshTokenHash,
) -> Result<bool, ApiError> {
    let deleted =
        sqlx::query("delete from refresh_tokens where token_hash = $1 and rotated_at is null")
            .bind(hash.as_bytes())
            .execute(conn)
            .await
            .or_internal("discarding an unused refresh token")?;
    Ok(deleted.rows_affected() == 1)
}
