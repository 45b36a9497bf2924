//! Pinned messages, at most [`MAX_PINS`] per channel.

use chatalot_shared::{ApiError, db::OrInternal};
use sqlx::PgConnection;
use uuid::Uuid;

pub const MAX_PINS: i64 = 50;

/// Serialises pin changes of one channel until the transaction ends, so two concurrent pins
/// cannot both see 49 and make 51.
pub async fn lock_channel(conn: &mut PgConnection, channel_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 7))")
        .bind(channel_id)
        .execute(conn)
        .await
        .or_internal("locking a channel's pins")?;
    Ok(())
}

pub async fn count(conn: &mut PgConnection, channel_id: Uuid) -> Result<i64, ApiError> {
    sqlx::query_scalar::<_, i64>("select count(*) from channel_pins where channel_id = $1")
        .bind(channel_id)
        .fetch_one(conn)
        .await
        .or_internal("counting pins")
}

/// Pins a message; false when it already was.
pub async fn pin(
    conn: &mut PgConnection,
    channel_id: Uuid,
    message_id: Uuid,
    pinned_by: Uuid,
) -> Result<bool, ApiError> {
    let pinned = sqlx::query(
        "insert into channel_pins (message_id, channel_id, pinned_by) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(message_id)
    .bind(channel_id)
    .bind(pinned_by)
    .execute(conn)
    .await
    .or_internal("pinning a message")?;
    Ok(pinned.rows_affected() > 0)
}

/// Unpins a message; false when it was not pinned.
pub async fn unpin(conn: &mut PgConnection, message_id: Uuid) -> Result<bool, ApiError> {
    let unpinned = sqlx::query("delete from channel_pins where message_id = $1")
        .bind(message_id)
        .execute(conn)
        .await
        .or_internal("unpinning a message")?;
    Ok(unpinned.rows_affected() > 0)
}

pub async fn is_pinned(conn: &mut PgConnection, message_id: Uuid) -> Result<bool, ApiError> {
    Ok(pinned_among(conn, &[message_id])
        .await?
        .contains(&message_id))
}

/// The channel's pinned message ids, most recently pinned first.
pub async fn list(conn: &mut PgConnection, channel_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar::<_, Uuid>(
        "select message_id from channel_pins where channel_id = $1 \
          order by pinned_at desc, message_id desc",
    )
    .bind(channel_id)
    .fetch_all(conn)
    .await
    .or_internal("listing pins")
}

/// Which of these messages are pinned.
pub async fn pinned_among(
    conn: &mut PgConnection,
    message_ids: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar::<_, Uuid>("select message_id from channel_pins where message_id = any($1)")
        .bind(message_ids)
        .fetch_all(conn)
        .await
        .or_internal("finding pins")
}
