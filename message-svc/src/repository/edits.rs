//! Previous bodies of edited messages.

use chatalot_shared::{ApiError, contracts::messages::MessageEdit, db::OrInternal};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Keeps `previous_body`, replaced at `edited_at`.
pub async fn record(
    conn: &mut PgConnection,
    message_id: Uuid,
    previous_body: &str,
    edited_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into channel_message_edits (edit_id, message_id, body, edited_at) \
         values ($1, $2, $3, $4)",
    )
    .bind(Uuid::now_v7())
    .bind(message_id)
    .bind(previous_body)
    .bind(edited_at)
    .execute(conn)
    .await
    .or_internal("keeping a previous body")?;
    Ok(())
}

/// Oldest first.
pub async fn list(conn: &mut PgConnection, message_id: Uuid) -> Result<Vec<MessageEdit>, ApiError> {
    let rows = sqlx::query_as::<_, (String, DateTime<Utc>)>(
        "select body, edited_at from channel_message_edits where message_id = $1 order by edit_id",
    )
    .bind(message_id)
    .fetch_all(conn)
    .await
    .or_internal("listing previous bodies")?;
    Ok(rows
        .into_iter()
        .map(|(body, edited_at)| MessageEdit { body, edited_at })
        .collect())
}

/// Forgets every previous body (a deleted message keeps none of its text).
pub async fn forget(conn: &mut PgConnection, message_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from channel_message_edits where message_id = $1")
        .bind(message_id)
        .execute(conn)
        .await
        .or_internal("forgetting previous bodies")?;
    Ok(())
}
