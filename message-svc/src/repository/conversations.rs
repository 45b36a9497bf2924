//! Conversations, their members, the members' read markers and read-receipt preferences.

use chatalot_shared::{
    ApiError,
    contracts::conversations::{Conversation, ConversationKind, ReadReceipt},
    db::OrInternal,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A conversation's columns with its member ids (in the order they joined) in the same query.
macro_rules! columns {
    () => {
        "c.conversation_id, c.kind, c.name, c.created_by, c.created_at, c.last_activity_at, \
         array(select m.user_id from conversation_members m \
               where m.conversation_id = c.conversation_id \
               order by m.joined_at, m.user_id) as member_ids"
    };
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    conversation_id: Uuid,
    kind: String,
    name: Option<String>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    last_activity_at: DateTime<Utc>,
    member_ids: Vec<Uuid>,
}

impl From<ConversationRow> for Conversation {
    fn from(row: ConversationRow) -> Self {
        Conversation {
            conversation_id: row.conversation_id,
            kind: if row.kind == "direct" {
                ConversationKind::Direct
            } else {
                ConversationKind::Group
            },
            name: row.name,
            member_ids: row.member_ids,
            created_by: row.created_by,
            created_at: row.created_at,
            last_activity_at: row.last_activity_at,
        }
    }
}

fn kind_name(kind: ConversationKind) -> &'static str {
    match kind {
        ConversationKind::Direct => "direct",
        ConversationKind::Group => "group",
    }
}

/// The stored order of a direct pair.
fn pair(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b { (a, b) } else { (b, a) }
}

/// The conversation if `user_id` is one of its members; `None` for anyone else (who must not
/// learn it exists).
pub async fn find_for_member(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Conversation>, ApiError> {
    let row = sqlx::query_as::<_, ConversationRow>(concat!(
        "select ",
        columns!(),
        " from conversations c where c.conversation_id = $1 and exists \
          (select 1 from conversation_members m \
            where m.conversation_id = c.conversation_id and m.user_id = $2)"
    ))
    .bind(conversation_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a conversation")?;
    Ok(row.map(Conversation::from))
}

/// Like [`find_for_member`], and locks the conversation until the transaction ends, so member
/// changes of one conversation happen one at a time (the member cap holds).
pub async fn lock_for_member(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Conversation>, ApiError> {
    let locked: Option<Uuid> = sqlx::query_scalar(
        "select conversation_id from conversations where conversation_id = $1 for update",
    )
    .bind(conversation_id)
    .fetch_optional(&mut *conn)
    .await
    .or_internal("locking a conversation")?;
    if locked.is_none() {
        return Ok(None);
    }
    find_for_member(conn, conversation_id, user_id).await
}

/// True when `user_id` is a member (for other areas, like attachment downloads).
pub async fn is_member(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    sqlx::query_scalar(
        "select exists (select 1 from conversation_members \
          where conversation_id = $1 and user_id = $2)",
    )
    .bind(conversation_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
    .or_internal("checking conversation membership")
}

/// The direct conversation of two users, if they have one.
pub async fn find_direct(
    conn: &mut PgConnection,
    a: Uuid,
    b: Uuid,
) -> Result<Option<Conversation>, ApiError> {
    let (low, high) = pair(a, b);
    let row = sqlx::query_as::<_, ConversationRow>(concat!(
        "select ",
        columns!(),
        " from conversations c where c.direct_low = $1 and c.direct_high = $2"
    ))
    .bind(low)
    .bind(high)
    .fetch_optional(conn)
    .await
    .or_internal("finding a direct conversation")?;
    Ok(row.map(Conversation::from))
}

/// What a new conversation starts with.
pub struct NewConversation<'a> {
    pub conversation_id: Uuid,
    pub kind: ConversationKind,
    pub name: Option<&'a str>,
    pub created_by: Uuid,
    /// Every member, the creator included.
    pub member_ids: &'a [Uuid],
}

/// Creates a conversation with its members. `None` when it is direct and the pair got one
/// meanwhile (a concurrent create): the caller then loads that one.
pub async fn insert(
    conn: &mut PgConnection,
    new: NewConversation<'_>,
) -> Result<Option<Conversation>, ApiError> {
    let direct = match (new.kind, new.member_ids) {
        (ConversationKind::Direct, [a, b]) => Some(pair(*a, *b)),
        _ => None,
    };
    let inserted = sqlx::query(
        "insert into conversations \
           (conversation_id, kind, name, created_by, direct_low, direct_high) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (direct_low, direct_high) do nothing",
    )
    .bind(new.conversation_id)
    .bind(kind_name(new.kind))
    .bind(new.name)
    .bind(new.created_by)
    .bind(direct.map(|(low, _)| low))
    .bind(direct.map(|(_, high)| high))
    .execute(&mut *conn)
    .await
    .or_internal("inserting a conversation")?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    add_members(&mut *conn, new.conversation_id, new.member_ids).await?;
    find_for_member(conn, new.conversation_id, new.created_by).await
}

/// Adds members (ignoring current ones).
pub async fn add_members(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_ids: &[Uuid],
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into conversation_members (conversation_id, user_id) \
         select $1, unnest($2::uuid[]) on conflict do nothing",
    )
    .bind(conversation_id)
    .bind(user_ids)
    .execute(conn)
    .await
    .or_internal("adding conversation members")?;
    Ok(())
}

/// Removes a member (and their read marker); false if they were not one.
pub async fn remove_member(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let deleted =
        sqlx::query("delete from conversation_members where conversation_id = $1 and user_id = $2")
            .bind(conversation_id)
            .bind(user_id)
            .execute(conn)
            .await
            .or_internal("removing a conversation member")?;
    Ok(deleted.rows_affected() > 0)
}

/// Sets or clears (`None`) a group's name and returns the conversation as `viewer` sees it.
pub async fn rename(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    name: Option<&str>,
    viewer: Uuid,
) -> Result<Option<Conversation>, ApiError> {
    sqlx::query("update conversations set name = $2 where conversation_id = $1 and kind = 'group'")
        .bind(conversation_id)
        .bind(name)
        .execute(&mut *conn)
        .await
        .or_internal("renaming a conversation")?;
    find_for_member(conn, conversation_id, viewer).await
}

/// Records activity (a new message) for sorting lists.
pub async fn touch(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query(
        "update conversations set last_activity_at = greatest(last_activity_at, $2) \
         where conversation_id = $1",
    )
    .bind(conversation_id)
    .bind(at)
    .execute(conn)
    .await
    .or_internal("recording conversation activity")?;
    Ok(())
}

/// Every conversation of `user_id`, most recent activity first.
pub async fn list_for_user(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<Conversation>, ApiError> {
    let rows = sqlx::query_as::<_, ConversationRow>(concat!(
        "select ",
        columns!(),
        " from conversations c \
          join conversation_members me on me.conversation_id = c.conversation_id \
         where me.user_id = $1 \
         order by c.last_activity_at desc, c.conversation_id desc"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing conversations")?;
    Ok(rows.into_iter().map(Conversation::from).collect())
}

/// The ids of every conversation of `user_id`.
pub async fn ids_for_user(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar(
        "select conversation_id from conversation_members where user_id = $1 \
         order by conversation_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing conversation ids")
}

/// Everyone sharing a conversation with `user_id`, without them.
pub async fn partners_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar(
        "select distinct other.user_id from conversation_members me \
           join conversation_members other on other.conversation_id = me.conversation_id \
          where me.user_id = $1 and other.user_id <> $1 \
          order by other.user_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing conversation partners")
}

// ---- read markers ----

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    user_id: Uuid,
    last_read_message_id: Uuid,
    last_read_at: DateTime<Utc>,
}

impl From<ReceiptRow> for ReadReceipt {
    fn from(row: ReceiptRow) -> Self {
        ReadReceipt {
            user_id: row.user_id,
            message_id: row.last_read_message_id,
            read_at: row.last_read_at,
        }
    }
}

/// Moves a member's read marker to `message_id` unless it already is at or past it. Returns the
/// marker as it now stands and whether it moved.
pub async fn advance_read_marker(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_id: Uuid,
    message_id: Uuid,
) -> Result<(ReadReceipt, bool), ApiError> {
    // Message ids are UUIDv7: comparing them compares their times, so a late request for an
    // older message cannot move the marker back.
    let moved = sqlx::query_as::<_, ReceiptRow>(
        "update conversation_members \
            set last_read_message_id = $3, last_read_at = now() \
          where conversation_id = $1 and user_id = $2 \
            and (last_read_message_id is null or last_read_message_id < $3) \
          returning user_id, last_read_message_id, last_read_at",
    )
    .bind(conversation_id)
    .bind(user_id)
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await
    .or_internal("moving a read marker")?;
    if let Some(row) = moved {
        return Ok((row.into(), true));
    }
    let current = sqlx::query_as::<_, ReceiptRow>(
        "select user_id, last_read_message_id, last_read_at from conversation_members \
          where conversation_id = $1 and user_id = $2 and last_read_message_id is not null",
    )
    .bind(conversation_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
    .or_internal("loading a read marker")?;
    Ok((current.into(), false))
}

/// The read markers of the members who share read receipts, by user id.
pub async fn shared_receipts(
    conn: &mut PgConnection,
    conversation_id: Uuid,
) -> Result<Vec<ReadReceipt>, ApiError> {
    let rows = sqlx::query_as::<_, ReceiptRow>(
        "select m.user_id, m.last_read_message_id, m.last_read_at \
           from conversation_members m \
           left join read_receipt_settings s on s.user_id = m.user_id \
          where m.conversation_id = $1 and m.last_read_message_id is not null \
            and coalesce(s.enabled, true) \
          order by m.user_id",
    )
    .bind(conversation_id)
    .fetch_all(conn)
    .await
    .or_internal("listing read receipts")?;
    Ok(rows.into_iter().map(ReadReceipt::from).collect())
}

/// Whether `user_id` shares read receipts (true unless they opted out).
pub async fn read_receipts_enabled(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let enabled: Option<bool> =
        sqlx::query_scalar("select enabled from read_receipt_settings where user_id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await
            .or_internal("loading the read receipt setting")?;
    Ok(enabled.unwrap_or(true))
}

pub async fn set_read_receipts_enabled(
    conn: &mut PgConnection,
    user_id: Uuid,
    enabled: bool,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into read_receipt_settings (user_id, enabled) values ($1, $2) \
         on conflict (user_id) do update set enabled = excluded.enabled, updated_at = now()",
    )
    .bind(user_id)
    .bind(enabled)
    .execute(conn)
    .await
    .or_internal("saving the read receipt setting")?;
    Ok(())
}
