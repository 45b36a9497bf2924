//! Who may see a user's devices and fetch their bundles: those who may message them. That is
//! the user themself, anyone sharing a community with them (community-svc's
//! `shared_community` answer), and anyone in a conversation with them (message-svc's
//! conversation lists, which outlive the shared community that allowed the conversation).

use crate::state::AppState;
use chatalot_shared::{
    ApiError,
    contracts::{community::SharedCommunityRequest, conversations::ListConversationIdsRequest},
    rpc::CallerContext,
};
use std::collections::HashSet;
use uuid::Uuid;

/// True when `viewer` may see `target`'s devices.
pub async fn may_see(
    state: &AppState,
    ctx: &CallerContext,
    viewer: Uuid,
    target: Uuid,
) -> Result<bool, ApiError> {
    if viewer == target {
        return Ok(true);
    }
    let shared = state
        .rpc
        .call(
            ctx,
            &SharedCommunityRequest {
                user_id: viewer,
                other_user_ids: vec![target],
            },
        )
        .await?;
    if shared.user_ids_sharing.contains(&target) {
        return Ok(true);
    }
    let mine_request = ListConversationIdsRequest { user_id: viewer };
    let theirs_request = ListConversationIdsRequest { user_id: target };
    let (mine, theirs) = tokio::try_join!(
        state.rpc.call(ctx, &mine_request),
        state.rpc.call(ctx, &theirs_request),
    )?;
    let mine: HashSet<Uuid> = mine.conversation_ids.into_iter().collect();
    Ok(theirs.conversation_ids.iter().any(|id| mine.contains(id)))
}
