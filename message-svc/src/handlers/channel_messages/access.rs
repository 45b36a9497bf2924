//! What a user may do in a channel, from community-svc's permission answer (`channel_access`),
//! asked before anything else: the client is never trusted.

use crate::state::AppState;
use chatalot_shared::{
    ApiError,
    contracts::{
        community::{ChannelAccessRequest, ChannelKind},
        permissions::{Permission, PermissionSet},
    },
    rpc::CallerContext,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A text channel the user can see, and what they may do there.
#[derive(Debug, Clone)]
pub struct ChannelGrant {
    pub channel_id: Uuid,
    pub community_id: Uuid,
    pub user_id: Uuid,
    pub permissions: PermissionSet,
    read_only: bool,
    archived: bool,
    pub slow_mode_secs: u32,
    timed_out_until: Option<DateTime<Utc>>,
}

/// Asks community-svc what `user_id` may do in `channel_id`. Without `view_channel` the answer is
/// `not_found`, whether or not the channel exists, so it cannot be probed for; a voice channel
/// holds no messages (`invalid_request`).
pub async fn grant(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
    channel_id: Uuid,
) -> Result<ChannelGrant, ApiError> {
    let request = ChannelAccessRequest {
        user_id,
        channel_id,
    };
    let access = state.rpc.call(ctx, &request).await?;
    let community_id = match access.community_id {
        Some(id) if access.permissions.contains(Permission::ViewChannel) => id,
        _ => return Err(ApiError::not_found("channel")),
    };
    if access.kind != Some(ChannelKind::Text) {
        return Err(ApiError::invalid_request(
            "messages live in text channels only",
        ));
    }
    Ok(ChannelGrant {
        channel_id,
        community_id,
        user_id,
        permissions: access.permissions,
        read_only: access.read_only,
        archived: access.archived,
        slow_mode_secs: access.slow_mode_secs,
        timed_out_until: access.timed_out_until,
    })
}

impl ChannelGrant {
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// The timeout end, while one runs.
    fn timed_out(&self) -> Option<DateTime<Utc>> {
        self.timed_out_until.filter(|until| *until > Utc::now())
    }

    /// `forbidden` unless the user has `permission`, saying why when the channel or a timeout is
    /// the reason (community-svc already removed the permission for those).
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.may(permission) {
            return Ok(());
        }
        let frozen_by_settings = matches!(
            permission,
            Permission::SendMessages | Permission::AddReactions
        );
        let timeout_removes = matches!(
            permission,
            Permission::SendMessages
                | Permission::AddReactions
                | Permission::AttachFiles
                | Permission::MentionEveryone
        );
        let message = if let Some(until) = self.timed_out().filter(|_| timeout_removes) {
            format!(
                "you are timed out in this community until {}",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        } else if self.archived && frozen_by_settings {
            "this channel is archived".to_string()
        } else if self.read_only && permission == Permission::SendMessages {
            "this channel is read-only".to_string()
        } else {
            format!(
                "you need the {} permission in this channel",
                name(permission)
            )
        };
        Err(ApiError::forbidden(message))
    }

    /// Slow mode binds members without `manage_messages` and `manage_channels`.
    pub fn slow_mode_applies(&self) -> bool {
        self.slow_mode_secs > 0
            && !self.may(Permission::ManageMessages)
            && !self.may(Permission::ManageChannels)
    }
}

/// The permission's wire name.
fn name(permission: Permission) -> String {
    serde_json::to_value(permission)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{permission:?}"))
}
