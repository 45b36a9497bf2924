//! Sending envelopes, reading history, and the catch-up answers gateways ask for.
//!
//! Delivery rule: a message goes, after the commit, to each recipient user named in its
//! envelope and to its author, each receiving only their own devices' ciphertexts. A recipient
//! who has blocked the author gets nothing: their entries are stored (the envelope is kept as
//! sent) but never delivered, neither live nor in history, for as long as the block stands.
//! Recipients connected nowhere also get a Web Push saying a message arrived (`crate::push`).

use super::{
    conversation_not_found,
    input::{self, CheckedEnvelope},
    notify,
};
use crate::{
    push::PushJob,
    repository::{
        attachments::{self, LinkTarget},
        blocks,
        conversation_messages::{self, Direction, MessageRow},
        conversations,
    },
    state::AppState,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_shared::{
    ApiError,
    contracts::conversations::{
        ConversationIds, ConversationMessage, ConversationMessagePage, ConversationMessageSent,
        ConversationMessagesSince, ConversationMessagesSinceRequest, ConversationPartners,
        DeviceCiphertext, ListConversationIdsRequest, ListConversationMessagesRequest,
        ListConversationPartnersRequest, SendConversationMessageRequest,
    },
    db::OrInternal,
    rpc::CallerContext,
};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The most messages one catch-up answer holds.
const MAX_SINCE: u32 = 500;

/// A message as one user sees it: its metadata, the ciphertexts of that user's devices and the
/// attachments.
fn view(
    row: MessageRow,
    ciphertexts: Vec<DeviceCiphertext>,
    attachments: Vec<chatalot_shared::contracts::attachments::Attachment>,
) -> ConversationMessage {
    ConversationMessage {
        message_id: row.message_id,
        conversation_id: row.conversation_id,
        author_id: row.author_id,
        nonce: row.nonce,
        sender_device_id: row.sender_device_id,
        created_at: row.created_at,
        ciphertexts,
        attachments,
    }
}

/// Completes stored messages for `viewer` (their devices' ciphertexts, only `device_id`'s when
/// given, and the attachments), keeping the rows' order.
async fn views_for(
    conn: &mut PgConnection,
    rows: Vec<MessageRow>,
    viewer: Uuid,
    device_id: Option<&str>,
) -> Result<Vec<ConversationMessage>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.message_id).collect();
    let mut ciphertexts: HashMap<Uuid, Vec<DeviceCiphertext>> = HashMap::new();
    for row in conversation_messages::ciphertexts_for(conn, &ids, viewer, device_id).await? {
        ciphertexts
            .entry(row.message_id)
            .or_default()
            .push(DeviceCiphertext {
                device_id: row.device_id,
                ciphertext: STANDARD.encode(&row.ciphertext),
            });
    }
    let mut files: HashMap<Uuid, Vec<_>> = HashMap::new();
    for (message_id, attachment) in attachments::of_messages(conn, &ids).await? {
        files.entry(message_id).or_default().push(attachment);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.message_id;
            view(
                row,
                ciphertexts.remove(&id).unwrap_or_default(),
                files.remove(&id).unwrap_or_default(),
            )
        })
        .collect())
}

/// Stores an envelope and delivers each recipient their ciphertexts. A retry with the same
/// nonce returns the stored message and delivers nothing again.
pub async fn send_conversation_message(
    state: AppState,
    ctx: CallerContext,
    req: SendConversationMessageRequest,
) -> Result<ConversationMessageSent, ApiError> {
    let caller = ctx.require_caller()?;
    let nonce = input::nonce(&req.nonce)?;
    let envelope = CheckedEnvelope::parse(req.envelope)?;
    let recipients = envelope.user_ids();

    let mut tx = state.begin().await?;
    let conversation = conversations::find_for_member(&mut tx, req.conversation_id, caller.user_id)
        .await?
        .ok_or_else(conversation_not_found)?;
    if let Some(stranger) = recipients
        .iter()
        .find(|id| !conversation.member_ids.contains(id))
    {
        return Err(ApiError::invalid_request(format!(
            "envelope recipient {stranger} is not a member of this conversation"
        )));
    }
    let inserted = conversation_messages::insert(
        &mut tx,
        Uuid::now_v7(),
        conversation.conversation_id,
        caller.user_id,
        nonce,
        &envelope.sender_device_id,
    )
    .await?;
    let Some(row) = inserted else {
        // A retry: the first attempt's message, exactly as stored.
        let stored = conversation_messages::find_by_nonce(
            &mut tx,
            conversation.conversation_id,
            caller.user_id,
            nonce,
        )
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a nonce conflict without a row")))?;
        let mut messages = views_for(&mut tx, vec![stored], caller.user_id, None).await?;
        drop(tx);
        let message = messages
            .pop()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a stored message vanished")))?;
        return Ok(ConversationMessageSent {
            message,
            created: false,
        });
    };
    let files = attachments::link(
        &mut tx,
        &req.attachment_ids,
        caller.user_id,
        LinkTarget::Conversation {
            conversation_id: row.conversation_id,
            message_id: row.message_id,
        },
    )
    .await?;
    let entries: Vec<(Uuid, &str, &[u8])> = envelope
        .entries
        .iter()
        .map(|e| (e.user_id, e.device_id.as_str(), e.ciphertext.as_slice()))
        .collect();
    conversation_messages::insert_recipients(&mut tx, row.message_id, &entries).await?;
    conversations::touch(&mut tx, row.conversation_id, row.created_at).await?;
    let blockers = blocks::blockers_of(&mut tx, caller.user_id, &recipients).await?;
    tx.commit()
        .await
        .or_internal("committing a conversation message")?;

    let ciphertexts_of = |user_id: Uuid| -> Vec<DeviceCiphertext> {
        envelope
            .entries
            .iter()
            .filter(|e| e.user_id == user_id)
            .map(|e| DeviceCiphertext {
                device_id: e.device_id.clone(),
                ciphertext: STANDARD.encode(&e.ciphertext),
            })
            .collect()
    };
    let own = view(row.clone(), ciphertexts_of(caller.user_id), files.clone());
    let mut deliveries: Vec<(Uuid, ConversationMessage)> = recipients
        .iter()
        .copied()
        .filter(|id| *id != caller.user_id && !blockers.contains(id))
        .map(|id| (id, view(row.clone(), ciphertexts_of(id), files.clone())))
        .collect();
    // Those of them connected nowhere get a push (metadata only), in the background.
    state.push.conversation_message(PushJob {
        conversation_id: row.conversation_id,
        message_id: row.message_id,
        sender_id: caller.user_id,
        recipients: deliveries.iter().map(|(id, _)| *id).collect(),
    });
    deliveries.push((caller.user_id, own.clone()));
    notify::messages_created(&state, deliveries).await;
    Ok(ConversationMessageSent {
        message: own,
        created: true,
    })
}

/// A page of history as the caller sees it, oldest first.
pub async fn list_conversation_messages(
    state: AppState,
    ctx: CallerContext,
    req: ListConversationMessagesRequest,
) -> Result<ConversationMessagePage, ApiError> {
    let caller = ctx.require_caller()?;
    let limit = input::page_limit(req.limit)?;
    let device_id = req
        .device_id
        .as_deref()
        .map(|d| input::device_id("device_id", d))
        .transpose()?;
    let mut conn = state.connection().await?;
    if !conversations::is_member(&mut conn, req.conversation_id, caller.user_id).await? {
        return Err(conversation_not_found());
    }
    let direction = if req.after.is_some() {
        Direction::Forward
    } else {
        Direction::Backward
    };
    let (rows, has_more) = page(
        &mut conn,
        req.conversation_id,
        caller.user_id,
        req.after,
        req.before,
        direction,
        limit,
    )
    .await?;
    let messages = views_for(&mut conn, rows, caller.user_id, device_id).await?;
    Ok(ConversationMessagePage { messages, has_more })
}

/// Up to `limit` visible messages, oldest first, and whether more lie beyond them.
async fn page(
    conn: &mut PgConnection,
    conversation_id: Uuid,
    viewer: Uuid,
    after: Option<Uuid>,
    before: Option<Uuid>,
    direction: Direction,
    limit: u32,
) -> Result<(Vec<MessageRow>, bool), ApiError> {
    let mut rows = conversation_messages::page_for_viewer(
        conn,
        conversation_id,
        viewer,
        after,
        before,
        direction,
        i64::from(limit) + 1,
    )
    .await?;
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > wanted;
    rows.truncate(wanted);
    if direction == Direction::Backward {
        rows.reverse();
    }
    Ok((rows, has_more))
}

/// What `user_id` missed in one conversation since `after` (gateways, on resume). Not a
/// member: nothing.
pub async fn conversation_messages_since(
    state: AppState,
    _ctx: CallerContext,
    req: ConversationMessagesSinceRequest,
) -> Result<ConversationMessagesSince, ApiError> {
    let limit = req.limit.clamp(1, MAX_SINCE);
    let mut conn = state.connection().await?;
    if !conversations::is_member(&mut conn, req.conversation_id, req.user_id).await? {
        return Ok(ConversationMessagesSince {
            messages: Vec::new(),
            has_more: false,
        });
    }
    let (rows, has_more) = page(
        &mut conn,
        req.conversation_id,
        req.user_id,
        Some(req.after),
        None,
        Direction::Forward,
        limit,
    )
    .await?;
    let messages = views_for(&mut conn, rows, req.user_id, None).await?;
    Ok(ConversationMessagesSince { messages, has_more })
}

/// Every conversation of a user (gateways, on resume).
pub async fn list_conversation_ids(
    state: AppState,
    _ctx: CallerContext,
    req: ListConversationIdsRequest,
) -> Result<ConversationIds, ApiError> {
    let mut conn = state.connection().await?;
    let conversation_ids = conversations::ids_for_user(&mut conn, req.user_id).await?;
    Ok(ConversationIds { conversation_ids })
}

/// Everyone sharing a conversation with a user (keys-svc, when that user's devices change).
pub async fn list_conversation_partners(
    state: AppState,
    _ctx: CallerContext,
    req: ListConversationPartnersRequest,
) -> Result<ConversationPartners, ApiError> {
    let mut conn = state.connection().await?;
    let user_ids = conversations::partners_of(&mut conn, req.user_id).await?;
    Ok(ConversationPartners { user_ids })
}
