//! Reactions: one row per message, emoji and user.

use chatalot_shared::{ApiError, contracts::messages::ReactionCount, db::OrInternal};
use sqlx::PgConnection;
use uuid::Uuid;

/// Adds a reaction; false when the user had already reacted so.
pub async fn add(
    conn: &mut PgConnection,
    message_id: Uuid,
    emoji: &str,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let added = sqlx::query(
        "insert into channel_reactions (message_id, emoji, user_id) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(message_id)
    .bind(emoji)
    .bind(user_id)
    .execute(conn)
    .await
    .or_internal("adding a reaction")?;
    Ok(added.rows_affected() > 0)
}

/// Removes a reaction; false when there was none.
pub async fn remove(
    conn: &mut PgConnection,
    message_id: Uuid,
    emoji: &str,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let removed = sqlx::query(
        "delete from channel_reactions where message_id = $1 and emoji = $2 and user_id = $3",
    )
    .bind(message_id)
    .bind(emoji)
    .bind(user_id)
    .execute(conn)
    .await
    .or_internal("removing a reaction")?;
    Ok(removed.rows_affected() > 0)
}

/// The distinct emoji on a message.
pub async fn emoji_of(conn: &mut PgConnection, message_id: Uuid) -> Result<Vec<String>, ApiError> {
    sqlx::query_scalar::<_, String>(
        "select distinct emoji from channel_reactions where message_id = $1",
    )
    .bind(message_id)
    .fetch_all(conn)
    .await
    .or_internal("listing a message's emoji")
}

pub async fn forget(conn: &mut PgConnection, message_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from channel_reactions where message_id = $1")
        .bind(message_id)
        .execute(conn)
        .await
        .or_internal("removing a message's reactions")?;
    Ok(())
}

/// Reaction counts of some messages, each message's emoji by first reaction; `me` says whether
/// `viewer` is among them.
pub async fn counts(
    conn: &mut PgConnection,
    message_ids: &[Uuid],
    viewer: Option<Uuid>,
) -> Result<Vec<(Uuid, ReactionCount)>, ApiError> {
    let rows = sqlx::query_as::<_, (Uuid, String, i64, Option<bool>)>(
        "select message_id, emoji, count(*), bool_or(user_id = $2) from channel_reactions \
          where message_id = any($1) group by message_id, emoji \
          order by message_id, min(created_at), emoji",
    )
    .bind(message_ids)
    .bind(viewer)
    .fetch_all(conn)
    .await
    .or_internal("counting reactions")?;
    Ok(rows
        .into_iter()
        .map(|(message_id, emoji, count, me)| {
            let count = ReactionCount {
                emoji,
                count: u32::try_from(count).unwrap_or(u32::MAX),
                me: me.unwrap_or(false),
            };
            (message_id, count)
        })
        .collect())
}

/// Who reacted with `emoji`, by user id after `after`.
pub async fn users(
    conn: &mut PgConnection,
    message_id: Uuid,
    emoji: &str,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar::<_, Uuid>(
        "select user_id from channel_reactions \
          where message_id = $1 and emoji = $2 and ($3::uuid is null or user_id > $3) \
          order by user_id limit $4",
    )
    .bind(message_id)
    .bind(emoji)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
    .or_internal("listing who reacted")
}
