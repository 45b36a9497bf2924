//! Communities: creating, reading, changing, deleting, transferring, discovering, and the
//! caller's views of them.

use super::{
    changes, membership,
    standing::{Access, Actor, community_not_found, not_a_member, visible_community},
};
use crate::{
    domain::{
        ChannelName, CommunityName, Description, GroupName, IconRef, PageLimit, SearchQuery,
        SlowMode, VoiceCap, WelcomeMessage,
    },
    notify::{self, ViewChange},
    permissions,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        channels::{self, NewChannel},
        communities, contains_pattern, groups, members,
        roles::{self, NewRole},
        snapshots,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            ChannelKind, Community, CommunityAuditAction, CommunityPage, CommunityView,
            CommunityViewList, CommunityVisibility, CreateCommunityRequest, DeleteCommunityRequest,
            DiscoverCommunitiesRequest, GetCommunityRequest, GetCommunityViewRequest,
            GroupVisibility, ListMyCommunitiesRequest, TransferOwnershipRequest,
            UpdateCommunityRequest,
        },
        permissions::Permission,
    },
    rpc::CallerContext,
};
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

/// Creates a community owned by the caller, who becomes its first member. It starts with the
/// `@everyone` role (id = community id, position 0, the default permissions) and a public
/// group "General" holding a text channel "general" and a voice channel "Voice".
/// Communities are private (invite only) unless the request says otherwise.
pub async fn create_community(
    state: AppState,
    ctx: CallerContext,
    req: CreateCommunityRequest,
) -> Result<Community, ApiError> {
    let caller = ctx.require_caller()?;
    let name = CommunityName::parse(&req.name)?;
    let description = req
        .description
        .as_deref()
        .map(Description::parse)
        .transpose()?;
    let visibility = req.visibility.unwrap_or(CommunityVisibility::Private);
    let owner = membership::lookup_profile(&state, &ctx, caller.user_id).await?;
    let general_group = GroupName::parse("General")?;
    let text_channel = ChannelName::parse("general")?;
    let voice_channel = ChannelName::parse("Voice")?;

    let community_id = Uuid::now_v7();
    let mut tx = state.begin().await?;
    communities::insert(
        &mut tx,
        community_id,
        &name,
        description.as_ref(),
        visibility,
        caller.user_id,
    )
    .await?;
    roles::insert(
        &mut tx,
        NewRole {
            role_id: community_id,
            community_id,
            name: "@everyone",
            color: 0,
            position: 0,
            permissions: permissions::default_everyone(),
        },
    )
    .await?;
    let member = membership::admit(&mut tx, community_id, &owner).await?;
    let group = groups::insert(
        &mut tx,
        community_id,
        &general_group,
        GroupVisibility::Public,
    )
    .await?;
    for (name, kind) in [
        (&text_channel, ChannelKind::Text),
        (&voice_channel, ChannelKind::Voice),
    ] {
        channels::insert(
            &mut tx,
            NewChannel {
                community_id,
                group_id: group.group_id,
                name,
                kind,
                topic: None,
                read_only: false,
                slow_mode: SlowMode::OFF,
                voice_cap: VoiceCap::for_kind(kind, None)?,
            },
        )
        .await?;
    }
    let community = communities::find(&mut tx, community_id)
        .await?
        .ok_or_else(community_not_found)?;
    tx.commit()
        .await
        .or_internal("committing a new community")?;
    tracing::info!(%community_id, owner_id = %caller.user_id, "community created");
    notify::member_joined(&state, &member).await;
    Ok(community)
}

/// A community the caller may know of: any public one, or one they belong to.
pub async fn get_community(
    state: AppState,
    ctx: CallerContext,
    req: GetCommunityRequest,
) -> Result<Community, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    visible_community(&mut conn, req.community_id, caller.user_id).await
}

/// Changes the fields present (`manage_community`).
pub async fn update_community(
    state: AppState,
    ctx: CallerContext,
    req: UpdateCommunityRequest,
) -> Result<Community, ApiError> {
    let caller = ctx.require_caller()?;
    let changes = communities::Changes {
        name: req.name.as_deref().map(CommunityName::parse).transpose()?,
        description: req
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        icon_ref: req.icon_ref.as_deref().map(IconRef::parse).transpose()?,
        welcome_message: req
            .welcome_message
            .as_deref()
            .map(WelcomeMessage::parse)
            .transpose()?,
        visibility: req.visibility,
    };
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageCommunity)?;
    let before = actor.community.clone();
    let after = communities::update(&mut tx, before.community_id, &changes).await?;
    let details = changes::diff(&before, &after);
    if details.is_empty() {
        return Ok(after);
    }
    let entry = NewEntry::new(
        after.community_id,
        CommunityAuditAction::CommunityUpdated,
        actor.user_id(),
    )
    .target(after.community_id)
    .details(Value::Object(details));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a community update")?;
    notify::community_updated(&state, &after, ViewChange::Nobody).await;
    Ok(after)
}

/// Deletes the community and everything in it (owner only). Every member is told on their own
/// subject, so their gateways stop delivering the community at once.
pub async fn delete_community(
    state: AppState,
    ctx: CallerContext,
    req: DeleteCommunityRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require_owner()?;
    let member_ids = members::user_ids(&mut tx, req.community_id).await?;
    communities::delete(&mut tx, req.community_id).await?;
    tx.commit()
        .await
        .or_internal("committing a community deletion")?;
    tracing::info!(community_id = %req.community_id, members = member_ids.len(), "community deleted");
    notify::community_deleted(&state, req.community_id, &member_ids).await;
    Ok(Empty {})
}

/// Makes another member the owner (owner only).
pub async fn transfer_ownership(
    state: AppState,
    ctx: CallerContext,
    req: TransferOwnershipRequest,
) -> Result<Community, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require_owner()?;
    if req.new_owner_id == actor.user_id() {
        return Err(ApiError::invalid_request("you already own this community"));
    }
    let new_owner = actor.member(&mut tx, req.new_owner_id).await?;
    let community = communities::set_owner(&mut tx, req.community_id, new_owner.user_id).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::OwnershipTransferred,
        actor.user_id(),
    )
    .target(new_owner.user_id)
    .details(json!({ "from": actor.user_id(), "to": new_owner.user_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing an ownership transfer")?;
    let changed = ViewChange::Users(vec![actor.user_id(), new_owner.user_id]);
    notify::community_updated(&state, &community, changed).await;
    Ok(community)
}

/// Public communities, optionally those whose name contains `query`, a page at a time.
pub async fn discover_communities(
    state: AppState,
    ctx: CallerContext,
    req: DiscoverCommunitiesRequest,
) -> Result<CommunityPage, ApiError> {
    ctx.require_caller()?;
    let limit = PageLimit::parse(req.limit)?;
    let query = req.query.as_deref().map(SearchQuery::parse).transpose()?;
    let pattern = query
        .as_ref()
        .map(SearchQuery::as_str)
        .filter(|q| !q.is_empty())
        .map(contains_pattern);
    let mut conn = state.connection().await?;
    let communities =
        communities::discover(&mut conn, pattern.as_deref(), req.after, limit.as_i64()).await?;
    let next_cursor = limit.next_cursor(&communities, |c| c.community_id);
    Ok(CommunityPage {
        communities,
        next_cursor,
    })
}

/// The caller's view of one community they belong to.
pub async fn get_community_view(
    state: AppState,
    ctx: CallerContext,
    req: GetCommunityViewRequest,
) -> Result<CommunityView, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.consistent_read().await?;
    let snapshot = snapshots::load(&mut tx, req.community_id)
        .await?
        .ok_or_else(community_not_found)?;
    let member = members::find(&mut tx, req.community_id, caller.user_id)
        .await?
        .ok_or_else(|| not_a_member(&snapshot.community))?;
    Ok(snapshot.view_of(&member, Utc::now()))
}

/// The caller's views of all their communities, in the order they joined them. A fixed number
/// of queries whatever the number of communities.
pub async fn list_my_communities(
    state: AppState,
    ctx: CallerContext,
    _req: ListMyCommunitiesRequest,
) -> Result<CommunityViewList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.consistent_read().await?;
    let memberships = members::memberships_of(&mut tx, caller.user_id).await?;
    let community_ids: Vec<Uuid> = memberships.iter().map(|m| m.community_id).collect();
    let snapshots = snapshots::load_many(&mut tx, &community_ids).await?;
    let now = Utc::now();
    let views = snapshots
        .iter()
        .filter_map(|snapshot| {
            let member = memberships
                .iter()
                .find(|m| m.community_id == snapshot.community.community_id)?;
            Some(snapshot.view_of(member, now))
        })
        .collect();
    Ok(CommunityViewList { views })
}
