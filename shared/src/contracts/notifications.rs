//! Notification levels (owned by message-svc): how each user wants to hear of new messages, per
//! text channel and per conversation. Clients decide locally whether to show a notification;
//! the server keeps the choices so they follow the user to every device, tells the user's other
//! connections when one changes, and Web Push honours them (see `docs/push.md`).
//!
//! Only explicit choices are stored; a place without one has its kind's default
//! ([`NotificationDefaults`]).

use super::{Empty, events, rpc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// How a user wants to hear of new messages in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationLevel {
    /// Every message.
    All,
    /// Only messages mentioning the user: them, one of their roles, or `@everyone`/`@here`.
    /// In conversations the server cannot see mentions (end-to-end encrypted), so Web Push
    /// treats this like `none` there.
    Mentions,
    /// Nothing: muted.
    #[serde(rename = "none")]
    Muted,
}

impl NotificationLevel {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::Muted => "none",
        }
    }

    /// The level of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "all" => Some(Self::All),
            "mentions" => Some(Self::Mentions),
            "none" => Some(Self::Muted),
            _ => None,
        }
    }
}

/// What a level is set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationTargetKind {
    /// A text channel of a community.
    Channel,
    /// A direct or group conversation.
    Conversation,
}

impl NotificationTargetKind {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Conversation => "conversation",
        }
    }
}

/// One channel or conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationTarget {
    pub kind: NotificationTargetKind,
    pub id: Uuid,
}

/// The levels of places the user has not chosen one for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationDefaults {
    /// `mentions`: busy channels would otherwise drown the rest.
    pub channel: NotificationLevel,
    /// `all`: a conversation is addressed to its members.
    pub conversation: NotificationLevel,
}

/// The defaults in force.
pub const DEFAULTS: NotificationDefaults = NotificationDefaults {
    channel: NotificationLevel::Mentions,
    conversation: NotificationLevel::All,
};

/// The body of `PUT .../notification-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationLevelSetting {
    pub level: NotificationLevel,
}

/// The caller's explicit choices.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetNotificationLevelsRequest {}

/// The caller's explicit choices by channel and by conversation, and the defaults of the rest.
/// A channel the caller no longer sees may still be listed (its choice is kept); conversations
/// they left are not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationLevels {
    /// By channel id.
    pub channels: BTreeMap<Uuid, NotificationLevel>,
    /// By conversation id.
    pub conversations: BTreeMap<Uuid, NotificationLevel>,
    pub defaults: NotificationDefaults,
}

/// Sets the caller's level in a channel they can see or a conversation they are a member of.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNotificationLevelRequest {
    pub target: NotificationTarget,
    pub level: NotificationLevel,
}

/// Forgets the caller's level in a place: its kind's default applies again. Idempotent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetNotificationLevelRequest {
    pub target: NotificationTarget,
}

/// To the user's own connections: a level of theirs changed (on this device or another).
/// `level` null: back to the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationLevelUpdated {
    pub target: NotificationTarget,
    pub level: Option<NotificationLevel>,
}

events! {
    NotificationLevelUpdated => "notification_level_updated";
}

rpc! {
    GetNotificationLevelsRequest => NotificationLevels, Message, "get_notification_levels";
    SetNotificationLevelRequest => NotificationLevelSetting, Message, "set_notification_level";
    ResetNotificationLevelRequest => Empty, Message, "reset_notification_level";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn levels_have_their_wire_names() {
        for level in [
            NotificationLevel::All,
            NotificationLevel::Mentions,
            NotificationLevel::Muted,
        ] {
            assert_eq!(
                serde_json::to_value(level).ok(),
                Some(json!(level.as_str()))
            );
            assert_eq!(NotificationLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(NotificationLevel::parse("muted"), None);
    }

    #[test]
    fn a_setting_takes_a_known_level_and_nothing_else() {
        let parse = |v| serde_json::from_value::<NotificationLevelSetting>(v).ok();
        assert_eq!(
            parse(json!({ "level": "none" })).map(|s| s.level),
            Some(NotificationLevel::Muted)
        );
        assert!(parse(json!({ "level": "loud" })).is_none());
        assert!(parse(json!({ "level": "all", "extra": 1 })).is_none());
        assert!(parse(json!({})).is_none());
    }

    #[test]
    fn the_update_says_null_for_the_default() {
        let event = NotificationLevelUpdated {
            target: NotificationTarget {
                kind: NotificationTargetKind::Conversation,
                id: Uuid::nil(),
            },
            level: None,
        };
        assert_eq!(
            serde_json::to_value(event).ok(),
            Some(json!({
                "target": { "kind": "conversation", "id": Uuid::nil() },
                "level": null,
            }))
        );
    }
}
