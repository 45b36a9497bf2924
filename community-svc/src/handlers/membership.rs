//! Becoming a member (creating, joining, accepting an invite) and the view a new member gets.

use crate::{
    repository::{communities, members, snapshots},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        auth::{LookupUsersRequest, UserSummary},
        community::{CommunityView, Member},
    },
    rpc::CallerContext,
};
use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

/// The user's username and display name, asked of auth-svc (members carry a copy, kept current
/// from `user_updated` events). Called before any transaction starts, so no lock is held
/// while waiting for another service.
pub async fn lookup_profile(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
) -> Result<UserSummary, ApiError> {
    let request = LookupUsersRequest {
        user_ids: vec![user_id],
    };
    let found = state.rpc.call(ctx, &request).await?;
    found
        .users
        .into_iter()
        .find(|user| user.user_id == user_id)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Adds the user to the community and counts them. The caller holds the community lock and has
/// checked they are neither a member nor banned.
pub async fn admit(
    conn: &mut PgConnection,
    community_id: Uuid,
    user: &UserSummary,
) -> Result<Member, ApiError> {
    let member = members::insert(conn, community_id, user).await?;
    communities::count_members(conn, community_id, 1).await?;
    Ok(member)
}

/// Removes the member and counts them out. The caller holds the community lock.
pub async fn remove(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let removed = members::delete(conn, community_id, user_id).await?;
    if removed {
        communities::count_members(conn, community_id, -1).await?;
    }
    Ok(removed)
}

/// The view of `user_id` in `community_id`, read consistently; `not_found` if they are not a
/// member (any more).
pub async fn view_of(
    state: &AppState,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<CommunityView, ApiError> {
    let mut tx = state.consistent_read().await?;
    let member = members::find(&mut tx, community_id, user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let snapshot = snapshots::load(&mut tx, community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    Ok(snapshot.view_of(&member, Utc::now()))
}
