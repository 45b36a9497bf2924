//! The operations, one module per area: taking part in a call (join, leave, own state, a
//! connection that ended), relaying signals, reading and moderating calls, ICE servers.

mod calls;
mod ice;
mod participation;
mod signaling;

use crate::{
    access::{self, Audience, Place},
    notify,
    state::AppState,
    store::Stored,
};
use chatalot_shared::{
    ApiError,
    contracts::calls::{CallId, CallState},
    rpc::RpcRouter,
    subjects::Service,
};

pub use participation::{mark_disconnected, remove_and_tell};

/// How often a change that lost a compare-and-set race (another replica changed the same
/// participant in between) is tried again before giving up with 503.
const ATTEMPTS: usize = 5;

/// Every operation of the signal service.
pub fn router(state: AppState) -> RpcRouter<AppState> {
    RpcRouter::new(Service::Signal, state)
        .route(participation::join_call)
        .route(participation::leave_call)
        .route(participation::update_call_state)
        .route(participation::call_connection_closed)
        .route(signaling::relay_signal)
        .route(calls::get_call)
        .route(calls::remove_call_participant)
        .route(ice::ice_servers)
}

/// The call as it stands, for someone who may see it.
async fn call_state(state: &AppState, call: CallId, place: &Place) -> Result<CallState, ApiError> {
    let participants = state.store.participants(call).await?;
    Ok(CallState {
        call,
        max_participants: place.max_participants,
        participants: participants
            .iter()
            .map(|stored| stored.entry.participant())
            .collect(),
    })
}

fn contended() -> ApiError {
    ApiError::service_unavailable("the call changed too often meanwhile; try again")
}

/// Publishes `updated` for `stored` to `audience`, or to the call's audience when none is known.
async fn tell_updated(state: &AppState, call: CallId, stored: &Stored, audience: Option<Audience>) {
    let audience = match audience {
        Some(audience) => audience,
        None => access::audience_of(state, call, &stored.entry).await,
    };
    notify::updated(state, &audience, call, &stored.entry).await;
}
