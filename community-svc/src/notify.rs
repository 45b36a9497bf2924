//! What community-svc tells gateways and other services after a change has committed, never
//! before. Community events carry scope headers (`contracts::community::scope`) so gateways
//! deliver each only to those who may see it, and say whose view to recompute first. Core NATS
//! is at-most-once: a failed publish is logged by `chatalot_shared::events`, never turned into
//! an error for a change that already happened.

use crate::state::AppState;
use async_nats::HeaderMap;
use chatalot_shared::{
    contracts::{
        Event,
        community::{
            Channel, ChannelChanged, ChannelDeleted, Community, CommunityDeleted, CommunityJoined,
            CommunityRemoved, CommunityUpdated, DepartureReason, Group, GroupChanged, GroupDeleted,
            GroupsReordered, Member, MemberChanged, MemberRemoved, Overwrite, OverwriteChanged,
            OverwriteDeleted, OverwriteSubject, OverwriteTarget, Role, RoleChanged, RoleDeleted,
            scope,
        },
    },
    events,
};
use uuid::Uuid;

/// Whose view of the community an event may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewChange {
    Nobody,
    Everyone,
    Users(Vec<Uuid>),
}

/// Who an event is for and whose view it changes.
#[derive(Debug, Clone)]
struct Scope {
    channel: Option<Uuid>,
    group: Option<Uuid>,
    view: ViewChange,
}

impl Scope {
    fn members(view: ViewChange) -> Self {
        Self {
            channel: None,
            group: None,
            view,
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(channel_id) = self.channel {
            headers.insert(scope::CHANNEL, channel_id.to_string().as_str());
        }
        if let Some(group_id) = self.group {
            headers.insert(scope::GROUP, group_id.to_string().as_str());
        }
        match &self.view {
            ViewChange::Nobody => {}
            ViewChange::Everyone => headers.insert(scope::VIEW_CHANGED, scope::ALL),
            ViewChange::Users(user_ids) => {
                let list: Vec<String> = user_ids.iter().map(Uuid::to_string).collect();
                headers.insert(scope::VIEW_CHANGED, list.join(",").as_str());
            }
        }
        headers
    }
}

async fn publish<E: Event>(state: &AppState, community_id: Uuid, scope: Scope, event: &E) {
    events::publish_to_community(
        &state.nats,
        &state.subjects,
        community_id,
        scope.headers(),
        event,
    )
    .await;
}

pub async fn community_updated(state: &AppState, community: &Community, view: ViewChange) {
    let event = CommunityUpdated {
        community: community.clone(),
    };
    publish(state, community.community_id, Scope::members(view), &event).await;
}

/// Tells the community's subscribers it is gone, and each former member on their own subject
/// (gateways stop delivering its events to them).
pub async fn community_deleted(state: &AppState, community_id: Uuid, member_ids: &[Uuid]) {
    let event = CommunityDeleted { community_id };
    publish(
        state,
        community_id,
        Scope::members(ViewChange::Nobody),
        &event,
    )
    .await;
    let removed = CommunityRemoved {
        community_id,
        reason: DepartureReason::CommunityDeleted,
    };
    for user_id in member_ids {
        events::publish_to_user(&state.nats, &state.subjects, *user_id, &removed).await;
    }
}

pub async fn group_changed(state: &AppState, group: &Group) {
    let scope = Scope {
        channel: None,
        group: Some(group.group_id),
        view: ViewChange::Everyone,
    };
    let event = GroupChanged {
        group: group.clone(),
    };
    publish(state, group.community_id, scope, &event).await;
}

pub async fn group_deleted(state: &AppState, community_id: Uuid, group_id: Uuid) {
    let scope = Scope {
        channel: None,
        group: Some(group_id),
        view: ViewChange::Everyone,
    };
    let event = GroupDeleted {
        community_id,
        group_id,
    };
    publish(state, community_id, scope, &event).await;
}

pub async fn groups_reordered(state: &AppState, community_id: Uuid, group_ids: Vec<Uuid>) {
    let event = GroupsReordered {
        community_id,
        group_ids,
    };
    publish(
        state,
        community_id,
        Scope::members(ViewChange::Nobody),
        &event,
    )
    .await;
}

/// `channel_changed` for each channel (created, updated, or moved by a renumbering).
pub async fn channels_changed(state: &AppState, channels: &[Channel]) {
    for channel in channels {
        let scope = Scope {
            channel: Some(channel.channel_id),
            group: None,
            view: ViewChange::Everyone,
        };
        let event = ChannelChanged {
            channel: channel.clone(),
        };
        publish(state, channel.community_id, scope, &event).await;
    }
}

pub async fn channel_deleted(state: &AppState, community_id: Uuid, channel_id: Uuid) {
    let scope = Scope {
        channel: Some(channel_id),
        group: None,
        view: ViewChange::Everyone,
    };
    let event = ChannelDeleted {
        community_id,
        channel_id,
    };
    publish(state, community_id, scope, &event).await;
}

/// `role_changed` for each role (created, updated, or moved by a renumbering).
pub async fn roles_changed(state: &AppState, roles: &[Role]) {
    for role in roles {
        let event = RoleChanged { role: role.clone() };
        publish(
            state,
            role.community_id,
            Scope::members(ViewChange::Everyone),
            &event,
        )
        .await;
    }
}

pub async fn role_deleted(state: &AppState, community_id: Uuid, role_id: Uuid) {
    let event = RoleDeleted {
        community_id,
        role_id,
    };
    publish(
        state,
        community_id,
        Scope::members(ViewChange::Everyone),
        &event,
    )
    .await;
}

pub async fn overwrite_changed(state: &AppState, overwrite: &Overwrite) {
    let event = OverwriteChanged {
        overwrite: overwrite.clone(),
    };
    publish(
        state,
        overwrite.community_id,
        Scope::members(ViewChange::Everyone),
        &event,
    )
    .await;
}

pub async fn overwrite_deleted(
    state: &AppState,
    community_id: Uuid,
    target: OverwriteTarget,
    subject: OverwriteSubject,
) {
    let event = OverwriteDeleted {
        community_id,
        target,
        subject,
    };
    publish(
        state,
        community_id,
        Scope::members(ViewChange::Everyone),
        &event,
    )
    .await;
}

/// A member's nickname, roles or timeout changed; `view_changed` when what they may do did.
pub async fn member_changed(state: &AppState, member: &Member, view_changed: bool) {
    let view = if view_changed {
        ViewChange::Users(vec![member.user_id])
    } else {
        ViewChange::Nobody
    };
    let event = MemberChanged {
        member: member.clone(),
    };
    publish(state, member.community_id, Scope::members(view), &event).await;
}

/// A new member: the community hears of them, and their gateways start delivering the
/// community's events to them.
pub async fn member_joined(state: &AppState, member: &Member) {
    member_changed(state, member, true).await;
    let joined = CommunityJoined {
        community_id: member.community_id,
    };
    events::publish_to_user(&state.nats, &state.subjects, member.user_id, &joined).await;
}

/// A member left, was kicked or banned: the community hears of it, and their gateways stop
/// delivering its events to them at once.
pub async fn member_removed(
    state: &AppState,
    community_id: Uuid,
    user_id: Uuid,
    reason: DepartureReason,
) {
    let event = MemberRemoved {
        community_id,
        user_id,
        reason,
    };
    publish(
        state,
        community_id,
        Scope::members(ViewChange::Users(vec![user_id])),
        &event,
    )
    .await;
    let removed = CommunityRemoved {
        community_id,
        reason,
    };
    events::publish_to_user(&state.nats, &state.subjects, user_id, &removed).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_headers_name_the_channel_group_and_changed_views() {
        let channel = Uuid::now_v7();
        let headers = Scope {
            channel: Some(channel),
            group: None,
            view: ViewChange::Everyone,
        }
        .headers();
        assert_eq!(
            headers.get(scope::CHANNEL).map(|v| v.as_str().to_string()),
            Some(channel.to_string())
        );
        assert!(headers.get(scope::GROUP).is_none());
        assert_eq!(
            headers
                .get(scope::VIEW_CHANGED)
                .map(|v| v.as_str().to_string()),
            Some("all".to_string())
        );

        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let headers = Scope::members(ViewChange::Users(vec![a, b])).headers();
        assert_eq!(
            headers
                .get(scope::VIEW_CHANGED)
                .map(|v| v.as_str().to_string()),
            Some(format!("{a},{b}"))
        );
        let headers = Scope::members(ViewChange::Nobody).headers();
        assert!(headers.get(scope::VIEW_CHANGED).is_none());
    }
}
