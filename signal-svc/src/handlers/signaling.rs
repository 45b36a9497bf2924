//! The signaling relay: an SDP offer or answer, or an ICE candidate, from one participant to
//! another of the same call, both connected. Nothing else is relayed: a sender who is not in the
//! call gets `forbidden` (or `not_found` if they cannot even see it), a target who is not
//! connected to it `not_found`.

use crate::{access, notify, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::{Empty, calls::RelaySignalRequest},
    rpc::CallerContext,
};

/// Relays one signal. Sizes are checked first (`payload_too_large`), then both participants, in
/// one Redis read; no other service is asked unless the sender is not in the call.
pub async fn relay_signal(
    state: AppState,
    ctx: CallerContext,
    req: RelaySignalRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    req.signal.validate()?;
    if req.to_user_id == caller.user_id {
        return Err(ApiError::invalid_request(
            "a signal goes to another participant, not to yourself",
        ));
    }
    let (from, to) = state
        .store
        .pair(req.call, caller.user_id, req.to_user_id)
        .await?;
    let Some(from) = from else {
        return Err(access::not_a_participant(&state, &ctx, caller.user_id, req.call).await);
    };
    if !from.entry.is_on(req.connection) {
        return Err(ApiError::forbidden(
            "this connection is not in the call; join the call from it first",
        ));
    }
    if to.is_none_or(|to| to.entry.disconnected_at.is_some()) {
        return Err(ApiError::not_found(
            "participant (that user is not connected to this call)",
        ));
    }
    notify::signal(&state, req.call, caller.user_id, req.to_user_id, req.signal).await;
    Ok(Empty {})
}
