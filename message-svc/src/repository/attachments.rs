//! Attachments: registered after the gateway stored the bytes, linked to a message when one is
//! sent with them, swept when never linked.

use chatalot_shared::{ApiError, contracts::attachments::Attachment, db::OrInternal};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
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
