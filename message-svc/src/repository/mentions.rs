//! Who messages mention, one row per user, role or "everyone", so mention counts are a query.

use crate::domain::ParsedMentions;
use chatalot_shared::{ApiError, contracts::messages::Mentions, db::OrInternal};
use sqlx::PgConnection;
use uuid::Uuid;

use super::messages::StoredMessage;

/// Records the (already authorised) mentions of a message.
pub async fn record(
    conn: &mut PgConnection,
    message: &StoredMessage,
    mentions: &ParsedMentions,
) -> Result<(), ApiError> {
    let mut users: Vec<Option<Uuid>> = mentions.users.iter().copied().map(Some).collect();
    let mut roles: Vec<Option<Uuid>> = vec![None; users.len()];
    let mut everyone = vec![false; users.len()];
    for role in &mentions.roles {
        users.push(None);
        roles.push(Some(*role));
        everyone.push(false);
    }
    if mentions.everyone {
        users.push(None);
        roles.push(None);
        everyone.push(true);
    }
    if users.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into channel_mentions \
            (message_id, channel_id, community_id, author_id, user_id, role_id, everyone) \
         select $1, $2, $3, $4, u, r, e \
           from unnest($5::uuid[], $6::uuid[], $7::boolean[]) as t(u, r, e)",
    )
    .bind(message.message_id)
    .bind(message.channel_id)
    .bind(message.community_id)
    .bind(message.author_id)
    .bind(&users)
    .bind(&roles)
    .bind(&everyone)
    .execute(conn)
    .await
    .or_internal("recording mentions")?;
    Ok(())
}

pub async fn forget(conn: &mut PgConnection, message_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from channel_mentions where message_id = $1")
        .bind(message_id)
        .execute(conn)
        .await
        .or_internal("forgetting mentions")?;
    Ok(())
}

/// The mentions of some messages, by message id.
pub async fn of_messages(
    conn: &mut PgConnection,
    message_ids: &[Uuid],
) -> Result<Vec<(Uuid, Mentions)>, ApiError> {
    let rows = sqlx::query_as::<_, (Uuid, Option<Uuid>, Option<Uuid>, bool)>(
        "select message_id, user_id, role_id, everyone from channel_mentions \
          where message_id = any($1) order by message_id",
    )
    .bind(message_ids)
    .fetch_all(conn)
    .await
    .or_internal("loading mentions")?;
    let mut found: Vec<(Uuid, Mentions)> = Vec::new();
    for (message_id, user_id, role_id, everyone) in rows {
        if found.last().is_none_or(|(id, _)| *id != message_id) {
            found.push((message_id, Mentions::default()));
        }
        if let Some((_, mentions)) = found.last_mut() {
            if let Some(user_id) = user_id {
                mentions.users.push(user_id);
            }
            if let Some(role_id) = role_id {
                mentions.roles.push(role_id);
            }
            mentions.everyone |= everyone;
        }
    }
    Ok(found)
}
