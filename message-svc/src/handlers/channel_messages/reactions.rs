//! Reactions: one emoji per reaction, at most [`MAX_EMOJI`] different ones per message.

use super::access;
use crate::{
    domain::{Emoji, PageLimit},
    notify::{self, Reaction},
    repository::{messages, reactions},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        messages::{
            AddReactionRequest, ListReactionUsersRequest, ReactionUserPage, RemoveReactionRequest,
        },
        permissions::Permission,
    },
    db::OrInternal,
    rpc::CallerContext,
};

/// Different emoji one message may carry (a flood of distinct emoji would bloat every page).
const MAX_EMOJI: usize = 20;

/// Reacts (`add_reactions`); reacting again with the same emoji changes nothing.
pub async fn add_reaction(
    state: AppState,
    ctx: CallerContext,
    req: AddReactionRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let emoji = Emoji::parse(&req.emoji)?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    grant.require(Permission::AddReactions)?;
    let mut tx = state.begin().await?;
    // The row lock makes the emoji limit hold against concurrent reactions.
    let message = messages::find_for_update(&mut tx, grant.channel_id, req.message_id)
        .await?
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiError::not_found("message"))?;
    let present = reactions::emoji_of(&mut tx, message.message_id).await?;
    if !present.iter().any(|e| e == emoji.as_str()) && present.len() >= MAX_EMOJI {
        return Err(ApiError::invalid_request(format!(
            "a message carries at most {MAX_EMOJI} different emoji"
        )));
    }
    let added = reactions::add(&mut tx, message.message_id, emoji.as_str(), caller.user_id).await?;
    tx.commit().await.or_internal("committing a reaction")?;
    if added {
        let reaction = Reaction {
            community_id: grant.community_id,
            channel_id: grant.channel_id,
            message_id: message.message_id,
            emoji: emoji.as_str(),
            user_id: caller.user_id,
        };
        notify::reaction_added(&state, reaction).await;
    }
    Ok(Empty {})
}

/// Takes back the caller's own reaction (no right needed beyond seeing the channel).
pub async fn remove_reaction(
    state: AppState,
    ctx: CallerContext,
    req: RemoveReactionRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let emoji = Emoji::parse(&req.emoji)?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut conn = state.connection().await?;
    let message = messages::find(&mut conn, grant.channel_id, req.message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    let removed = reactions::remove(
        &mut conn,
        message.message_id,
        emoji.as_str(),
        caller.user_id,
    )
    .await?;
    if removed {
        let reaction = Reaction {
            community_id: grant.community_id,
            channel_id: grant.channel_id,
            message_id: message.message_id,
            emoji: emoji.as_str(),
            user_id: caller.user_id,
        };
        notify::reaction_removed(&state, reaction).await;
    }
    Ok(Empty {})
}

/// Who reacted with one emoji, by user id.
pub async fn list_reaction_users(
    state: AppState,
    ctx: CallerContext,
    req: ListReactionUsersRequest,
) -> Result<ReactionUserPage, ApiError> {
    let caller = ctx.require_caller()?;
    let emoji = Emoji::parse(&req.emoji)?;
    let limit = PageLimit::parse(req.limit)?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut conn = state.connection().await?;
    let message = messages::find(&mut conn, grant.channel_id, req.message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    let user_ids = reactions::users(
        &mut conn,
        message.message_id,
        emoji.as_str(),
        req.after,
        limit.as_i64(),
    )
    .await?;
    let next_cursor = if limit.is_full(user_ids.len()) {
        user_ids.last().copied()
    } else {
        None
    };
    Ok(ReactionUserPage {
        user_ids,
        next_cursor,
    })
}
