//! "Do these users share a community with U?": message-svc asks before it lets U start or
//! extend a conversation with them. Like the permission answers, the user ids come in the
//! request, not from the caller headers (only gateways and services can reach NATS).
//!
//! The one query lives here rather than in `repository/members.rs` so that this answer stays a
//! single self-contained addition; move it there when that module is next reworked.

use crate::{repository::OrInternal, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::community::{SharedCommunityAnswer, SharedCommunityRequest},
    rpc::CallerContext,
};

/// Most users one request may ask about.
const MAX_USERS: usize = 1000;

/// The users among `other_user_ids` who are members of at least one community `user_id`
/// belongs to, in id order. One query over the members table, whatever the number of users.
pub async fn shared_community(
    state: AppState,
    _ctx: CallerContext,
    req: SharedCommunityRequest,
) -> Result<SharedCommunityAnswer, ApiError> {
    if req.other_user_ids.len() > MAX_USERS {
        return Err(ApiError::invalid_request(format!(
            "at most {MAX_USERS} user ids per request"
        )));
    }
    if req.other_user_ids.is_empty() {
        return Ok(SharedCommunityAnswer {
            user_ids_sharing: Vec::new(),
        });
    }
    let mut conn = state.connection().await?;
    let user_ids_sharing = sqlx::query_scalar(
        "select distinct other.user_id from members mine \
           join members other on other.community_id = mine.community_id \
          where mine.user_id = $1 and other.user_id = any($2) \
          order by other.user_id",
    )
    .bind(req.user_id)
    .bind(&req.other_user_ids)
    .fetch_all(&mut *conn)
    .await
    .or_internal("finding users who share a community")?;
    Ok(SharedCommunityAnswer { user_ids_sharing })
}
