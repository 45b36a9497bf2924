//! Attachments: registered after the gateway stored the bytes, linked to a message when one is
//! sent with them, swept when never linked.

use chatalot_shared::{
    ApiError,
    contracts::attachments::{Attachment, OrphanAttachment, RegisterAttachmentRequest},
    db::OrInternal,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Where a message that links attachments lives.
#[derive(Debug, Clone, Copy)]
pub enum LinkTarget {
    Channel {
        channel_id: Uuid,
        message_id: Uuid,
    },
    Conversation {
        conversation_id: Uuid,
        message_id: Uuid,
    },
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    attachment_id: Uuid,
    filename: String,
    content_type: String,
    size_bytes: i64,
    width: Option<i32>,
    height: Option<i32>,
    created_at: DateTime<Utc>,
}

impl From<AttachmentRow> for Attachment {
    fn from(row: AttachmentRow) -> Self {
        Attachment {
            attachment_id: row.attachment_id,
            filename: row.filename,
            content_type: row.content_type,
            size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
            width: row.width.and_then(|w| u32::try_from(w).ok()),
            height: row.height.and_then(|h| u32::try_from(h).ok()),
            created_at: row.created_at,
        }
    }
}

/// Links `attachment_ids` (at most 10) to a new message, inside the message's transaction.
/// Every id must be an unlinked, unswept upload of `uploader_id`; otherwise nothing is linked
/// and the answer is `invalid_request`.
pub async fn link(
    conn: &mut PgConnection,
    attachment_ids: &[Uuid],
    uploader_id: Uuid,
    target: LinkTarget,
) -> Result<Vec<Attachment>, ApiError> {
    if attachment_ids.is_empty() {
        return Ok(Vec::new());
    }
    if attachment_ids.len() > 10 {
        return Err(ApiError::invalid_request(
            "at most 10 attachments per message",
        ));
    }
    let (message_id, channel_id, conversation_id) = match target {
        LinkTarget::Channel {
            channel_id,
            message_id,
        } => (message_id, Some(channel_id), None),
        LinkTarget::Conversation {
            conversation_id,
            message_id,
        } => (message_id, None, Some(conversation_id)),
    };
    let rows = sqlx::query_as::<_, AttachmentRow>(
        "update attachments
            set message_id = $1, channel_id = $2, conversation_id = $3, linked_at = now()
          where attachment_id = any($4) and uploader_id = $5
            and message_id is null and orphaned_at is null
          returning attachment_id, filename, content_type, size_bytes, width, height, created_at",
    )
    .bind(message_id)
    .bind(channel_id)
    .bind(conversation_id)
    .bind(attachment_ids)
    .bind(uploader_id)
    .fetch_all(&mut *conn)
    .await
    .or_internal("linking attachments")?;
    let mut unique = attachment_ids.to_vec();
    unique.sort();
    unique.dedup();
    if rows.len() != unique.len() {
        return Err(ApiError::invalid_request(
            "an attachment id is unknown, not yours, or already used",
        ));
    }
    let mut attachments: Vec<Attachment> = rows.into_iter().map(Attachment::from).collect();
    attachments.sort_by_key(|a| unique.iter().position(|id| *id == a.attachment_id));
    Ok(attachments)
}

/// Releases the attachments of a deleted message: unlinked, they are no longer downloadable
/// and the orphan sweeper deletes their bytes (their upload time is long past the grace).
pub async fn release(conn: &mut PgConnection, message_id: Uuid) -> Result<(), ApiError> {
    sqlx::query(
        "update attachments
            set message_id = null, channel_id = null, conversation_id = null, linked_at = null
          where message_id = $1",
    )
    .bind(message_id)
    .execute(conn)
    .await
    .or_internal("releasing the attachments of a deleted message")?;
    Ok(())
}

/// The attachments of some messages, by message id (for history pages).
pub async fn of_messages(
    conn: &mut PgConnection,
    message_ids: &[Uuid],
) -> Result<Vec<(Uuid, Attachment)>, ApiError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        message_id: Uuid,
        #[sqlx(flatten)]
        attachment: AttachmentRow,
    }
    let rows = sqlx::query_as::<_, Row>(
        "select message_id, attachment_id, filename, content_type, size_bytes, width, height, created_at
           from attachments where message_id = any($1) order by attachment_id",
    )
    .bind(message_ids)
    .fetch_all(conn)
    .await
    .or_internal("loading attachments of messages")?;
    Ok(rows
        .into_iter()
        .map(|row| (row.message_id, row.attachment.into()))
        .collect())
}

/// Records an upload whose bytes the gateway has stored; it belongs to `uploader_id` until a
/// message links it.
pub async fn insert(
    conn: &mut PgConnection,
    uploader_id: Uuid,
    upload: &RegisterAttachmentRequest,
) -> Result<Attachment, ApiError> {
    let row = sqlx::query_as::<_, AttachmentRow>(
        "insert into attachments
            (attachment_id, uploader_id, storage_key, filename, content_type, size_bytes, width, height)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning attachment_id, filename, content_type, size_bytes, width, height, created_at",
    )
    .bind(upload.attachment_id)
    .bind(uploader_id)
    .bind(&upload.storage_key)
    .bind(&upload.filename)
    .bind(&upload.content_type)
    .bind(i64::try_from(upload.size_bytes).unwrap_or(i64::MAX))
    .bind(upload.width.and_then(|w| i32::try_from(w).ok()))
    .bind(upload.height.and_then(|h| i32::try_from(h).ok()))
    .fetch_one(conn)
    .await
    .or_internal("recording an attachment")?;
    Ok(row.into())
}

/// Where an attachment belongs, for deciding who may download it.
pub enum Placement {
    /// Not linked yet: only its uploader may see it.
    Unlinked {
        uploader_id: Uuid,
    },
    Channel {
        channel_id: Uuid,
    },
    Conversation {
        conversation_id: Uuid,
    },
}

/// An attachment with what a download needs: where its bytes are and where it belongs.
pub struct StoredAttachment {
    pub attachment: Attachment,
    pub storage_key: String,
    pub placement: Placement,
}

/// An attachment that has not been claimed by the orphan sweep (its bytes may be gone once it
/// has), or `None`.
pub async fn find_live(
    conn: &mut PgConnection,
    attachment_id: Uuid,
) -> Result<Option<StoredAttachment>, ApiError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        uploader_id: Uuid,
        storage_key: String,
        message_id: Option<Uuid>,
        channel_id: Option<Uuid>,
        conversation_id: Option<Uuid>,
        #[sqlx(flatten)]
        attachment: AttachmentRow,
    }
    let row = sqlx::query_as::<_, Row>(
        "select uploader_id, storage_key, message_id, channel_id, conversation_id,
                attachment_id, filename, content_type, size_bytes, width, height, created_at
           from attachments where attachment_id = $1 and orphaned_at is null",
    )
    .bind(attachment_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading an attachment")?;
    Ok(row.map(|row| {
        let placement = match (row.message_id, row.channel_id, row.conversation_id) {
            (Some(_), Some(channel_id), _) => Placement::Channel { channel_id },
            (Some(_), None, Some(conversation_id)) => Placement::Conversation { conversation_id },
            // The table's checks rule out a message without a channel or conversation; treat
            // one as unlinked rather than visible to everyone.
            _ => Placement::Unlinked {
                uploader_id: row.uploader_id,
            },
        };
        StoredAttachment {
            attachment: row.attachment.into(),
            storage_key: row.storage_key,
            placement,
        }
    }))
}

/// Whether `user_id` is a member of the conversation, or `None` while this schema has no
/// `conversation_members` table. The conversations area owns that table; asking the catalogue
/// first keeps attachments working (and conversation attachments refused) without it.
pub async fn is_conversation_member(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    user_id: Uuid,
) -> Result<Option<bool>, ApiError> {
    let exists: bool = sqlx::query_scalar("select to_regclass('conversation_members') is not null")
        .fetch_one(&mut *conn)
        .await
        .or_internal("looking for the conversation_members table")?;
    if !exists {
        return Ok(None);
    }
    let member: bool = sqlx::query_scalar(
        "select exists(select 1 from conversation_members
                        where conversation_id = $1 and user_id = $2)",
    )
    .bind(conversation_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
    .or_internal("checking conversation membership")?;
    Ok(Some(member))
}

/// Marks at most `limit` unlinked uploads older than `grace` for deletion and returns them.
/// Claims older than `reclaim_after` that were never forgotten (a sweeper stopped half way) are
/// handed out again. `skip locked`: replicas sweeping at once never claim the same row, and a
/// row a message is linking right now is left alone.
pub async fn claim_orphans(
    conn: &mut PgConnection,
    grace: Duration,
    reclaim_after: Duration,
    limit: u32,
) -> Result<Vec<OrphanAttachment>, ApiError> {
    let rows = sqlx::query_as::<_, (Uuid, String)>(
        "update attachments set orphaned_at = now()
          where attachment_id in (
                select attachment_id from attachments
                 where message_id is null
                   and created_at <= now() - make_interval(secs => $1)
                   and (orphaned_at is null or orphaned_at <= now() - make_interval(secs => $2))
                 order by created_at
                 limit $3
                   for update skip locked)
          returning attachment_id, storage_key",
    )
    .bind(grace.as_secs_f64())
    .bind(reclaim_after.as_secs_f64())
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .or_internal("claiming orphaned attachments")?;
    Ok(rows
        .into_iter()
        .map(|(attachment_id, storage_key)| OrphanAttachment {
            attachment_id,
            storage_key,
        })
        .collect())
}

/// Deletes the records of claimed orphans whose bytes are gone; other ids are ignored.
pub async fn forget_orphans(
    conn: &mut PgConnection,
    attachment_ids: &[Uuid],
) -> Result<u64, ApiError> {
    let done = sqlx::query(
        "delete from attachments
          where attachment_id = any($1) and orphaned_at is not null and message_id is null",
    )
    .bind(attachment_ids)
    .execute(conn)
    .await
    .or_internal("forgetting deleted attachments")?;
    Ok(done.rows_affected())
}
