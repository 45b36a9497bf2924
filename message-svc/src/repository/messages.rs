//! Channel messages: the rows themselves, history pages, thread summaries and search. A deleted
//! message keeps its row (a tombstone) with the body emptied.

use crate::domain::{HistoryCursor, MessageBody, Nonce};
use chatalot_shared::{
    ApiError,
    contracts::messages::{ForwardedFrom, ThreadSummary},
    db::OrInternal,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

macro_rules! columns {
    () => {
        "channel_messages.message_id, channel_messages.channel_id, \
         channel_messages.community_id, channel_messages.author_id, channel_messages.nonce, \
         channel_messages.body, channel_messages.reply_to, channel_messages.thread_root_id, \
         channel_messages.forwarded_from_channel_id, channel_messages.forwarded_from_message_id, \
         channel_messages.forwarded_from_author_id, channel_messages.deleted, \
         channel_messages.created_at, channel_messages.edited_at"
    };
}

/// A message as stored, before reactions, attachments and the rest are joined to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredMessage {
    pub message_id: Uuid,
    pub channel_id: Uuid,
    pub community_id: Uuid,
    pub author_id: Uuid,
    pub nonce: String,
    pub body: String,
    pub reply_to: Option<Uuid>,
    pub thread_root_id: Option<Uuid>,
    forwarded_from_channel_id: Option<Uuid>,
    forwarded_from_message_id: Option<Uuid>,
    forwarded_from_author_id: Option<Uuid>,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

impl StoredMessage {
    pub fn forwarded_from(&self) -> Option<ForwardedFrom> {
        match (
            self.forwarded_from_channel_id,
            self.forwarded_from_message_id,
            self.forwarded_from_author_id,
        ) {
            (Some(channel_id), Some(message_id), Some(author_id)) => Some(ForwardedFrom {
                channel_id,
                message_id,
                author_id,
            }),
            _ => None,
        }
    }
}

/// A message about to be stored.
pub struct NewMessage<'a> {
    pub message_id: Uuid,
    pub channel_id: Uuid,
    pub community_id: Uuid,
    pub author_id: Uuid,
    pub nonce: &'a Nonce,
    pub body: &'a MessageBody,
    pub reply_to: Option<Uuid>,
    pub thread_root_id: Option<Uuid>,
    pub forwarded_from: Option<ForwardedFrom>,
}

/// Serialises message creation in one channel until the transaction ends and returns the
/// channel's newest message id (tombstones and thread replies included, as resume replays
/// them). Ids assigned after it ([`next_message_id`]) then grow in commit order: a client that
/// saw a message has been sent every earlier one, so resuming after it misses nothing.
pub async fn lock_channel_head(
    conn: &mut PgConnection,
    channel_id: Uuid,
) -> Result<Option<Uuid>, ApiError> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 11))")
        .bind(channel_id)
        .execute(&mut *conn)
        .await
        .or_internal("locking a channel's messages")?;
    sqlx::query_scalar::<_, Uuid>(
        "select message_id from channel_messages where channel_id = $1 \
         order by message_id desc limit 1",
    )
    .bind(channel_id)
    .fetch_optional(conn)
    .await
    .or_internal("reading a channel's newest message")
}

/// A fresh UUIDv7 above `previous`, even when another replica's clock is ahead or both fall in
/// the same millisecond.
pub fn next_message_id(previous: Option<Uuid>) -> Uuid {
    let fresh = Uuid::now_v7();
    match previous {
        Some(previous) if fresh <= previous => Uuid::from_u128(previous.as_u128().wrapping_add(1)),
        _ => fresh,
    }
}

/// Stores a message, or returns `None` when the author already used the nonce. A concurrent
/// insert with the same nonce waits for the first to commit or roll back (the unique index), so
/// exactly one of them stores a message.
pub async fn insert(
    conn: &mut PgConnection,
    new: &NewMessage<'_>,
) -> Result<Option<StoredMessage>, ApiError> {
    let forwarded = new.forwarded_from;
    sqlx::query_as::<_, StoredMessage>(concat!(
        "insert into channel_messages (message_id, channel_id, community_id, author_id, nonce, \
         body, reply_to, thread_root_id, forwarded_from_channel_id, forwarded_from_message_id, \
         forwarded_from_author_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         on conflict (author_id, nonce) do nothing returning ",
        columns!()
    ))
    .bind(new.message_id)
    .bind(new.channel_id)
    .bind(new.community_id)
    .bind(new.author_id)
    .bind(new.nonce.as_str())
    .bind(new.body.as_str())
    .bind(new.reply_to)
    .bind(new.thread_root_id)
    .bind(forwarded.map(|f| f.channel_id))
    .bind(forwarded.map(|f| f.message_id))
    .bind(forwarded.map(|f| f.author_id))
    .fetch_optional(conn)
    .await
    .or_internal("storing a message")
}

/// The message an author sent with this nonce, in whatever channel.
pub async fn find_by_nonce(
    conn: &mut PgConnection,
    author_id: Uuid,
    nonce: &Nonce,
) -> Result<Option<StoredMessage>, ApiError> {
    sqlx::query_as::<_, StoredMessage>(concat!(
        "select ",
        columns!(),
        " from channel_messages where author_id = $1 and nonce = $2"
    ))
    .bind(author_id)
    .bind(nonce.as_str())
    .fetch_optional(conn)
    .await
    .or_internal("finding a message by nonce")
}

/// A message of a channel (tombstones included).
pub async fn find(
    conn: &mut PgConnection,
    channel_id: Uuid,
    message_id: Uuid,
) -> Result<Option<StoredMessage>, ApiError> {
    sqlx::query_as::<_, StoredMessage>(concat!(
        "select ",
        columns!(),
        " from channel_messages where channel_id = $1 and message_id = $2"
    ))
    .bind(channel_id)
    .bind(message_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a message")
}

/// Like [`find`], locking the row until the transaction ends (edits and deletions of one message
/// happen one after the other).
pub async fn find_for_update(
    conn: &mut PgConnection,
    channel_id: Uuid,
    message_id: Uuid,
) -> Result<Option<StoredMessage>, ApiError> {
    sqlx::query_as::<_, StoredMessage>(concat!(
        "select ",
        columns!(),
        " from channel_messages where channel_id = $1 and message_id = $2 for update"
    ))
    .bind(channel_id)
    .bind(message_id)
    .fetch_optional(conn)
    .await
    .or_internal("locking a message")
}

/// Messages by id, in id order.
pub async fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<StoredMessage>, ApiError> {
    sqlx::query_as::<_, StoredMessage>(concat!(
        "select ",
        columns!(),
        " from channel_messages where message_id = any($1) order by message_id"
    ))
    .bind(ids)
    .fetch_all(conn)
    .await
    .or_internal("loading messages")
}

pub async fn set_body(
    conn: &mut PgConnection,
    message_id: Uuid,
    body: &MessageBody,
    edited_at: DateTime<Utc>,
) -> Result<StoredMessage, ApiError> {
    sqlx::query_as::<_, StoredMessage>(concat!(
        "update channel_messages set body = $2, edited_at = $3 where message_id = $1 returning ",
        columns!()
    ))
    .bind(message_id)
    .bind(body.as_str())
    .bind(edited_at)
    .fetch_one(conn)
    .await
    .or_internal("editing a message")
}

/// Turns a message into a tombstone.
pub async fn mark_deleted(conn: &mut PgConnection, message_id: Uuid) -> Result<(), ApiError> {
    sqlx::query(
        "update channel_messages set deleted = true, deleted_at = now(), body = '' \
         where message_id = $1",
    )
    .bind(message_id)
    .execute(conn)
    .await
    .or_internal("deleting a message")?;
    Ok(())
}

/// Which messages of a channel a page is taken from.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The main history: thread replies excluded.
    Main,
    /// The replies of one thread.
    Thread(Uuid),
    /// Everything (resuming clients).
    All,
}

impl Scope {
    fn condition(self) -> &'static str {
        match self {
            Scope::Main => "thread_root_id is null",
            Scope::Thread(_) => "thread_root_id = $4",
            Scope::All => "$4::uuid is null",
        }
    }

    fn root(self) -> Option<Uuid> {
        match self {
            Scope::Thread(root) => Some(root),
            Scope::Main | Scope::All => None,
        }
    }
}

/// `limit` messages of the scope on one side of `pivot` (`<` newest first, `>`/`>=` oldest first).
async fn side(
    conn: &mut PgConnection,
    channel_id: Uuid,
    scope: Scope,
    pivot: Option<(&'static str, Uuid)>,
    limit: i64,
) -> Result<Vec<StoredMessage>, ApiError> {
    let (comparison, order, pivot_id) = match pivot {
        None => ("$2::uuid is null", "desc", None),
        Some(("<", id)) => ("message_id < $2", "desc", Some(id)),
        Some((">=", id)) => ("message_id >= $2", "asc", Some(id)),
        Some((_, id)) => ("message_id > $2", "asc", Some(id)),
    };
    let sql = format!(
        concat!(
            "select ",
            columns!(),
            " from channel_messages where channel_id = $1 and {} and {} \
             order by message_id {} limit $3"
        ),
        scope.condition(),
        comparison,
        order
    );
    let mut rows = sqlx::query_as::<_, StoredMessage>(&sql)
        .bind(channel_id)
        .bind(pivot_id)
        .bind(limit)
        .bind(scope.root())
        .fetch_all(conn)
        .await
        .or_internal("loading a history page")?;
    if order == "desc" {
        rows.reverse();
    }
    Ok(rows)
}

/// A page of history, oldest first.
pub async fn page(
    conn: &mut PgConnection,
    channel_id: Uuid,
    scope: Scope,
    cursor: HistoryCursor,
    limit: i64,
) -> Result<Vec<StoredMessage>, ApiError> {
    match cursor {
        HistoryCursor::Newest => side(conn, channel_id, scope, None, limit).await,
        HistoryCursor::Before(id) => side(conn, channel_id, scope, Some(("<", id)), limit).await,
        HistoryCursor::After(id) => side(conn, channel_id, scope, Some((">", id)), limit).await,
        HistoryCursor::Around(id) => {
            let before_count = limit / 2;
            let mut rows = if before_count > 0 {
                side(conn, channel_id, scope, Some(("<", id)), before_count).await?
            } else {
                Vec::new()
            };
            let rest = side(
                conn,
                channel_id,
                scope,
                Some((">=", id)),
                limit - before_count,
            )
            .await?;
            rows.extend(rest);
            Ok(rows)
        }
    }
}

/// The newest message id of each channel that has one.
pub async fn newest_per_channel(
    conn: &mut PgConnection,
    channel_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, ApiError> {
    sqlx::query_as::<_, (Uuid, Uuid)>(
        "select wanted.channel_id, newest.message_id \
           from unnest($1::uuid[]) as wanted(channel_id) \
           cross join lateral (select message_id from channel_messages m \
                                where m.channel_id = wanted.channel_id \
                                order by message_id desc limit 1) newest",
    )
    .bind(channel_ids)
    .fetch_all(conn)
    .await
    .or_internal("finding the newest messages")
}

/// Reply counts of threads with replies (deleted replies not counted).
pub async fn thread_summaries(
    conn: &mut PgConnection,
    root_ids: &[Uuid],
) -> Result<Vec<(Uuid, ThreadSummary)>, ApiError> {
    let rows = sqlx::query_as::<_, (Uuid, i64, DateTime<Utc>)>(
        "select thread_root_id, count(*), max(created_at) from channel_messages \
          where thread_root_id = any($1) and not deleted group by thread_root_id",
    )
    .bind(root_ids)
    .fetch_all(conn)
    .await
    .or_internal("summing up threads")?;
    Ok(rows
        .into_iter()
        .map(|(root, count, last)| {
            let summary = ThreadSummary {
                reply_count: u32::try_from(count).unwrap_or(u32::MAX),
                last_reply_at: last,
            };
            (root, summary)
        })
        .collect())
}

/// What a search looks for; every present filter narrows it.
pub struct SearchFilter<'a> {
    /// The channels the searcher can see now.
    pub channel_ids: &'a [Uuid],
    pub text: Option<&'a str>,
    pub author_id: Option<Uuid>,
    pub sent_before: Option<DateTime<Utc>>,
    pub sent_after: Option<DateTime<Utc>>,
    pub has_attachment: Option<bool>,
    pub before_id: Option<Uuid>,
    pub limit: i64,
}

/// Messages matching the filter, newest first; deleted ones never. The text is matched with
/// `websearch_to_tsquery('simple', ...)` against the generated `search_vector` (GIN index).
pub async fn search(
    conn: &mut PgConnection,
    filter: &SearchFilter<'_>,
) -> Result<Vec<StoredMessage>, ApiError> {
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
        "select ",
        columns!(),
        " from channel_messages where not deleted and channel_id = any("
    ));
    query.push_bind(filter.channel_ids).push(")");
    if let Some(text) = filter.text {
        query
            .push(" and search_vector @@ websearch_to_tsquery('simple', ")
            .push_bind(text)
            .push(")");
    }
    if let Some(author_id) = filter.author_id {
        query.push(" and author_id = ").push_bind(author_id);
    }
    if let Some(before) = filter.sent_before {
        query.push(" and created_at < ").push_bind(before);
    }
    if let Some(after) = filter.sent_after {
        query.push(" and created_at > ").push_bind(after);
    }
    if let Some(has) = filter.has_attachment {
        query.push(if has { " and " } else { " and not " }).push(
            "exists (select 1 from attachments a \
                 where a.message_id = channel_messages.message_id)",
        );
    }
    if let Some(before_id) = filter.before_id {
        query.push(" and message_id < ").push_bind(before_id);
    }
    query
        .push(" order by message_id desc limit ")
        .push_bind(filter.limit);
    query
        .build_query_as::<StoredMessage>()
        .fetch_all(conn)
        .await
        .or_internal("searching messages")
}
