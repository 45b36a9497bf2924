//! Read markers and the unread and mention counts behind them.

use chatalot_shared::{ApiError, contracts::messages::ChannelReadState, db::OrInternal};
use sqlx::PgConnection;
use uuid::Uuid;

/// Counts stop here: "999+" is all a client shows.
pub const COUNT_CAP: i64 = 1000;

/// Moves the user's markers forward (never back): `(channel_id, message_id)` pairs.
pub async fn advance(
    conn: &mut PgConnection,
    user_id: Uuid,
    markers: &[(Uuid, Uuid)],
) -> Result<(), ApiError> {
    if markers.is_empty() {
        return Ok(());
    }
    let channel_ids: Vec<Uuid> = markers.iter().map(|(c, _)| *c).collect();
    let message_ids: Vec<Uuid> = markers.iter().map(|(_, m)| *m).collect();
    sqlx::query(
        "insert into channel_read_states (user_id, channel_id, last_read_message_id) \
         select $1, c, m from unnest($2::uuid[], $3::uuid[]) as t(c, m) \
         on conflict (user_id, channel_id) do update \
            set last_read_message_id = greatest(channel_read_states.last_read_message_id, \
                                                excluded.last_read_message_id), \
                updated_at = now()",
    )
    .bind(user_id)
    .bind(&channel_ids)
    .bind(&message_ids)
    .execute(conn)
    .await
    .or_internal("moving read markers")?;
    Ok(())
}

/// The communities of these channels where messages after the user's marker mention a role:
/// only for those do the user's roles need to be asked for.
pub async fn communities_with_unread_role_mentions(
    conn: &mut PgConnection,
    user_id: Uuid,
    channel_ids: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar::<_, Uuid>(
        "select distinct x.community_id from channel_mentions x \
           left join channel_read_states r on r.user_id = $1 and r.channel_id = x.channel_id \
          where x.channel_id = any($2) and x.role_id is not null and x.author_id <> $1 \
            and (r.last_read_message_id is null or x.message_id > r.last_read_message_id)",
    )
    .bind(user_id)
    .bind(channel_ids)
    .fetch_all(conn)
    .await
    .or_internal("finding unread role mentions")
}

/// The user's state in each channel (in the order asked): messages of others after the marker,
/// and of those the ones mentioning the user, one of `role_ids`, or everyone; both capped at
/// [`COUNT_CAP`].
pub async fn states(
    conn: &mut PgConnection,
    user_id: Uuid,
    channel_ids: &[Uuid],
    role_ids: &[Uuid],
) -> Result<Vec<ChannelReadState>, ApiError> {
    let rows = sqlx::query_as::<_, (Uuid, Option<Uuid>, i64, i64)>(
        "with marks as ( \
           select w.channel_id, w.ord, r.last_read_message_id \
             from unnest($2::uuid[]) with ordinality as w(channel_id, ord) \
             left join channel_read_states r on r.user_id = $1 and r.channel_id = w.channel_id) \
         select marks.channel_id, marks.last_read_message_id, \
           (select count(*) from (select 1 from channel_messages m \
               where m.channel_id = marks.channel_id and not m.deleted and m.author_id <> $1 \
                 and (marks.last_read_message_id is null \
                      or m.message_id > marks.last_read_message_id) \
               limit $4) unread), \
           (select count(*) from (select distinct x.message_id from channel_mentions x \
               where x.channel_id = marks.channel_id and x.author_id <> $1 \
                 and (marks.last_read_message_id is null \
                      or x.message_id > marks.last_read_message_id) \
                 and (x.user_id = $1 or x.everyone or x.role_id = any($3)) \
               limit $4) mentioned) \
         from marks order by marks.ord",
    )
    .bind(user_id)
    .bind(channel_ids)
    .bind(role_ids)
    .bind(COUNT_CAP)
    .fetch_all(conn)
    .await
    .or_internal("counting unread messages")?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(rows
        .into_iter()
        .map(
            |(channel_id, last_read_message_id, unread, mentioned)| ChannelReadState {
                channel_id,
                last_read_message_id,
                unread_count: count(unread),
                mention_count: count(mentioned),
            },
        )
        .collect())
}
