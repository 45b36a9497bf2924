//! Notification levels: each user's explicit choice per text channel and per conversation.

use chatalot_shared::{
    ApiError,
    contracts::notifications::{NotificationLevel, NotificationTarget, NotificationTargetKind},
    db::OrInternal,
};
use sqlx::PgConnection;
use uuid::Uuid;

/// Sets (or replaces) the user's level in a place.
pub async fn set(
    conn: &mut PgConnection,
    user_id: Uuid,
    target: NotificationTarget,
    level: NotificationLevel,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into notification_levels (user_id, target_kind, target_id, level) \
         values ($1, $2, $3, $4) \
         on conflict (user_id, target_kind, target_id) do update \
            set level = excluded.level, updated_at = now()",
    )
    .bind(user_id)
    .bind(target.kind.as_str())
    .bind(target.id)
    .bind(level.as_str())
    .execute(conn)
    .await
    .or_internal("setting a notification level")?;
    Ok(())
}

/// Forgets the user's level in a place; true when there was one.
pub async fn reset(
    conn: &mut PgConnection,
    user_id: Uuid,
    target: NotificationTarget,
) -> Result<bool, ApiError> {
    let deleted = sqlx::query(
        "delete from notification_levels \
          where user_id = $1 and target_kind = $2 and target_id = $3",
    )
    .bind(user_id)
    .bind(target.kind.as_str())
    .bind(target.id)
    .execute(conn)
    .await
    .or_internal("resetting a notification level")?;
    Ok(deleted.rows_affected() > 0)
}

/// The user's explicit choices. Conversations they are no longer a member of are left out
/// (rows are not deleted when someone leaves); channels are listed as stored, since which
/// channels the user sees is community-svc's answer.
pub async fn of_user(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<(NotificationTarget, NotificationLevel)>, ApiError> {
    let rows = sqlx::query_as::<_, (String, Uuid, String)>(
        "select l.target_kind, l.target_id, l.level from notification_levels l \
          where l.user_id = $1 \
            and (l.target_kind = 'channel' \
                 or exists (select 1 from conversation_members m \
                             where m.conversation_id = l.target_id and m.user_id = $1)) \
          order by l.target_kind, l.target_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing notification levels")?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, id, level)| {
            let kind = match kind.as_str() {
                "channel" => NotificationTargetKind::Channel,
                "conversation" => NotificationTargetKind::Conversation,
                _ => return None,
            };
            Some((
                NotificationTarget { kind, id },
                NotificationLevel::parse(&level)?,
            ))
        })
        .collect())
}

/// Those of `user_ids` who hear of a conversation's messages only by mention or not at all:
/// the server cannot see mentions in end-to-end encrypted messages, so both mean no push.
pub async fn quiet_in_conversation(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar::<_, Uuid>(
        "select user_id from notification_levels \
          where user_id = any($1) and target_kind = 'conversation' and target_id = $2 \
            and level in ('mentions', 'none')",
    )
    .bind(user_ids)
    .bind(conversation_id)
    .fetch_all(conn)
    .await
}
