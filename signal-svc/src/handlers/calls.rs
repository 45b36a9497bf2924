//! Reading a call, and moderators removing someone from a voice channel's call.

use super::{ATTEMPTS, call_state, contended, remove_and_tell};
use crate::{access, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        calls::{CallLeaveReason, CallState, GetCallRequest, RemoveCallParticipantRequest},
        community::ModerationCheckRequest,
        permissions::Permission,
    },
    rpc::CallerContext,
};

/// Who is in the call, for anyone who can see the voice channel or is a member of the
/// conversation (`not_found` for everyone else).
pub async fn get_call(
    state: AppState,
    ctx: CallerContext,
    req: GetCallRequest,
) -> Result<CallState, ApiError> {
    let caller = ctx.require_caller()?;
    let place = access::place(&state, &ctx, caller.user_id, req.call).await?;
    call_state(&state, req.call, &place).await
}

/// The permission a moderator needs to remove someone from a call (see docs/permissions.md).
pub const REMOVER: Permission = Permission::KickMembers;

/// Removes a participant from a voice channel's call: the caller must see the channel, hold
/// `kick_members` and rank above the participant (community-svc's `moderation_check`). They
/// may join again (deny them `connect` to keep them out). Conversation calls have no moderators.
pub async fn remove_call_participant(
    state: AppState,
    ctx: CallerContext,
    req: RemoveCallParticipantRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let place = access::place(&state, &ctx, caller.user_id, req.call).await?;
    let Some(community_id) = place.community_id else {
        return Err(ApiError::forbidden(
            "nobody can remove participants from a conversation call",
        ));
    };
    let not_in_call = || ApiError::not_found("call participant");
    let mut stored = state
        .store
        .participant(req.call, req.user_id)
        .await?
        .ok_or_else(not_in_call)?;
    let check = ModerationCheckRequest {
        community_id,
        actor_id: caller.user_id,
        target_id: req.user_id,
        permission: REMOVER,
    };
    state.rpc.call(&ctx, &check).await?;
    for _ in 0..ATTEMPTS {
        if remove_and_tell(&state, req.call, &stored, CallLeaveReason::Removed).await? {
            return Ok(Empty {});
        }
        // They changed (or left) meanwhile: remove whatever participation they have now.
        match state.store.participant(req.call, req.user_id).await? {
            Some(now) => stored = now,
            None => return Ok(Empty {}),
        }
    }
    Err(contended())
}
