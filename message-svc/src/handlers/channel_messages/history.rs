//! History pages of the main channel and of threads, and what a resuming client missed.

use super::{access, assemble::assemble};
use crate::{
    domain::{HistoryCursor, HistoryLimit},
    repository::messages::{self, Scope},
    state::AppState,
};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::messages::{
        ChannelMessagesSinceRequest, ListMessagesRequest, ListThreadMessagesRequest, MessageList,
        MessagesSince,
    },
    rpc::CallerContext,
};

/// Most messages one resume answer carries.
const MAX_SINCE: u32 = 500;

/// A page of the main history (thread replies excluded), oldest first.
pub async fn list_messages(
    state: AppState,
    ctx: CallerContext,
    req: ListMessagesRequest,
) -> Result<MessageList, ApiError> {
    let caller = ctx.require_caller()?;
    let cursor = HistoryCursor::parse(req.before, req.after, req.around)?;
    let limit = HistoryLimit::parse(req.limit)?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut conn = state.connection().await?;
    let rows = messages::page(
        &mut conn,
        grant.channel_id,
        Scope::Main,
        cursor,
        limit.as_i64(),
    )
    .await?;
    Ok(MessageList {
        messages: assemble(&mut conn, rows, Some(caller.user_id)).await?,
    })
}

/// A page of one thread's replies, oldest first.
pub async fn list_thread_messages(
    state: AppState,
    ctx: CallerContext,
    req: ListThreadMessagesRequest,
) -> Result<MessageList, ApiError> {
    let caller = ctx.require_caller()?;
    let cursor = HistoryCursor::parse(req.before, req.after, req.around)?;
    let limit = HistoryLimit::parse(req.limit)?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    let mut conn = state.connection().await?;
    let root = messages::find(&mut conn, grant.channel_id, req.root_id)
        .await?
        .filter(|m| m.thread_root_id.is_none())
        .ok_or_else(|| ApiError::not_found("thread"))?;
    let scope = Scope::Thread(root.message_id);
    let rows = messages::page(&mut conn, grant.channel_id, scope, cursor, limit.as_i64()).await?;
    Ok(MessageList {
        messages: assemble(&mut conn, rows, Some(caller.user_id)).await?,
    })
}

/// Service to service (gateways resuming a session): the channel's messages after `after`, main
/// history and threads, tombstones included, oldest first. A user who cannot see the channel
/// (any more) gets none, rather than an error the gateway would have to tell apart.
pub async fn channel_messages_since(
    state: AppState,
    ctx: CallerContext,
    req: ChannelMessagesSinceRequest,
) -> Result<MessagesSince, ApiError> {
    let nothing = MessagesSince {
        messages: Vec::new(),
        has_more: false,
    };
    let grant = match access::grant(&state, &ctx, req.user_id, req.channel_id).await {
        Ok(grant) => grant,
        Err(err) if matches!(err.code, ErrorCode::NotFound | ErrorCode::InvalidRequest) => {
            return Ok(nothing);
        }
        Err(err) => return Err(err),
    };
    let limit = req.limit.clamp(1, MAX_SINCE);
    let mut conn = state.connection().await?;
    let mut rows = messages::page(
        &mut conn,
        grant.channel_id,
        Scope::All,
        HistoryCursor::After(req.after),
        i64::from(limit) + 1,
    )
    .await?;
    let has_more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(MessagesSince {
        messages: assemble(&mut conn, rows, Some(req.user_id)).await?,
        has_more,
    })
}
