//! The permission answers other services and gateways ask for. The user ids come in the
//! request (a service asks about someone else), so the caller headers are not used; only
//! gateways and services can reach NATS (see docs/architecture.md, "Trust").

use super::standing::{Access, Actor};
use crate::{
    repository::{channels, members, overwrites, roles, snapshots},
    state::AppState,
    views::{self, ChannelFacts},
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            ChannelAccess, ChannelAccessRequest, CommunityViews, CommunityViewsRequest,
            ModerationCheckRequest,
        },
    },
    rpc::CallerContext,
};
use chrono::Utc;

/// Most users one `community_views` request may ask about.
const MAX_VIEWS: usize = 1000;

/// "What may user U do in channel C?": empty permissions when U is not a member, cannot see C,
/// or C does not exist. Four queries, in one consistent read.
pub async fn channel_access(
    state: AppState,
    _ctx: CallerContext,
    req: ChannelAccessRequest,
) -> Result<ChannelAccess, ApiError> {
    let mut tx = state.consistent_read().await?;
    let Some(placed) = channels::find_placed(&mut tx, req.channel_id).await? else {
        return Ok(views::no_access(req.channel_id));
    };
    let community_id = placed.channel.community_id;
    let Some(member) = members::find(&mut tx, community_id, req.user_id).await? else {
        return Ok(views::no_access(req.channel_id));
    };
    let roles = roles::list(&mut tx, community_id).await?;
    let overwrites =
        overwrites::list_for_channel(&mut tx, placed.channel.group_id, req.channel_id).await?;
    let facts = ChannelFacts {
        channel: &placed.channel,
        owner_id: placed.owner_id,
        group_visibility: placed.group_visibility,
        roles: &roles,
        overwrites: &overwrites,
    };
    Ok(views::channel_access(facts, Some(&member), Utc::now()))
}

/// "What may each of these users see in community K?": one view per user who is a member,
/// from one snapshot of the community (six queries whatever the number of users).
pub async fn community_views(
    state: AppState,
    _ctx: CallerContext,
    req: CommunityViewsRequest,
) -> Result<CommunityViews, ApiError> {
    if req.user_ids.len() > MAX_VIEWS {
        return Err(ApiError::invalid_request(format!(
            "at most {MAX_VIEWS} user ids per request"
        )));
    }
    let mut tx = state.consistent_read().await?;
    let Some(snapshot) = snapshots::load(&mut tx, req.community_id).await? else {
        return Ok(CommunityViews { views: Vec::new() });
    };
    let members = members::find_many(&mut tx, req.community_id, &req.user_ids).await?;
    let now = Utc::now();
    Ok(CommunityViews {
        views: members
            .iter()
            .map(|member| snapshot.view_of(member, now))
            .collect(),
    })
}

/// "May A use permission P on member T?", by the moderation rules (`docs/permissions.md`, "The
/// hierarchy"): A holds P community-wide and ranks strictly above T; nobody acts on the owner.
/// signal-svc asks it before a moderator removes someone from a call.
pub async fn moderation_check(
    state: AppState,
    _ctx: CallerContext,
    req: ModerationCheckRequest,
) -> Result<Empty, ApiError> {
    let mut tx = state.consistent_read().await?;
    let actor = Actor::load(&mut tx, req.community_id, req.actor_id, Access::Read).await?;
    actor.require(req.permission)?;
    let target = actor.member(&mut tx, req.target_id).await?;
    actor.require_member_below(&target)?;
    Ok(Empty {})
}
