//! Typing indicators: Redis only, throttled to one event per user and channel every
//! [`THROTTLE_SECS`] seconds; clients expire them themselves at `expires_at`.

use super::access;
use crate::{notify, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::{Empty, messages::StartTypingRequest, permissions::Permission},
    rpc::CallerContext,
};
use chrono::{Duration, Utc};

const THROTTLE_SECS: u64 = 5;
/// Longer than the throttle, so a user who keeps typing shows without gaps.
const SHOWN_SECS: i64 = 8;

/// Announces that the caller is typing, unless they did so in the last few seconds (then it
/// answers the same and does nothing). Needs `send_messages`.
pub async fn start_typing(
    state: AppState,
    ctx: CallerContext,
    req: StartTypingRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    grant.require(Permission::SendMessages)?;
    let key = state
        .cache
        .key(&format!("typing:{}:{}", grant.channel_id, caller.user_id));
    let mut conn = state.cache.conn();
    // SET NX EX: only the first call of a window creates the key and announces.
    let first: Result<Option<String>, _> = redis::cmd("SET")
        .arg(&key)
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(THROTTLE_SECS)
        .query_async(&mut conn)
        .await;
    let announce = match first {
        Ok(set) => set.is_some(),
        Err(err) => {
            // Without Redis there is no throttle; typing indicators are worth more than quiet.
            tracing::warn!(error = %err, "typing throttle not checked");
            true
        }
    };
    if announce {
        let expires_at = Utc::now() + Duration::seconds(SHOWN_SECS);
        notify::typing_started(
            &state,
            grant.community_id,
            grant.channel_id,
            caller.user_id,
            expires_at,
        )
        .await;
    }
    Ok(Empty {})
}
