//! Read markers: moving them, marking a whole community read, and the unread and mention
//! counts (for the caller, and for gateways building the ready snapshot).

use super::access;
use crate::{
    notify,
    repository::{messages, read_states},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        community::{ChannelKind, CommunityViewsRequest},
        messages::{
            ChannelReadState, GetReadStateRequest, MarkChannelReadRequest,
            MarkCommunityReadRequest, ReadStates, ReadStatesRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use futures::future::try_join_all;
use uuid::Uuid;

/// Most channels one `channel_read_states` request may ask about.
const MAX_CHANNELS: usize = 5000;

/// The user's read state in each channel. Role mentions count only for the user's roles, which
/// community-svc knows: it is asked only for communities where an unread message mentions a
/// role.
async fn states_of(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
    channel_ids: &[Uuid],
) -> Result<Vec<ChannelReadState>, ApiError> {
    if channel_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = state.connection().await?;
    let communities =
        read_states::communities_with_unread_role_mentions(&mut conn, user_id, channel_ids).await?;
    let views = try_join_all(communities.into_iter().map(|community_id| {
        let request = CommunityViewsRequest {
            community_id,
            user_ids: vec![user_id],
        };
        async move { state.rpc.call(ctx, &request).await }
    }))
    .await?;
    let role_ids: Vec<Uuid> = views
        .iter()
        .flat_map(|answer| answer.views.iter())
        .flat_map(|view| view.me.role_ids.iter().copied())
        .collect();
    read_states::states(&mut conn, user_id, channel_ids, &role_ids).await
}

/// Moves the caller's marker forward to a message of the channel (never back).
pub async fn mark_channel_read(
    state: AppState,
    ctx: CallerContext,
    req: MarkChannelReadRequest,
) -> Result<ChannelReadState, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    {
        let mut conn = state.connection().await?;
        messages::find(&mut conn, grant.channel_id, req.message_id)
            .await?
            .ok_or_else(|| ApiError::not_found("message"))?;
        read_states::advance(
            &mut conn,
            caller.user_id,
            &[(grant.channel_id, req.message_id)],
        )
        .await?;
    }
    let current = one(states_of(&state, &ctx, caller.user_id, &[grant.channel_id]).await?)?;
    if current.last_read_message_id == Some(req.message_id) {
        notify::read_state_updated(&state, caller.user_id, vec![current.clone()]).await;
    }
    Ok(current)
}

/// Marks every text channel of the community the caller can see read up to its newest message.
pub async fn mark_community_read(
    state: AppState,
    ctx: CallerContext,
    req: MarkCommunityReadRequest,
) -> Result<ReadStates, ApiError> {
    let caller = ctx.require_caller()?;
    let request = CommunityViewsRequest {
        community_id: req.community_id,
        user_ids: vec![caller.user_id],
    };
    let answer = state.rpc.call(&ctx, &request).await?;
    let view = answer
        .views
        .into_iter()
        .find(|view| view.me.user_id == caller.user_id)
        .ok_or_else(|| ApiError::not_found("community"))?;
    let channel_ids: Vec<Uuid> = view
        .channels
        .iter()
        .filter(|c| {
            c.channel.kind == ChannelKind::Text && c.permissions.contains(Permission::ViewChannel)
        })
        .map(|c| c.channel.channel_id)
        .collect();
    {
        let mut conn = state.connection().await?;
        let newest = messages::newest_per_channel(&mut conn, &channel_ids).await?;
        read_states::advance(&mut conn, caller.user_id, &newest).await?;
    }
    let states = states_of(&state, &ctx, caller.user_id, &channel_ids).await?;
    notify::read_state_updated(&state, caller.user_id, states.clone()).await;
    Ok(ReadStates { states })
}

/// The caller's state in one channel.
pub async fn get_read_state(
    state: AppState,
    ctx: CallerContext,
    req: GetReadStateRequest,
) -> Result<ChannelReadState, ApiError> {
    let caller = ctx.require_caller()?;
    let grant = access::grant(&state, &ctx, caller.user_id, req.channel_id).await?;
    one(states_of(&state, &ctx, caller.user_id, &[grant.channel_id]).await?)
}

/// Service to service (the ready snapshot): the caller vouches the user sees these channels.
pub async fn channel_read_states(
    state: AppState,
    ctx: CallerContext,
    req: ReadStatesRequest,
) -> Result<ReadStates, ApiError> {
    let mut channel_ids = req.channel_ids;
    channel_ids.sort();
    channel_ids.dedup();
    if channel_ids.len() > MAX_CHANNELS {
        return Err(ApiError::invalid_request(format!(
            "at most {MAX_CHANNELS} channel ids per request"
        )));
    }
    Ok(ReadStates {
        states: states_of(&state, &ctx, req.user_id, &channel_ids).await?,
    })
}

fn one(mut states: Vec<ChannelReadState>) -> Result<ChannelReadState, ApiError> {
    states
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a read state went missing")))
}
