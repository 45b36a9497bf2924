//! Sending and forwarding. Both create a message the same way: idempotent by the author's nonce,
//! after the channel's rules (permissions, slow mode) are checked, stored with its attachments
//! and mentions by [`storing`] and announced after the commit.

use super::{
    access::{self, ChannelGrant},
    assemble::assemble_one,
    storing::{self, Draft, Stored},
};
use crate::{
    domain::{MessageBody, Nonce, ParsedMentions},
    repository::messages,
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        messages::{ForwardMessageRequest, ForwardedFrom, Message, SendMessageRequest},
        permissions::Permission,
    },
    rpc::CallerContext,
};
use std::time::Duration;
use uuid::Uuid;

/// Sends a message to a text channel.
pub async fn send_message(
    state: AppState,
    ctx: CallerContext,
    req: SendMessageRequest,
) -> Result<Message, ApiError> {
    let caller = ctx.require_caller()?;
    let nonce = Nonce::parse(&req.nonce)?;
    let body = MessageBody::parse(&req.body)?;
    if body.is_empty() && req.attachment_ids.is_empty() {
        return Err(ApiError::invalid_request(
            "a message needs a body or at least one attachment",
        ));
    }
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    if let Some(sent) = replay(&state, &grant, &nonce).await? {
        return Ok(sent);
    }
    grant.require(Permission::SendMessages)?;
    if !req.attachment_ids.is_empty() {
        grant.require(Permission::AttachFiles)?;
    }
    check_references(&state, &grant, req.reply_to, req.thread_root_id).await?;
    slow_mode(&state, &grant).await?;
    let mentions = ParsedMentions::parse(body.as_str())
        .authorised(grant.community_id, grant.may(Permission::MentionEveryone));
    let draft = Draft {
        grant,
        nonce,
        body,
        reply_to: req.reply_to,
        thread_root_id: req.thread_root_id,
        forwarded_from: None,
        attachment_ids: req.attachment_ids,
        mentions,
    };
    create(&state, draft).await
}

/// Copies a message's text to another channel, saying where it comes from. Attachments are not
/// copied (they belong to the original message and its channel's readers), and the copy
/// mentions nobody: forwarding must not ping a second time.
pub async fn forward_message(
    state: AppState,
    ctx: CallerContext,
    req: ForwardMessageRequest,
) -> Result<Message, ApiError> {
    let caller = ctx.require_caller()?;
    let nonce = Nonce::parse(&req.nonce)?;
    let source = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let original = {
        let mut conn = state.connection().await?;
        messages::find(&mut conn, source.channel_id, req.message_id)
            .await?
            .filter(|m| !m.deleted)
            .ok_or_else(|| ApiError::not_found("message"))?
    };
    let target = access::grant(&state, &ctx, caller.user_id, req.to_channel_id).await?;
    if let Some(sent) = replay(&state, &target, &nonce).await? {
        return Ok(sent);
    }
    target.require(Permission::SendMessages)?;
    let body = MessageBody::parse(&original.body)?;
    if body.is_empty() {
        return Err(ApiError::invalid_request(
            "only a message's text can be forwarded, and this one has none",
        ));
    }
    slow_mode(&state, &target).await?;
    let draft = Draft {
        grant: target,
        nonce,
        body,
        reply_to: None,
        thread_root_id: None,
        forwarded_from: Some(ForwardedFrom {
            channel_id: original.channel_id,
            message_id: original.message_id,
            author_id: original.author_id,
        }),
        attachment_ids: Vec::new(),
        mentions: ParsedMentions::default(),
    };
    create(&state, draft).await
}

/// Stores the message (with the channel's other waiting sends, [`storing`]); it has been
/// announced when this returns. When a concurrent call with the same nonce won, its message is
/// the answer and nothing is announced twice.
async fn create(state: &AppState, draft: Draft) -> Result<Message, ApiError> {
    let grant = draft.grant.clone();
    let nonce = draft.nonce.clone();
    match storing::store(state, draft).await? {
        Stored::New(message) => Ok(*message),
        Stored::Duplicate => replay(state, &grant, &nonce).await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "a nonce conflicted but its message is gone"
            ))
        }),
    }
}

/// The message the user already sent with this nonce, if any. A nonce used in another channel is
/// refused rather than answered with a message from elsewhere.
async fn replay(
    state: &AppState,
    grant: &ChannelGrant,
    nonce: &Nonce,
) -> Result<Option<Message>, ApiError> {
    let mut conn = state.connection().await?;
    let Some(existing) = messages::find_by_nonce(&mut conn, grant.user_id, nonce).await? else {
        return Ok(None);
    };
    if existing.channel_id != grant.channel_id {
        return Err(ApiError::invalid_request(
            "this nonce was already used for a message in another channel",
        ));
    }
    assemble_one(&mut conn, existing, Some(grant.user_id))
        .await
        .map(Some)
}

/// A reply answers a message of the same channel; a thread reply goes under a root message of
/// the same channel (one not itself in a thread). Neither may be deleted.
async fn check_references(
    state: &AppState,
    grant: &ChannelGrant,
    reply_to: Option<Uuid>,
    thread_root_id: Option<Uuid>,
) -> Result<(), ApiError> {
    if reply_to.is_none() && thread_root_id.is_none() {
        return Ok(());
    }
    let mut conn = state.connection().await?;
    if let Some(id) = reply_to {
        let found = messages::find(&mut conn, grant.channel_id, id).await?;
        if found.is_none_or(|m| m.deleted) {
            return Err(ApiError::invalid_request(
                "reply_to must be a message of this channel that is not deleted",
            ));
        }
    }
    if let Some(id) = thread_root_id {
        let found = messages::find(&mut conn, grant.channel_id, id).await?;
        if !found.is_some_and(|m| !m.deleted && m.thread_root_id.is_none()) {
            return Err(ApiError::invalid_request(
                "thread_root_id must be a message of this channel that is not deleted and not \
                 itself in a thread",
            ));
        }
    }
    Ok(())
}

/// One message per slow-mode window per member (Redis, so it holds across replicas). If Redis
/// cannot be reached, the message goes through: slow mode is a courtesy, not a security check.
async fn slow_mode(state: &AppState, grant: &ChannelGrant) -> Result<(), ApiError> {
    if !grant.slow_mode_applies() {
        return Ok(());
    }
    let key = format!("slowmode:{}:{}", grant.channel_id, grant.user_id);
    let window = Duration::from_secs(u64::from(grant.slow_mode_secs));
    match state.cache.hit(&key, 1, window).await {
        Ok(window) => window.check().map_err(|mut err| {
            err.message = format!(
                "slow mode is on: one message every {} seconds; retry in {} seconds",
                grant.slow_mode_secs,
                window.rate_limit().reset_secs
            );
            err
        }),
        Err(err) => {
            tracing::warn!(error = %err, channel_id = %grant.channel_id, "slow mode not checked");
            Ok(())
        }
    }
}
