//! Blocking users. A block is one-sided in what it hides (the blocker stops receiving from the
//! blocked user) and two-sided in what it prevents (no new conversation either way).

use crate::{repository::blocks, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        auth::LookupUsersRequest,
        conversations::{BlockList, BlockUserRequest, ListBlocksRequest, UnblockUserRequest},
    },
    rpc::CallerContext,
};

/// Blocks an existing user (asks auth-svc, so a typo is `not_found` rather than a silent row).
pub async fn block_user(
    state: AppState,
    ctx: CallerContext,
    req: BlockUserRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    if req.user_id == caller.user_id {
        return Err(ApiError::invalid_request("you cannot block yourself"));
    }
    let lookup = LookupUsersRequest {
        user_ids: vec![req.user_id],
    };
    let found = state.rpc.call(&ctx, &lookup).await?;
    if !found.users.iter().any(|u| u.user_id == req.user_id) {
        return Err(ApiError::not_found("user"));
    }
    let mut conn = state.connection().await?;
    blocks::insert(&mut conn, caller.user_id, req.user_id).await?;
    Ok(Empty {})
}

pub async fn unblock_user(
    state: AppState,
    ctx: CallerContext,
    req: UnblockUserRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    blocks::delete(&mut conn, caller.user_id, req.user_id).await?;
    Ok(Empty {})
}

pub async fn list_blocks(
    state: AppState,
    ctx: CallerContext,
    _req: ListBlocksRequest,
) -> Result<BlockList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let blocks = blocks::list(&mut conn, caller.user_id).await?;
    Ok(BlockList { blocks })
}
