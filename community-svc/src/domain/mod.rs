//! Validated input. Each type can only be built through its `parse`, so a handler that holds one
//! knows the rules were checked; the rules and their messages live next to their tests.

pub mod channel;
pub mod invite;
pub mod moderation;
pub mod order;
pub mod page;
pub mod role;
pub mod text;

pub use channel::{ChannelPosition, SlowMode, VoiceCap};
pub use chatalot_shared::invites::{InviteCode, InviteExpiry, InviteMaxUses};
pub use moderation::{Reason, TimeoutUntil, WarningReason};
pub use page::PageLimit;
pub use role::{RoleColor, RoleName, RolePosition};
pub use text::{
    ChannelName, CommunityName, Description, GroupName, IconRef, Nickname, SearchQuery, Topic,
    WelcomeMessage,
};
