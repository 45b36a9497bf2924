//! Editing (own messages, keeping previous bodies) and soft deletion (own, or anyone's with
//! `manage_messages`).

use super::{
    access,
    assemble::{assemble_one, for_everyone},
};
use crate::{
    domain::{MessageBody, ParsedMentions},
    notify,
    repository::{attachments, edits, mentions, messages, pins, reactions},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        messages::{
            DeleteMessageRequest, EditMessageRequest, ListMessageEditsRequest, Message,
            MessageEditList,
        },
        permissions::Permission,
    },
    db::OrInternal,
    rpc::CallerContext,
};
use chrono::Utc;

/// Replaces the body of the caller's own message; the old body is kept in its edits and the
/// mentions follow the new one. Posting rights are needed as for sending (a timed-out member,
/// or one in a read-only or archived channel, cannot change what they wrote either).
pub async fn edit_message(
    state: AppState,
    ctx: CallerContext,
    req: EditMessageRequest,
) -> Result<Message, ApiError> {
    let caller = ctx.require_caller()?;
    let body = MessageBody::parse(&req.body)?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut tx = state.begin().await?;
    let current = messages::find_for_update(&mut tx, grant.channel_id, req.message_id)
        .await?
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiError::not_found("message"))?;
    if current.author_id != caller.user_id {
        return Err(ApiError::forbidden("you can only edit your own messages"));
    }
    grant.require(Permission::SendMessages)?;
    if current.forwarded_from().is_some() {
        return Err(ApiError::invalid_request(
            "a forwarded message cannot be edited",
        ));
    }
    if body.is_empty()
        && attachments::of_messages(&mut tx, &[current.message_id])
            .await?
            .is_empty()
    {
        return Err(ApiError::invalid_request(
            "a message needs a body or at least one attachment",
        ));
    }
    if body.as_str() == current.body {
        return assemble_one(&mut tx, current, Some(caller.user_id)).await;
    }
    let now = Utc::now();
    edits::record(&mut tx, current.message_id, &current.body, now).await?;
    let updated = messages::set_body(&mut tx, current.message_id, &body, now).await?;
    let parsed = ParsedMentions::parse(body.as_str())
        .authorised(grant.community_id, grant.may(Permission::MentionEveryone));
    mentions::forget(&mut tx, updated.message_id).await?;
    mentions::record(&mut tx, &updated, &parsed).await?;
    let message = assemble_one(&mut tx, updated, Some(caller.user_id)).await?;
    tx.commit().await.or_internal("committing an edit")?;
    notify::message_edited(&state, &for_everyone(message.clone())).await;
    Ok(message)
}

/// Turns a message into a tombstone: its body, previous bodies, reactions, mentions, pin and
/// attachments go (the attachments' bytes are swept later);
/// its place in history (and its thread) stays. Deleting a tombstone again changes nothing.
pub async fn delete_message(
    state: AppState,
    ctx: CallerContext,
    req: DeleteMessageRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut tx = state.begin().await?;
    let current = messages::find_for_update(&mut tx, grant.channel_id, req.message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    if current.deleted {
        return Ok(Empty {});
    }
    if current.author_id != caller.user_id && !grant.may(Permission::ManageMessages) {
        return Err(ApiError::forbidden(
            "deleting others' messages needs the manage_messages permission",
        ));
    }
    let id = current.message_id;
    messages::mark_deleted(&mut tx, id).await?;
    edits::forget(&mut tx, id).await?;
    reactions::forget(&mut tx, id).await?;
    mentions::forget(&mut tx, id).await?;
    pins::unpin(&mut tx, id).await?;
    attachments::release(&mut tx, id).await?;
    tx.commit().await.or_internal("committing a deletion")?;
    notify::message_deleted(&state, grant.community_id, grant.channel_id, id).await;
    Ok(Empty {})
}

/// The previous bodies of a message, oldest first (none once it is deleted).
pub async fn list_message_edits(
    state: AppState,
    ctx: CallerContext,
    req: ListMessageEditsRequest,
) -> Result<MessageEditList, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut conn = state.connection().await?;
    let message = messages::find(&mut conn, grant.channel_id, req.message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(MessageEditList {
        edits: edits::list(&mut conn, message.message_id).await?,
    })
}
