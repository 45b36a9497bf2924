//! Bans: who may not join a community again until unbanned.

use super::OrInternal;
use chatalot_shared::{ApiError, contracts::community::Ban};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "community_id, user_id, reason, banned_by, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct BanRow {
    community_id: Uuid,
    user_id: Uuid,
    reason: Option<String>,
    banned_by: Uuid,
    created_at: DateTime<Utc>,
}

impl From<BanRow> for Ban {
    fn from(row: BanRow) -> Self {
        Ban {
            community_id: row.community_id,
            user_id: row.user_id,
            reason: row.reason,
            banned_by: row.banned_by,
            created_at: row.created_at,
        }
    }
}

pub async fn is_banned(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    sqlx::query_scalar(
        "select exists (select 1 from bans where community_id = $1 and user_id = $2)",
    )
    .bind(community_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
    .or_internal("checking a ban")
}

/// Bans the user, or replaces the reason of an existing ban.
pub async fn upsert(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
    reason: Option<&str>,
    banned_by: Uuid,
) -> Result<Ban, ApiError> {
    sqlx::query_as::<_, BanRow>(concat!(
        "insert into bans (community_id, user_id, reason, banned_by) values ($1, $2, $3, $4) \
         on conflict (community_id, user_id) \
         do update set reason = excluded.reason, banned_by = excluded.banned_by \
         returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(user_id)
    .bind(reason)
    .bind(banned_by)
    .fetch_one(conn)
    .await
    .or_internal("banning a user")
    .map(Ban::from)
}

/// Lifts a ban; false if there was none.
pub async fn delete(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let deleted = sqlx::query("delete from bans where community_id = $1 and user_id = $2")
        .bind(community_id)
        .bind(user_id)
        .execute(conn)
        .await
        .or_internal("lifting a ban")?;
    Ok(deleted.rows_affected() > 0)
}

/// The community's bans, newest first.
pub async fn list(conn: &mut PgConnection, community_id: Uuid) -> Result<Vec<Ban>, ApiError> {
    let rows = sqlx::query_as::<_, BanRow>(concat!(
        "select ",
        columns!(),
        " from bans where community_id = $1 order by created_at desc, user_id"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
    .or_internal("listing bans")?;
    Ok(rows.into_iter().map(Ban::from).collect())
}
