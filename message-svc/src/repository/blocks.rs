//! User blocks: who refuses conversations and messages from whom.

use chatalot_shared::{ApiError, contracts::conversations::Block, db::OrInternal};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Blocks `blocked_id` for `blocker_id` (again: no change).
pub async fn insert(
    conn: &mut PgConnection,
    blocker_id: Uuid,
    blocked_id: Uuid,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into blocks (blocker_id, blocked_id) values ($1, $2) on conflict do nothing",
    )
    .bind(blocker_id)
    .bind(blocked_id)
    .execute(conn)
    .await
    .or_internal("blocking a user")?;
    Ok(())
}

/// Lifts a block (none: no change).
pub async fn delete(
    conn: &mut PgConnection,
    blocker_id: Uuid,
    blocked_id: Uuid,
) -> Result<(), ApiError> {
    sqlx::query("delete from blocks where blocker_id = $1 and blocked_id = $2")
        .bind(blocker_id)
        .bind(blocked_id)
        .execute(conn)
        .await
        .or_internal("unblocking a user")?;
    Ok(())
}

/// The users `blocker_id` has blocked, most recent first.
pub async fn list(conn: &mut PgConnection, blocker_id: Uuid) -> Result<Vec<Block>, ApiError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        blocked_id: Uuid,
        created_at: DateTime<Utc>,
    }
    let rows = sqlx::query_as::<_, Row>(
        "select blocked_id, created_at from blocks where blocker_id = $1 \
         order by created_at desc, blocked_id",
    )
    .bind(blocker_id)
    .fetch_all(conn)
    .await
    .or_internal("listing blocks")?;
    Ok(rows
        .into_iter()
        .map(|row| Block {
            user_id: row.blocked_id,
            created_at: row.created_at,
        })
        .collect())
}

/// Those of `others` with a block between them and `user_id`, in either direction.
pub async fn any_between(
    conn: &mut PgConnection,
    user_id: Uuid,
    others: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar(
        "select blocked_id from blocks where blocker_id = $1 and blocked_id = any($2) \
         union \
         select blocker_id from blocks where blocked_id = $1 and blocker_id = any($2)",
    )
    .bind(user_id)
    .bind(others)
    .fetch_all(conn)
    .await
    .or_internal("checking blocks")
}

/// Those of `among` who have blocked `user_id` (and so get nothing from them).
pub async fn blockers_of(
    conn: &mut PgConnection,
    user_id: Uuid,
    among: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar(
        "select blocker_id from blocks where blocked_id = $1 and blocker_id = any($2)",
    )
    .bind(user_id)
    .bind(among)
    .fetch_all(conn)
    .await
    .or_internal("finding who blocked a user")
}
