//! Full-text search over the channels the caller can see now (asked of community-svc on every
//! search, so a channel that was hidden from them stops answering at once).

use super::assemble::assemble;
use crate::{
    domain::{SearchLimit, SearchText},
    repository::messages::{self, SearchFilter},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        community::{ChannelKind, ListMyCommunitiesRequest},
        messages::{MessageSearchPage, SearchMessagesRequest},
        permissions::Permission,
    },
    rpc::CallerContext,
};
use uuid::Uuid;

/// Messages matching the query and filters, newest first; deleted messages never.
pub async fn search_messages(
    state: AppState,
    ctx: CallerContext,
    req: SearchMessagesRequest,
) -> Result<MessageSearchPage, ApiError> {
    let caller = ctx.require_caller()?;
    let text = SearchText::parse(req.query.as_deref())?;
    let limit = SearchLimit::parse(req.limit)?;
    if let (Some(before), Some(after)) = (req.before, req.after)
        && before <= after
    {
        return Err(ApiError::invalid_request("before must be later than after"));
    }
    let views = state.rpc.call(&ctx, &ListMyCommunitiesRequest {}).await?;
    let channel_ids: Vec<Uuid> = views
        .views
        .iter()
        .filter(|view| {
            req.community_id
                .is_none_or(|id| id == view.community.community_id)
        })
        .flat_map(|view| view.channels.iter())
        .filter(|c| {
            c.channel.kind == ChannelKind::Text
                && c.permissions.contains(Permission::ViewChannel)
                && req.channel_id.is_none_or(|id| id == c.channel.channel_id)
        })
        .map(|c| c.channel.channel_id)
        .collect();
    if channel_ids.is_empty() {
        return Ok(MessageSearchPage {
            messages: Vec::new(),
            next_cursor: None,
        });
    }
    let filter = SearchFilter {
        channel_ids: &channel_ids,
        text: text.value(),
        author_id: req.author_id,
        sent_before: req.before,
        sent_after: req.after,
        has_attachment: req.has_attachment,
        before_id: req.before_id,
        limit: limit.as_i64(),
    };
    let mut conn = state.connection().await?;
    let rows = messages::search(&mut conn, &filter).await?;
    let next_cursor = if limit.is_full(rows.len()) {
        rows.last().map(|m| m.message_id)
    } else {
        None
    };
    Ok(MessageSearchPage {
        messages: assemble(&mut conn, rows, Some(caller.user_id)).await?,
        next_cursor,
    })
}
