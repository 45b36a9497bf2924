//! Stored messages become contract [`Message`]s: reactions, attachments, mentions, pins and
//! thread summaries are loaded for a whole page at once (five queries whatever its size).

use crate::repository::{
    attachments, mentions, messages, messages::StoredMessage, pins, reactions,
};
use chatalot_shared::{ApiError, contracts::messages::Message};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The messages in the order given; `viewer` decides the reactions' `me` (`None` in events).
/// Tombstones keep their place and threads but show no content.
pub async fn assemble(
    conn: &mut PgConnection,
    rows: Vec<StoredMessage>,
    viewer: Option<Uuid>,
) -> Result<Vec<Message>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let live: Vec<Uuid> = rows
        .iter()
        .filter(|m| !m.deleted)
        .map(|m| m.message_id)
        .collect();
    let roots: Vec<Uuid> = rows
        .iter()
        .filter(|m| m.thread_root_id.is_none())
        .map(|m| m.message_id)
        .collect();

    let mut reactions_of: HashMap<Uuid, Vec<_>> = HashMap::new();
    for (id, count) in reactions::counts(conn, &live, viewer).await? {
        reactions_of.entry(id).or_default().push(count);
    }
    let mut attachments_of: HashMap<Uuid, Vec<_>> = HashMap::new();
    for (id, attachment) in attachments::of_messages(conn, &live).await? {
        attachments_of.entry(id).or_default().push(attachment);
    }
    let mut mentions_of: HashMap<Uuid, _> = mentions::of_messages(conn, &live)
        .await?
        .into_iter()
        .collect();
    let pinned: HashSet<Uuid> = pins::pinned_among(conn, &live).await?.into_iter().collect();
    let mut threads: HashMap<Uuid, _> = messages::thread_summaries(conn, &roots)
        .await?
        .into_iter()
        .collect();

    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.message_id;
            Message {
                forwarded_from: row.forwarded_from(),
                thread: threads.remove(&id),
                mentions: mentions_of.remove(&id).unwrap_or_default(),
                reactions: reactions_of.remove(&id).unwrap_or_default(),
                attachments: attachments_of.remove(&id).unwrap_or_default(),
                pinned: pinned.contains(&id),
                message_id: id,
                channel_id: row.channel_id,
                community_id: row.community_id,
                author_id: row.author_id,
                nonce: row.nonce,
                body: row.body,
                reply_to: row.reply_to,
                thread_root_id: row.thread_root_id,
                deleted: row.deleted,
                created_at: row.created_at,
                edited_at: row.edited_at,
            }
        })
        .collect())
}

/// One message.
pub async fn assemble_one(
    conn: &mut PgConnection,
    row: StoredMessage,
    viewer: Option<Uuid>,
) -> Result<Message, ApiError> {
    assemble(conn, vec![row], viewer)
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an assembled message went missing")))
}

/// The same message as everyone sees it in an event: no reader, so no reaction is "mine".
pub fn for_everyone(mut message: Message) -> Message {
    for reaction in &mut message.reactions {
        reaction.me = false;
    }
    message
}
