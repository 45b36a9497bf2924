//! Taking part in a call: join, leave, one's own state, and the end of the connection that
//! carried the participation (the grace period starts; the sweeper removes them after it).

use super::{ATTEMPTS, call_state, contended, tell_updated};
use crate::{
    access, notify,
    state::AppState,
    store::{Entry, JoinOutcome, Stored},
};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::{
        Empty,
        calls::{
            CallConnectionClosedRequest, CallId, CallLeaveReason, CallParticipant, CallState,
            JoinCallRequest, LeaveCallRequest, UpdateCallStateRequest,
        },
    },
    rpc::CallerContext,
};
use chrono::Utc;
use uuid::Uuid;

/// Joins the call from the connection the command came on, after leaving any other call (a
/// user is in one call at a time). Joining again from the same live connection changes nothing;
/// from another connection (a reconnect, another device) the participation moves there.
pub async fn join_call(
    state: AppState,
    ctx: CallerContext,
    req: JoinCallRequest,
) -> Result<CallState, ApiError> {
    let caller = ctx.require_caller()?;
    let call = req.call;
    let place = access::place(&state, &ctx, caller.user_id, call).await?;
    if !place.can_connect {
        return Err(ApiError::forbidden(
            "you need the connect permission to join this call",
        ));
    }
    if place.archived {
        return Err(ApiError::forbidden(
            "this voice channel is archived; unarchive it to call in it",
        ));
    }
    if let Some(current) = state.store.participant(call, caller.user_id).await?
        && current.entry.is_on(req.connection)
    {
        return call_state(&state, call, &place).await;
    }
    let entry = Entry {
        user_id: caller.user_id,
        session_id: caller.session_id,
        connection: req.connection,
        community_id: place.community_id,
        joined_at: Utc::now(),
        muted: req.muted,
        deafened: req.deafened,
        camera: req.camera,
        screen_sharing: false,
        can_speak: true,
        can_video: true,
        disconnected_at: None,
        gateway_seen: state.store.gateway_alive(req.connection.gateway_id).await?,
    }
    .with_rights(place.can_speak, place.can_video);
    for _ in 0..ATTEMPTS {
        match state
            .store
            .join(call, &entry, place.max_participants)
            .await?
        {
            JoinOutcome::In => {
                notify::joined(&state, &place.audience, call, &entry).await;
                return call_state(&state, call, &place).await;
            }
            JoinOutcome::Full => {
                return Err(ApiError::new(
                    ErrorCode::CallFull,
                    format!(
                        "this call is full ({} participants at most)",
                        place.max_participants
                    ),
                ));
            }
            JoinOutcome::InOtherCall(other) => leave_other(&state, caller.user_id, other).await?,
            JoinOutcome::Retry => {}
        }
    }
    Err(contended())
}

/// Takes `user_id` out of `other` before they join another call.
async fn leave_other(state: &AppState, user_id: Uuid, other: CallId) -> Result<(), ApiError> {
    match state.store.participant(other, user_id).await? {
        None => state.store.clear_user_call(user_id, other).await?,
        Some(stored) => {
            remove_and_tell(state, other, &stored, CallLeaveReason::Moved).await?;
        }
    }
    Ok(())
}

/// Removes the participant `stored` describes and, if this call removed them, tells the call.
/// Returns whether it removed them.
pub async fn remove_and_tell(
    state: &AppState,
    call: CallId,
    stored: &Stored,
    reason: CallLeaveReason,
) -> Result<bool, ApiError> {
    if !state.store.remove(call, stored).await? {
        return Ok(false);
    }
    let audience = access::audience_of(state, call, &stored.entry).await;
    notify::left(state, &audience, call, stored.entry.user_id, reason).await;
    tracing::debug!(call = %call.key(), user_id = %stored.entry.user_id, ?reason, "left a call");
    Ok(true)
}

/// Leaves the call, from any connection of the user (hanging up on another device included).
/// Harmless when not in it.
pub async fn leave_call(
    state: AppState,
    ctx: CallerContext,
    req: LeaveCallRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    for _ in 0..ATTEMPTS {
        let Some(stored) = state.store.participant(req.call, caller.user_id).await? else {
            return Ok(Empty {});
        };
        if remove_and_tell(&state, req.call, &stored, CallLeaveReason::Left).await? {
            return Ok(Empty {});
        }
    }
    Err(contended())
}

/// Changes the caller's own state, from the connection that is in the call. Turning the
/// microphone, camera or screen on checks the rights afresh (a timeout or a permission change
/// since the join applies at once).
pub async fn update_call_state(
    state: AppState,
    ctx: CallerContext,
    req: UpdateCallStateRequest,
) -> Result<CallParticipant, ApiError> {
    let caller = ctx.require_caller()?;
    let call = req.call;
    let Some(mut stored) = state.store.participant(call, caller.user_id).await? else {
        return Err(access::not_a_participant(&state, &ctx, caller.user_id, call).await);
    };
    if !stored.entry.is_on(req.connection) {
        return Err(not_this_connection());
    }
    let wants_audio = req.muted == Some(false);
    let wants_video = req.camera == Some(true) || req.screen_sharing == Some(true);
    let (mut can_speak, mut can_video) = (stored.entry.can_speak, stored.entry.can_video);
    let mut audience = None;
    if wants_audio || wants_video {
        let place = access::place(&state, &ctx, caller.user_id, call).await?;
        can_speak = place.can_speak;
        can_video = place.can_video;
        let timed_out = place
            .timed_out_until
            .map(|until| format!("you are timed out until {until}"));
        if wants_audio && !can_speak {
            return Err(ApiError::forbidden(timed_out.unwrap_or_else(|| {
                "you need the speak permission to unmute here".into()
            })));
        }
        if wants_video && !can_video {
            return Err(ApiError::forbidden(timed_out.unwrap_or_else(|| {
                "you need the video permission to share video here".into()
            })));
        }
        audience = Some(place.audience);
    }
    for _ in 0..ATTEMPTS {
        let mut entry = stored.entry.clone();
        entry.muted = req.muted.unwrap_or(entry.muted);
        entry.deafened = req.deafened.unwrap_or(entry.deafened);
        entry.camera = req.camera.unwrap_or(entry.camera);
        entry.screen_sharing = req.screen_sharing.unwrap_or(entry.screen_sharing);
        let entry = entry.with_rights(can_speak, can_video);
        if entry == stored.entry {
            return Ok(entry.participant());
        }
        match state.store.replace(call, &stored, entry).await? {
            Some(updated) => {
                tell_updated(&state, call, &updated, audience).await;
                return Ok(updated.entry.participant());
            }
            None => {
                stored = state
                    .store
                    .participant(call, caller.user_id)
                    .await?
                    .filter(|s| s.entry.is_on(req.connection))
                    .ok_or_else(not_this_connection)?;
            }
        }
    }
    Err(contended())
}

fn not_this_connection() -> ApiError {
    ApiError::forbidden("this connection is not in the call; join the call from it first")
}

/// The connection ended on its gateway. If it carried the user's call, the participant is
/// marked disconnected: the others are told, and the sweeper removes them after the grace
/// period unless they join again first.
pub async fn call_connection_closed(
    state: AppState,
    ctx: CallerContext,
    req: CallConnectionClosedRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let Some(call) = state.store.user_call(caller.user_id).await? else {
        return Ok(Empty {});
    };
    for _ in 0..ATTEMPTS {
        let Some(stored) = state.store.participant(call, caller.user_id).await? else {
            return Ok(Empty {});
        };
        if !stored.entry.is_on(req.connection) || mark_disconnected(&state, call, &stored).await? {
            return Ok(Empty {});
        }
    }
    Err(contended())
}

/// Marks `stored` disconnected now (if it is still exactly that record) and tells the call.
/// Returns whether this call marked it.
pub async fn mark_disconnected(
    state: &AppState,
    call: CallId,
    stored: &Stored,
) -> Result<bool, ApiError> {
    let mut entry = stored.entry.clone();
    entry.disconnected_at = Some(Utc::now());
    match state.store.replace(call, stored, entry).await? {
        Some(updated) => {
            tell_updated(state, call, &updated, None).await;
            Ok(true)
        }
        None => Ok(false),
    }
}
