//! Read receipts: each member's read marker, shared with the others unless they opted out.

use super::{conversation_not_found, notify};
use crate::{
    repository::{blocks, conversation_messages, conversations},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::conversations::{
        ConversationRead, GetReadReceiptSettingRequest, ListConversationReceiptsRequest,
        MarkConversationReadRequest, ReadReceipt, ReadReceiptSetting, ReceiptList,
        SetReadReceiptSettingRequest,
    },
    rpc::CallerContext,
};
use uuid::Uuid;

/// Moves the caller's marker forward and, when it moved and they share receipts, tells the
/// other members (except those who blocked the caller).
pub async fn mark_conversation_read(
    state: AppState,
    ctx: CallerContext,
    req: MarkConversationReadRequest,
) -> Result<ReadReceipt, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let conversation =
        conversations::find_for_member(&mut conn, req.conversation_id, caller.user_id)
            .await?
            .ok_or_else(conversation_not_found)?;
    if !conversation_messages::exists(&mut conn, req.conversation_id, req.message_id).await? {
        return Err(ApiError::not_found("message"));
    }
    let (receipt, moved) = conversations::advance_read_marker(
        &mut conn,
        req.conversation_id,
        caller.user_id,
        req.message_id,
    )
    .await?;
    if !moved || !conversations::read_receipts_enabled(&mut conn, caller.user_id).await? {
        return Ok(receipt);
    }
    let others: Vec<Uuid> = conversation
        .member_ids
        .iter()
        .copied()
        .filter(|id| *id != caller.user_id)
        .collect();
    let blockers = blocks::blockers_of(&mut conn, caller.user_id, &others).await?;
    drop(conn);
    let event = ConversationRead {
        conversation_id: req.conversation_id,
        user_id: caller.user_id,
        message_id: receipt.message_id,
    };
    let targets = others.into_iter().filter(|id| !blockers.contains(id));
    notify::to_users(&state, targets, &event).await;
    Ok(receipt)
}

/// Who has read up to where (members only; those who opted out are left out).
pub async fn list_conversation_receipts(
    state: AppState,
    ctx: CallerContext,
    req: ListConversationReceiptsRequest,
) -> Result<ReceiptList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    if !conversations::is_member(&mut conn, req.conversation_id, caller.user_id).await? {
        return Err(conversation_not_found());
    }
    let receipts = conversations::shared_receipts(&mut conn, req.conversation_id).await?;
    Ok(ReceiptList { receipts })
}

pub async fn get_read_receipt_setting(
    state: AppState,
    ctx: CallerContext,
    _req: GetReadReceiptSettingRequest,
) -> Result<ReadReceiptSetting, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let enabled = conversations::read_receipts_enabled(&mut conn, caller.user_id).await?;
    Ok(ReadReceiptSetting { enabled })
}

pub async fn set_read_receipt_setting(
    state: AppState,
    ctx: CallerContext,
    req: SetReadReceiptSettingRequest,
) -> Result<ReadReceiptSetting, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    conversations::set_read_receipts_enabled(&mut conn, caller.user_id, req.enabled).await?;
    Ok(ReadReceiptSetting {
        enabled: req.enabled,
    })
}
