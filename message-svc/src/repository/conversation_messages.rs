//! Conversation messages and their envelopes: one opaque ciphertext per recipient device. Nothing
//! here can read a message; a reader gets the routing metadata and their own ciphertexts.

use chatalot_shared::{ApiError, db::OrInternal};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored message without its ciphertexts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub message_id: Uuid,
    pub conversation_id: Uuid,
    pub author_id: Uuid,
    pub nonce: String,
    pub sender_device_id: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "m.message_id, m.conversation_id, m.author_id, m.nonce, m.sender_device_id, m.created_at";

/// One recipient device's ciphertext.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CiphertextRow {
    pub message_id: Uuid,
    pub device_id: String,
    pub ciphertext: Vec<u8>,
}

/// Stores a message's metadata; `None` when the author already used `nonce` in this
/// conversation (a retry), in which case nothing is stored.
pub async fn insert(
    conn: &mut PgConnection,
    message_id: Uuid,
    conversation_id: Uuid,
    author_id: Uuid,
    nonce: &str,
    sender_device_id: &str,
) -> Result<Option<MessageRow>, ApiError> {
    sqlx::query_as::<_, MessageRow>(
        "insert into conversation_messages as m \
           (message_id, conversation_id, author_id, nonce, sender_device_id) \
         values ($1, $2, $3, $4, $5) \
         on conflict (conversation_id, author_id, nonce) do nothing \
         returning m.message_id, m.conversation_id, m.author_id, m.nonce, m.sender_device_id, \
                   m.created_at",
    )
    .bind(message_id)
    .bind(conversation_id)
    .bind(author_id)
    .bind(nonce)
    .bind(sender_device_id)
    .fetch_optional(conn)
    .await
    .or_internal("inserting a conversation message")
}

/// The message an author already sent with `nonce` in this conversation.
pub async fn find_by_nonce(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    author_id: Uuid,
    nonce: &str,
) -> Result<Option<MessageRow>, ApiError> {
    sqlx::query_as::<_, MessageRow>(&format!(
        "select {COLUMNS} from conversation_messages m \
          where m.conversation_id = $1 and m.author_id = $2 and m.nonce = $3"
    ))
    .bind(conversation_id)
    .bind(author_id)
    .bind(nonce)
    .fetch_optional(conn)
    .await
    .or_internal("loading a conversation message by nonce")
}

/// Stores the envelope's entries: `(user_id, device_id, ciphertext)`.
pub async fn insert_recipients(
    conn: &mut PgConnection,
    message_id: Uuid,
    entries: &[(Uuid, &str, &[u8])],
) -> Result<(), ApiError> {
    let user_ids: Vec<Uuid> = entries.iter().map(|e| e.0).collect();
    let device_ids: Vec<&str> = entries.iter().map(|e| e.1).collect();
    let ciphertexts: Vec<&[u8]> = entries.iter().map(|e| e.2).collect();
    sqlx::query(
        "insert into envelope_recipients (message_id, user_id, device_id, ciphertext) \
         select $1, * from unnest($2::uuid[], $3::text[], $4::bytea[])",
    )
    .bind(message_id)
    .bind(&user_ids)
    .bind(&device_ids)
    .bind(&ciphertexts)
    .execute(conn)
    .await
    .or_internal("storing an envelope")?;
    Ok(())
}

/// True when `message_id` is a (not deleted) message of the conversation.
pub async fn exists(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    message_id: Uuid,
) -> Result<bool, ApiError> {
    sqlx::query_scalar(
        "select exists (select 1 from conversation_messages \
          where message_id = $1 and conversation_id = $2 and not deleted)",
    )
    .bind(message_id)
    .bind(conversation_id)
    .fetch_one(conn)
    .await
    .or_internal("checking a conversation message")
}

/// Which way a page runs from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The oldest messages after `after` (and before `before`), in id order.
    Forward,
    /// The newest messages before `before` (or the newest of all), newest first.
    Backward,
}

/// A page of the messages `viewer` may see in a conversation: those they wrote or that were
/// addressed to them, not deleted, and not by someone they block.
pub async fn page_for_viewer(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    viewer: Uuid,
    after: Option<Uuid>,
    before: Option<Uuid>,
    direction: Direction,
    limit: i64,
) -> Result<Vec<MessageRow>, ApiError> {
    let order = match direction {
        Direction::Forward => "asc",
        Direction::Backward => "desc",
    };
    sqlx::query_as::<_, MessageRow>(&format!(
        "select {COLUMNS} from conversation_messages m \
          where m.conversation_id = $1 and not m.deleted \
            and ($3::uuid is null or m.message_id > $3) \
            and ($4::uuid is null or m.message_id < $4) \
            and (m.author_id = $2 or exists (select 1 from envelope_recipients r \
                  where r.message_id = m.message_id and r.user_id = $2)) \
            and not exists (select 1 from blocks b \
                  where b.blocker_id = $2 and b.blocked_id = m.author_id) \
          order by m.message_id {order} limit $5"
    ))
    .bind(conversation_id)
    .bind(viewer)
    .bind(after)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
    .or_internal("loading conversation history")
}

/// The ciphertexts of some messages addressed to `user_id`'s devices (only `device_id`'s when
/// given), by message and device.
pub async fn ciphertexts_for(
    conn: &mut PgConnection,
    message_ids: &[Uuid],
    user_id: Uuid,
    device_id: Option<&str>,
) -> Result<Vec<CiphertextRow>, ApiError> {
    sqlx::query_as::<_, CiphertextRow>(
        "select message_id, device_id, ciphertext from envelope_recipients \
          where message_id = any($1) and user_id = $2 and ($3::text is null or device_id = $3) \
          order by message_id, device_id",
    )
    .bind(message_ids)
    .bind(user_id)
    .bind(device_id)
    .fetch_all(conn)
    .await
    .or_internal("loading ciphertexts")
}
