//! Sessions: one per login (or registration) on a device. A session is active until it is
//! revoked or goes unused for the idle lifetime; its refresh tokens live in `refresh_tokens`.

use super::{OrInternal, enums};
use chatalot_shared::{ApiError, contracts::auth::InstanceRole};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "session_id, device_name, ip, user_agent, created_at, last_used_at, expires_at"
    };
}

/// A session as its owner sees it in the session list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub session_id: Uuid,
    pub device_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Where and by whom a new session was opened.
pub struct NewSession<'a> {
    pub user_id: Uuid,
    pub device_name: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub idle_ttl_days: i32,
}

pub async fn insert(conn: &mut PgConnection, new: NewSession<'_>) -> Result<Session, ApiError> {
    sqlx::query_as::<_, Session>(concat!(
        "insert into sessions (session_id, user_id, device_name, ip, user_agent, expires_at) \
         values ($1, $2, $3, $4, $5, now() + make_interval(days => $6)) returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(new.user_id)
    .bind(new.device_name)
    .bind(new.ip)
    .bind(new.user_agent)
    .bind(new.idle_ttl_days)
    .fetch_one(conn)
    .await
    .or_internal("inserting a session")
}

/// Whether a caller's session may still act, read from the database rather than the token.
#[derive(Debug, Clone, Copy)]
pub struct SessionStanding {
    pub user_id: Uuid,
    /// Neither revoked nor past its idle lifetime.
    pub active: bool,
    pub user_disabled: bool,
    pub role: InstanceRole,
}

#[derive(sqlx::FromRow)]
struct StandingRow {
    user_id: Uuid,
    active: bool,
    user_disabled: bool,
    role: String,
}

const STANDING_SELECT: &str = "select s.user_id, \
     (s.revoked_at is null and s.expires_at > now()) as active, \
     (u.disabled_at is not null) as user_disabled, u.role \
     from sessions s join users u on u.user_id = s.user_id \
     where s.session_id = $1";

/// The standing of `session_id`, or `None` if there is no such session.
pub async fn standing(
    conn: &mut PgConnection,
    session_id: Uuid,
) -> Result<Option<SessionStanding>, ApiError> {
    let row = sqlx::query_as::<_, StandingRow>(STANDING_SELECT)
        .bind(session_id)
        .fetch_optional(conn)
        .await
        .or_internal("checking a session")?;
    row.map(into_standing).transpose()
}

/// Like [`standing`], and locks the session row: every refresh of one session (and its
/// revocation on reuse) runs one at a time, always taking this lock before any token row.
pub async fn lock_standing(
    conn: &mut PgConnection,
    session_id: Uuid,
) -> Result<Option<SessionStanding>, ApiError> {
    let row = sqlx::query_as::<_, StandingRow>(&format!("{STANDING_SELECT} for update of s"))
        .bind(session_id)
        .fetch_optional(conn)
        .await
        .or_internal("locking a session")?;
    row.map(into_standing).transpose()
}

fn into_standing(row: StandingRow) -> Result<SessionStanding, ApiError> {
    Ok(SessionStanding {
        user_id: row.user_id,
        active: row.active,
        user_disabled: row.user_disabled,
        role: enums::parse_role(&row.role)?,
    })
}

/// Records a use of the session and pushes its idle expiry forward; returns the new expiry.
pub async fn touch(
    conn: &mut PgConnection,
    session_id: Uuid,
    idle_ttl_days: i32,
) -> Result<DateTime<Utc>, ApiError> {
    sqlx::query_scalar(
        "update sessions set last_used_at = now(), expires_at = now() + make_interval(days => $2) \
         where session_id = $1 returning expires_at",
    )
    .bind(session_id)
    .bind(idle_ttl_days)
    .fetch_one(conn)
    .await
    .or_internal("recording a session use")
}

/// The sessions of `user_id` that are still active, oldest first.
pub async fn list_active(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Session>, ApiError> {
    sqlx::query_as::<_, Session>(concat!(
        "select ",
        columns!(),
        " from sessions where user_id = $1 and revoked_at is null and expires_at > now() \
         order by created_at, session_id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing sessions")
}

/// Revokes one active session of `user_id`; false when `user_id` has no such active session.
pub async fn revoke(
    conn: &mut PgConnection,
    user_id: Uuid,
    session_id: Uuid,
    reason: &str,
) -> Result<bool, ApiError> {
    let revoked: Option<Uuid> = sqlx::query_scalar(
        "update sessions set revoked_at = now(), revoked_reason = $3 \
         where session_id = $1 and user_id = $2 and revoked_at is null and expires_at > now() \
         returning session_id",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(reason)
    .fetch_optional(conn)
    .await
    .or_internal("revoking a session")?;
    Ok(revoked.is_some())
}

/// Revokes every unrevoked session of `user_id` except `keep`; returns the revoked ids.
pub async fn revoke_all(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar(
        "update sessions set revoked_at = now(), revoked_reason = $3 \
         where user_id = $1 and revoked_at is null and ($2::uuid is null or session_id <> $2) \
         returning session_id",
    )
    .bind(user_id)
    .bind(keep)
    .bind(reason)
    .fetch_all(conn)
    .await
    .or_internal("revoking sessions")
}
