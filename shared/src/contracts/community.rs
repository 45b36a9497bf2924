//! Communities, groups, channels, roles, permission overwrites, members, moderation and invites
//! (owned by community-svc), and the permission answers other services and gateways ask for.

use super::{Empty, events, rpc};
use crate::contracts::permissions::PermissionSet;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Who can find and join a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommunityVisibility {
    /// Listed by discovery; anyone may join directly.
    Public,
    /// Invite only.
    Private,
}

/// Who sees a group: everyone (new members are added to it) or only those allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupVisibility {
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Text,
    Voice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Community {
    pub community_id: Uuid,
    pub name: String,
    pub description: String,
    /// A reference to the icon (an attachment id or URL), if any.
    pub icon_ref: Option<String>,
    pub welcome_message: Option<String>,
    pub visibility: CommunityVisibility,
    pub owner_id: Uuid,
    pub member_count: u32,
    pub created_at: DateTime<Utc>,
}

/// A section of a community holding channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub group_id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    pub visibility: GroupVisibility,
    /// Order among the community's groups, from 0.
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub channel_id: Uuid,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub kind: ChannelKind,
    pub topic: String,
    /// Order among the group's channels, from 0.
    pub position: i32,
    /// Only members with `manage_messages` may post.
    pub read_only: bool,
    /// Kept but read-only and hidden by default.
    pub archived: bool,
    /// Seconds a member waits between messages: 0, or 5 to 600.
    pub slow_mode_secs: u32,
    /// Voice channels: the most participants at once (1 to 25, the mesh limit).
    pub voice_cap: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Role {
    pub role_id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    /// 0xRRGGBB.
    pub color: u32,
    /// Place in the hierarchy: higher outranks lower; `@everyone` is 0.
    pub position: i32,
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub permissions: PermissionSet,
    /// The default role every member has (its id is the community id).
    pub is_everyone: bool,
}

/// What an overwrite applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum OverwriteTarget {
    Group(Uuid),
    Channel(Uuid),
}

/// Whom an overwrite applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum OverwriteSubject {
    Role(Uuid),
    Member(Uuid),
}

/// Permissions explicitly allowed and denied for a role or member on a group or channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Overwrite {
    pub community_id: Uuid,
    pub target: OverwriteTarget,
    pub subject: OverwriteSubject,
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub allow: PermissionSet,
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub deny: PermissionSet,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub community_id: Uuid,
    pub user_id: Uuid,
    /// Copied from the account (kept current from `user_updated` events).
    pub username: String,
    pub display_name: String,
    pub nickname: Option<String>,
    /// Roles besides `@everyone`.
    pub role_ids: Vec<Uuid>,
    pub joined_at: DateTime<Utc>,
    /// Until then the member cannot send, react or speak.
    pub timed_out_until: Option<DateTime<Utc>>,
}

/// A channel and what the viewer may do in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelView {
    pub channel: Channel,
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub permissions: PermissionSet,
}

/// Everything one member sees of a community: the answer to "what may U see in community K?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityView {
    pub community: Community,
    pub me: Member,
    /// The member's community-wide permissions (roles only, before overwrites).
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub permissions: PermissionSet,
    /// Groups the member can see, by position.
    pub groups: Vec<Group>,
    /// Channels the member can see (archived ones included, flagged), by group and position.
    pub channels: Vec<ChannelView>,
    pub roles: Vec<Role>,
}

// ---- communities ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunityRequest {
    /// 1 to 100 characters.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Up to 1000 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,998}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub description: Option<String>,
    #[serde(default)]
    pub visibility: Option<CommunityVisibility>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCommunityRequest {
    pub community_id: Uuid,
}

/// Changes only the fields present.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommunityRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,998}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub description: Option<String>,
    /// Empty string clears it.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F]{1,2048})?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub icon_ref: Option<String>,
    /// Empty string clears it; up to 2000 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,1998}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub welcome_message: Option<String>,
    #[serde(default)]
    pub visibility: Option<CommunityVisibility>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteCommunityRequest {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferOwnershipRequest {
    #[serde(default)]
    pub community_id: Uuid,
    /// Must be a member.
    pub new_owner_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiscoverCommunitiesRequest {
    /// Matches names, case-insensitively.
    #[serde(default)]
    #[param(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub query: Option<String>,
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub after: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommunityPage {
    pub communities: Vec<Community>,
    pub next_cursor: Option<Uuid>,
}

/// The caller's view of one community.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCommunityViewRequest {
    pub community_id: Uuid,
}

/// The caller's views of every community they belong to (also the ready snapshot).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMyCommunitiesRequest {}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommunityViewList {
    pub views: Vec<CommunityView>,
}

// ---- groups ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    #[serde(default)]
    pub community_id: Uuid,
    /// 1 to 100 characters.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    #[serde(default)]
    pub visibility: Option<GroupVisibility>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    pub group_id: Uuid,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    pub visibility: Option<GroupVisibility>,
}

/// Puts the community's groups in this order (every group id exactly once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderGroupsRequest {
    #[serde(default)]
    pub community_id: Uuid,
    pub group_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<Group>,
}

/// Deletes the group and every channel in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteGroupRequest {
    pub community_id: Uuid,
    pub group_id: Uuid,
}

// ---- channels ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannelRequest {
    #[serde(default)]
    pub community_id: Uuid,
    pub group_id: Uuid,
    /// 1 to 100 characters.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    pub kind: ChannelKind,
    /// Up to 1024 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,1022}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub topic: Option<String>,
    #[serde(default)]
    pub read_only: Option<bool>,
    /// 0, or 5 to 600.
    #[serde(default)]
    pub slow_mode_secs: Option<u32>,
    /// Voice channels only: 1 to 25 (25 when absent).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 25)]
    pub voice_cap: Option<u32>,
}

/// Changes only the fields present.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannelRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    pub channel_id: Uuid,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,1022}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub topic: Option<String>,
    /// Moves the channel to another group of the same community.
    #[serde(default)]
    pub group_id: Option<Uuid>,
    #[serde(default)]
    pub position: Option<i32>,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub archived: Option<bool>,
    #[serde(default)]
    pub slow_mode_secs: Option<u32>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 25)]
    pub voice_cap: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteChannelRequest {
    pub community_id: Uuid,
    pub channel_id: Uuid,
}

// ---- roles and overwrites ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRolesRequest {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleList {
    pub roles: Vec<Role>,
}

/// A new role is placed just above `@everyone` unless a position is given; it must rank below
/// the caller's highest role (the owner may place it anywhere).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    #[serde(default)]
    pub community_id: Uuid,
    /// 1 to 100 characters; not `@everyone`.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(maximum = 16777215)]
    pub color: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<super::permissions::Permission>>)]
    pub permissions: Option<PermissionSet>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub position: Option<i32>,
}

/// Changes only the fields present. `@everyone` keeps its name and position.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    pub role_id: Uuid,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(maximum = 16777215)]
    pub color: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<super::permissions::Permission>>)]
    pub permissions: Option<PermissionSet>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub position: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRoleRequest {
    pub community_id: Uuid,
    pub role_id: Uuid,
}

/// Creates or replaces the overwrite of `subject` on `target`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetOverwriteRequest {
    pub community_id: Uuid,
    pub target: OverwriteTarget,
    pub subject: OverwriteSubject,
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub allow: PermissionSet,
    #[schema(value_type = Vec<super::permissions::Permission>)]
    pub deny: PermissionSet,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteOverwriteRequest {
    pub community_id: Uuid,
    pub target: OverwriteTarget,
    pub subject: OverwriteSubject,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListOverwritesRequest {
    pub community_id: Uuid,
    pub target: OverwriteTarget,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverwriteList {
    pub overwrites: Vec<Overwrite>,
}

// ---- members and moderation ----

/// Joins a public community directly.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinCommunityRequest {
    pub community_id: Uuid,
}

/// Leaves a community (the owner must transfer ownership first).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveCommunityRequest {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMembersRequest {
    #[serde(default)]
    #[param(ignore)]
    pub community_id: Uuid,
    /// Matches usernames' display names and nicknames, case-insensitively.
    #[serde(default)]
    #[param(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,98}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub query: Option<String>,
    /// The previous page's `next_cursor` (a user id).
    #[serde(default)]
    pub after: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberPage {
    pub members: Vec<Member>,
    pub next_cursor: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMemberRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
}

/// Sets a member's nickname (their own, or anyone's below the caller with `manage_roles`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    pub user_id: Uuid,
    /// 1 to 64 characters; empty clears it.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,62}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub nickname: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRoleRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
    pub role_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveRoleRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
    pub role_id: Uuid,
}

/// A reason given for a moderation action (up to 512 characters).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationReason {
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,510}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KickMemberRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,510}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub reason: Option<String>,
}

/// Bans a user (member or not): removes them and refuses them through any invite until unbanned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanMemberRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,510}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnbanMemberRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBansRequest {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ban {
    pub community_id: Uuid,
    pub user_id: Uuid,
    pub reason: Option<String>,
    pub banned_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BanList {
    pub bans: Vec<Ban>,
}

/// Times a member out until `until` (at most 28 days ahead), or lifts the timeout when absent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeoutMemberRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    pub user_id: Uuid,
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,510}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?)?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarnMemberRequest {
    #[serde(default)]
    pub community_id: Uuid,
    #[serde(default)]
    pub user_id: Uuid,
    /// 1 to 512 characters.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]{0,510}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    pub warning_id: Uuid,
    pub community_id: Uuid,
    pub user_id: Uuid,
    pub reason: String,
    pub issued_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListWarningsRequest {
    pub community_id: Uuid,
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WarningList {
    pub warnings: Vec<Warning>,
}

/// What the community audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommunityAuditAction {
    CommunityUpdated,
    OwnershipTransferred,
    GroupCreated,
    GroupUpdated,
    GroupDeleted,
    ChannelCreated,
    ChannelUpdated,
    ChannelDeleted,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    OverwriteSet,
    OverwriteDeleted,
    RoleAssigned,
    RoleRemoved,
    NicknameChanged,
    MemberKicked,
    MemberBanned,
    MemberUnbanned,
    MemberTimedOut,
    TimeoutLifted,
    MemberWarned,
    InviteCreated,
    InviteRevoked,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueryCommunityAuditRequest {
    #[serde(default)]
    #[param(ignore)]
    pub community_id: Uuid,
    #[serde(default)]
    pub action: Option<CommunityAuditAction>,
    #[serde(default)]
    pub actor_id: Option<Uuid>,
    #[serde(default)]
    pub target_id: Option<Uuid>,
    /// Entries older than this entry id (the previous page's `next_cursor`).
    #[serde(default)]
    pub before: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityAuditEntry {
    pub entry_id: Uuid,
    pub community_id: Uuid,
    pub action: CommunityAuditAction,
    pub actor_id: Uuid,
    pub target_id: Option<Uuid>,
    pub reason: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommunityAuditPage {
    pub entries: Vec<CommunityAuditEntry>,
    pub next_cursor: Option<Uuid>,
}

// ---- invites ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunityInviteRequest {
    #[serde(default)]
    pub community_id: Uuid,
    /// At least 1; unlimited when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub max_uses: Option<u32>,
    /// 3600 (1 hour) to 31536000 (1 year), else 422 `invalid_expiry`; never expires when absent.
    #[serde(default)]
    #[schema(minimum = 3600, maximum = 31536000)]
    pub expires_in_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityInvite {
    pub code: String,
    pub community_id: Uuid,
    pub created_by: Uuid,
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListCommunityInvitesRequest {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommunityInviteList {
    pub invites: Vec<CommunityInvite>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeCommunityInviteRequest {
    pub community_id: Uuid,
    pub code: String,
}

/// What anyone holding a code may see before joining.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInviteRequest {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvitePreview {
    pub code: String,
    pub community_id: Uuid,
    pub name: String,
    pub description: String,
    pub icon_ref: Option<String>,
    pub member_count: u32,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Joins the invite's community; atomic against the invite's use limit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInviteRequest {
    pub code: String,
}

// ---- permission answers (service to service) ----

/// "What may user U do in channel C?" Asked by message-svc, signal-svc and gateways.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelAccessRequest {
    pub user_id: Uuid,
    pub channel_id: Uuid,
}

/// The answer; `permissions` is empty when the user cannot see the channel (or it does not
/// exist), so "may U do P" is `permissions.contains(P)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAccess {
    pub channel_id: Uuid,
    pub community_id: Option<Uuid>,
    pub kind: Option<ChannelKind>,
    pub permissions: PermissionSet,
    pub read_only: bool,
    pub archived: bool,
    pub slow_mode_secs: u32,
    pub voice_cap: Option<u32>,
    pub timed_out_until: Option<DateTime<Utc>>,
}

/// "May `actor_id` use `permission` on member `target_id` of community K?" (service to service:
/// signal-svc asks before a moderator removes someone from a call). The answer follows the
/// moderation rules: the actor holds the permission community-wide and ranks strictly above the
/// target, who is a member; `Empty` when allowed, `forbidden` or `not_found` (either of them not
/// a member) otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationCheckRequest {
    pub community_id: Uuid,
    pub actor_id: Uuid,
    pub target_id: Uuid,
    pub permission: crate::contracts::permissions::Permission,
}

/// "What may each of these users see in community K?" (gateways recompute their filters with it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityViewsRequest {
    pub community_id: Uuid,
    pub user_ids: Vec<Uuid>,
}

/// One view per requested user who is a member; non-members are left out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommunityViews {
    pub views: Vec<CommunityView>,
}

// ---- events ----
//
// Community events go to `<ns>.evt.community.<community_id>.<name>` with NATS headers that tell
// gateways whom they are for (see `scope`): a channel (`Chatalot-Channel-Id`), a group
// (`Chatalot-Group-Id`), or, without either, every member. `Chatalot-View-Changed` (`all` or a
// comma-separated list of user ids) makes gateways recompute those users' views first.

/// NATS header names on community events.
pub mod scope {
    pub const CHANNEL: &str = "Chatalot-Channel-Id";
    pub const GROUP: &str = "Chatalot-Group-Id";
    pub const VIEW_CHANGED: &str = "Chatalot-View-Changed";
    /// `VIEW_CHANGED` value: every member's view may have changed.
    pub const ALL: &str = "all";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityUpdated {
    pub community: Community,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityDeleted {
    pub community_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupChanged {
    pub group: Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupDeleted {
    pub community_id: Uuid,
    pub group_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupsReordered {
    pub community_id: Uuid,
    pub group_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelChanged {
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelDeleted {
    pub community_id: Uuid,
    pub channel_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleChanged {
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleDeleted {
    pub community_id: Uuid,
    pub role_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OverwriteChanged {
    pub overwrite: Overwrite,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OverwriteDeleted {
    pub community_id: Uuid,
    pub target: OverwriteTarget,
    pub subject: OverwriteSubject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberChanged {
    pub member: Member,
}

/// Why a member is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepartureReason {
    Left,
    Kicked,
    Banned,
    CommunityDeleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberRemoved {
    pub community_id: Uuid,
    pub user_id: Uuid,
    pub reason: DepartureReason,
}

/// Sent to the user's own subject when they join a community: gateways fetch the view and start
/// delivering the community's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityJoined {
    pub community_id: Uuid,
}

/// Sent to the user's own subject when they leave, are kicked or banned, or the community is
/// deleted: gateways stop delivering its events to them at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityRemoved {
    pub community_id: Uuid,
    pub reason: DepartureReason,
}

/// Sent by gateways (not services) when a user's view of a community changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityViewChanged {
    pub view: CommunityView,
}

events! {
    CommunityUpdated => "community_updated";
    CommunityDeleted => "community_deleted";
    GroupChanged => "group_changed";
    GroupDeleted => "group_deleted";
    GroupsReordered => "groups_reordered";
    ChannelChanged => "channel_changed";
    ChannelDeleted => "channel_deleted";
    RoleChanged => "role_changed";
    RoleDeleted => "role_deleted";
    OverwriteChanged => "overwrite_changed";
    OverwriteDeleted => "overwrite_deleted";
    MemberChanged => "member_changed";
    MemberRemoved => "member_removed";
    CommunityJoined => "community_joined";
    CommunityRemoved => "community_removed";
    CommunityViewChanged => "community_view_changed";
}

rpc! {
    CreateCommunityRequest => Community, Community, "create_community";
    GetCommunityRequest => Community, Community, "get_community";
    UpdateCommunityRequest => Community, Community, "update_community";
    DeleteCommunityRequest => Empty, Community, "delete_community";
    TransferOwnershipRequest => Community, Community, "transfer_ownership";
    DiscoverCommunitiesRequest => CommunityPage, Community, "discover_communities";
    GetCommunityViewRequest => CommunityView, Community, "get_community_view";
    ListMyCommunitiesRequest => CommunityViewList, Community, "list_my_communities";
    CreateGroupRequest => Group, Community, "create_group";
    UpdateGroupRequest => Group, Community, "update_group";
    ReorderGroupsRequest => GroupList, Community, "reorder_groups";
    DeleteGroupRequest => Empty, Community, "delete_group";
    CreateChannelRequest => Channel, Community, "create_channel";
    UpdateChannelRequest => Channel, Community, "update_channel";
    DeleteChannelRequest => Empty, Community, "delete_channel";
    ListRolesRequest => RoleList, Community, "list_roles";
    CreateRoleRequest => Role, Community, "create_role";
    UpdateRoleRequest => Role, Community, "update_role";
    DeleteRoleRequest => Empty, Community, "delete_role";
    SetOverwriteRequest => Overwrite, Community, "set_overwrite";
    DeleteOverwriteRequest => Empty, Community, "delete_overwrite";
    ListOverwritesRequest => OverwriteList, Community, "list_overwrites";
    JoinCommunityRequest => CommunityView, Community, "join_community";
    LeaveCommunityRequest => Empty, Community, "leave_community";
    ListMembersRequest => MemberPage, Community, "list_members";
    GetMemberRequest => Member, Community, "get_member";
    UpdateMemberRequest => Member, Community, "update_member";
    AssignRoleRequest => Member, Community, "assign_role";
    RemoveRoleRequest => Member, Community, "remove_role";
    KickMemberRequest => Empty, Community, "kick_member";
    BanMemberRequest => Ban, Community, "ban_member";
    UnbanMemberRequest => Empty, Community, "unban_member";
    ListBansRequest => BanList, Community, "list_bans";
    TimeoutMemberRequest => Member, Community, "timeout_member";
    WarnMemberRequest => Warning, Community, "warn_member";
    ListWarningsRequest => WarningList, Community, "list_warnings";
    QueryCommunityAuditRequest => CommunityAuditPage, Community, "query_community_audit";
    CreateCommunityInviteRequest => CommunityInvite, Community, "create_invite";
    ListCommunityInvitesRequest => CommunityInviteList, Community, "list_invites";
    RevokeCommunityInviteRequest => Empty, Community, "revoke_invite";
    PreviewInviteRequest => InvitePreview, Community, "preview_invite";
    AcceptInviteRequest => CommunityView, Community, "accept_invite";
    ChannelAccessRequest => ChannelAccess, Community, "channel_access";
    CommunityViewsRequest => CommunityViews, Community, "community_views";
    ModerationCheckRequest => Empty, Community, "moderation_check";
}

/// "Which of these users share at least one community with `user_id`?" (service to service:
/// message-svc asks before it lets someone start or extend a conversation).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedCommunityRequest {
    pub user_id: Uuid,
    /// At most 1000 ids.
    pub other_user_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedCommunityAnswer {
    /// Those of `other_user_ids` who are members of a community `user_id` belongs to.
    pub user_ids_sharing: Vec<Uuid>,
}

rpc! {
    SharedCommunityRequest => SharedCommunityAnswer, Community, "shared_community";
}
