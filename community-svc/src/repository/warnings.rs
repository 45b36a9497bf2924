//! Warnings given to members. They stay when the member leaves, so a returning member's history
//! is still there.

use super::OrInternal;
use chatalot_shared::{ApiError, contracts::community::Warning};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct WarningRow {
    warning_id: Uuid,
    community_id: Uuid,
    user_id: Uuid,
    reason: String,
    issued_by: Uuid,
    created_at: DateTime<Utc>,
}

impl From<WarningRow> for Warning {
    fn from(row: WarningRow) -> Self {
        Warning {
            warning_id: row.warning_id,
            community_id: row.community_id,
            user_id: row.user_id,
            reason: row.reason,
            issued_by: row.issued_by,
            created_at: row.created_at,
        }
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
    reason: &str,
    issued_by: Uuid,
) -> Result<Warning, ApiError> {
    sqlx::query_as::<_, WarningRow>(
        "insert into warnings (warning_id, community_id, user_id, reason, issued_by) \
         values ($1, $2, $3, $4, $5) \
         returning warning_id, community_id, user_id, reason, issued_by, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(community_id)
    .bind(user_id)
    .bind(reason)
    .bind(issued_by)
    .fetch_one(conn)
    .await
    .or_internal("warning a member")
    .map(Warning::from)
}

/// A user's warnings in the community, newest first.
pub async fn list(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<Warning>, ApiError> {
    let rows = sqlx::query_as::<_, WarningRow>(
        "select warning_id, community_id, user_id, reason, issued_by, created_at \
         from warnings where community_id = $1 and user_id = $2 order by warning_id desc",
    )
    .bind(community_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing warnings")?;
    Ok(rows.into_iter().map(Warning::from).collect())
}
