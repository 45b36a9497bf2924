//! Who hears about a user's presence (service to service, asked by gateways): the communities
//! a user belongs to (a presence change goes to each of them), and the people who share one
//! with them, bounded, for the ready snapshot. Like the permission answers, the user id comes
//! in the request, not from caller headers (only gateways and services can reach NATS).

use crate::{repository::OrInternal, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::presence::{CoMembers, CoMembersRequest, UserCommunityIds, UserCommunityIdsRequest},
    rpc::CallerContext,
};
use std::collections::HashSet;
use uuid::Uuid;

/// The largest bounds a caller may ask for.
const MAX_PER_COMMUNITY: u32 = 10_000;
const MAX_USERS: u32 = 50_000;

/// Every community `user_id` belongs to.
pub async fn user_community_ids(
    state: AppState,
    _ctx: CallerContext,
    req: UserCommunityIdsRequest,
) -> Result<UserCommunityIds, ApiError> {
    let mut conn = state.connection().await?;
    let community_ids = sqlx::query_scalar(
        "select community_id from members where user_id = $1 order by community_id",
    )
    .bind(req.user_id)
    .fetch_all(&mut *conn)
    .await
    .or_internal("listing a user's communities")?;
    Ok(UserCommunityIds { community_ids })
}

/// The first `per_community` members (by user id) of each of `user_id`'s communities, at most
/// `max_users` distinct people in all. One query walking the members' primary key per
/// community, so a community of a million members costs `per_community` rows, not a million.
pub async fn co_members(
    state: AppState,
    _ctx: CallerContext,
    req: CoMembersRequest,
) -> Result<CoMembers, ApiError> {
    if req.per_community > MAX_PER_COMMUNITY || req.max_users > MAX_USERS {
        return Err(ApiError::invalid_request(format!(
            "per_community may be at most {MAX_PER_COMMUNITY} and max_users at most {MAX_USERS}"
        )));
    }
    let mut conn = state.connection().await?;
    // One more than asked per community tells whether it was cut.
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select mine.community_id, other.user_id from members mine \
           cross join lateral ( \
             select o.user_id from members o where o.community_id = mine.community_id \
              order by o.user_id limit $2 \
           ) other \
          where mine.user_id = $1 \
          order by mine.joined_at, mine.community_id, other.user_id",
    )
    .bind(req.user_id)
    .bind(i64::from(req.per_community) + 1)
    .fetch_all(&mut *conn)
    .await
    .or_internal("listing co-members")?;
    Ok(bound(req, rows))
}

/// Applies the bounds to `(community_id, user_id)` rows grouped by community.
fn bound(req: CoMembersRequest, rows: Vec<(Uuid, Uuid)>) -> CoMembers {
    let mut seen = HashSet::new();
    let mut user_ids = Vec::new();
    let mut truncated = false;
    let mut current: Option<Uuid> = None;
    let mut taken_here = 0u32;
    for (community_id, user_id) in rows {
        if current != Some(community_id) {
            current = Some(community_id);
            taken_here = 0;
        }
        taken_here += 1;
        if taken_here > req.per_community {
            truncated = true;
            continue;
        }
        if user_id == req.user_id || !seen.insert(user_id) {
            continue;
        }
        if user_ids.len() >= req.max_users as usize {
            truncated = true;
            break;
        }
        user_ids.push(user_id);
    }
    CoMembers {
        user_ids,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_apply_per_community_and_in_all() {
        let me = Uuid::now_v7();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (x, y, z) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let rows = vec![(a, me), (a, x), (a, y), (b, x), (b, z)];
        let request = |per_community, max_users| CoMembersRequest {
            user_id: me,
            per_community,
            max_users,
        };
        let all = bound(request(10, 10), rows.clone());
        assert_eq!((all.user_ids, all.truncated), (vec![x, y, z], false));
        // Two rows of `a` are taken (me and x), the third is cut.
        let per = bound(request(2, 10), rows.clone());
        assert_eq!((per.user_ids, per.truncated), (vec![x, z], true));
        let total = bound(request(10, 2), rows);
        assert_eq!((total.user_ids, total.truncated), (vec![x, y], true));
    }
}
