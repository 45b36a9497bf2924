//! One async function per operation, grouped by area. Each parses its request into domain
//! types, loads where the caller stands ([`standing::Actor`]), checks their rights, runs
//! repository functions in a transaction (recording the audit entry in the same one), and only
//! after the commit tells other processes (see [`crate::notify`]).

mod answers;
mod changes;
mod channels;
mod communities;
mod groups;
mod invites;
mod members;
mod membership;
mod moderation;
mod overwrites;
mod presence_audience;
mod roles;
mod shared_communities;
mod standing;

use crate::state::AppState;
use chatalot_shared::{rpc::RpcRouter, subjects::Service};

/// Every operation of the community service.
pub fn router(state: AppState) -> RpcRouter<AppState> {
    RpcRouter::new(Service::Community, state)
        .route(communities::create_community)
        .route(communities::get_community)
        .route(communities::update_community)
        .route(communities::delete_community)
        .route(communities::transfer_ownership)
        .route(communities::discover_communities)
        .route(communities::get_community_view)
        .route(communities::list_my_communities)
        .route(groups::create_group)
        .route(groups::update_group)
        .route(groups::reorder_groups)
        .route(groups::delete_group)
        .route(channels::create_channel)
        .route(channels::update_channel)
        .route(channels::delete_channel)
        .route(roles::list_roles)
        .route(roles::create_role)
        .route(roles::update_role)
        .route(roles::delete_role)
        .route(overwrites::set_overwrite)
        .route(overwrites::delete_overwrite)
        .route(overwrites::list_overwrites)
        .route(members::join_community)
        .route(members::leave_community)
        .route(members::list_members)
        .route(members::get_member)
        .route(members::update_member)
        .route(members::assign_role)
        .route(members::remove_role)
        .route(moderation::kick_member)
        .route(moderation::ban_member)
        .route(moderation::unban_member)
        .route(moderation::list_bans)
        .route(moderation::timeout_member)
        .route(moderation::warn_member)
        .route(moderation::list_warnings)
        .route(moderation::query_community_audit)
        .route(invites::create_invite)
        .route(invites::list_invites)
        .route(invites::revoke_invite)
        .route(invites::preview_invite)
        .route(invites::accept_invite)
        .route(answers::channel_access)
        .route(answers::community_views)
        .route(answers::moderation_check)
        .route(shared_communities::shared_community)
        .route(presence_audience::user_community_ids)
        .route(presence_audience::co_members)
}
