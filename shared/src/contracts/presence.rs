//! Presence: whether people are online, idle, busy or away, aggregated over all their
//! connections on all gateways and kept in Redis (see `docs/presence.md`).
//!
//! - What a user chooses ([`PresenceSettings`]: online, idle, do not disturb or invisible, and
//!   an optional custom status) is kept by auth-svc in PostgreSQL, so it survives Redis.
//! - What others see ([`Presence`]) is computed by gateways from the chosen status and the
//!   user's live connections: any live connection makes the user present, all of them idle
//!   makes them idle, none (or invisible) makes them offline.
//! - Changes reach those who share a community or a conversation with the user, and the user's
//!   own connections, as [`PresenceUpdated`] (the full current state, so repeating it is
//!   harmless).

use super::{Event, rpc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest custom status text, in characters.
pub const MAX_CUSTOM_STATUS_CHARS: usize = 128;

/// The most users one service-to-service presence request may name.
pub const MAX_USERS_PER_REQUEST: usize = 1000;

/// What a client reports about itself on its connection (`{"op":"activity","d":{"idle":true}}`):
/// clients set themselves idle after a while without input and active again on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub idle: bool,
}

/// A user's presence as others see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Presence {
    pub user_id: Uuid,
    pub status: PresenceStatus,
    /// The user's custom status while they are not offline and it has not expired.
    pub custom_status: Option<CustomStatus>,
}

/// The status others see; a user who chose to be invisible is `offline` to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Idle,
    /// Do not disturb.
    Dnd,
    Offline,
}

impl PresenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceStatus::Online => "online",
            PresenceStatus::Idle => "idle",
            PresenceStatus::Dnd => "dnd",
            PresenceStatus::Offline => "offline",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "online" => PresenceStatus::Online,
            "idle" => PresenceStatus::Idle,
            "dnd" => PresenceStatus::Dnd,
            "offline" => PresenceStatus::Offline,
            _ => return None,
        })
    }
}

/// The status a user chooses for themself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChosenStatus {
    /// Online while any connection is active, idle when all of them are idle.
    #[default]
    Online,
    /// Idle whenever connected.
    Idle,
    /// Do not disturb whenever connected.
    Dnd,
    /// Offline to everyone else, even while connected.
    Invisible,
}

impl ChosenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChosenStatus::Online => "online",
            ChosenStatus::Idle => "idle",
            ChosenStatus::Dnd => "dnd",
            ChosenStatus::Invisible => "invisible",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "online" => ChosenStatus::Online,
            "idle" => ChosenStatus::Idle,
            "dnd" => ChosenStatus::Dnd,
            "invisible" => ChosenStatus::Invisible,
            _ => return None,
        })
    }
}

/// A short text shown next to the user's status, until `expires_at` if given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomStatus {
    /// 1 to 128 characters (surrounding whitespace trimmed), no control characters.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,126}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub text: String,
    /// When the text disappears; in the future, at most a year ahead. `None`: until changed.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a user chose: the body of `PUT /api/v1/users/@me/presence` and the answer of `GET`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceSettings {
    pub status: ChosenStatus,
    /// `null` (or absent) clears it.
    #[serde(default)]
    pub custom_status: Option<CustomStatus>,
}

/// A presence change (or a repetition of the current state: apply it as it is). Sent to those
/// who share a community or a conversation with the user, and to the user's own connections;
/// only the user's own copy carries `settings`, what they chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresenceUpdated {
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<PresenceSettings>,
}

impl Event for PresenceUpdated {
    const NAME: &'static str = "presence_updated";
}

// ---- auth-svc: the chosen status ----

/// The caller's chosen status (`GET /api/v1/users/@me/presence`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetPresenceSettingsRequest {}

/// Replaces the caller's chosen status (`PUT /api/v1/users/@me/presence`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPresenceSettingsRequest {
    pub settings: PresenceSettings,
}

/// The chosen statuses of `user_ids` (service to service: gateways computing presence).
/// Users without a stored choice get the default (online, no custom status).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceSettingsOfRequest {
    /// At most 1000.
    pub user_ids: Vec<Uuid>,
}

/// One user's chosen status as stored, with its version: every change increments it, so a
/// cache never replaces a newer choice with an older one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPresenceSettings {
    pub user_id: Uuid,
    pub settings: PresenceSettings,
    /// 0 for a user who never chose.
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PresenceSettingsList {
    pub settings: Vec<StoredPresenceSettings>,
}

rpc! {
    GetPresenceSettingsRequest => StoredPresenceSettings, Auth, "get_presence_settings";
    SetPresenceSettingsRequest => StoredPresenceSettings, Auth, "set_presence_settings";
    PresenceSettingsOfRequest => PresenceSettingsList, Auth, "presence_settings_of";
}

// ---- community-svc: who hears about a user ----

/// Every community `user_id` belongs to (service to service: a gateway publishing a presence
/// change, possibly for a user connected elsewhere).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserCommunityIdsRequest {
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserCommunityIds {
    pub community_ids: Vec<Uuid>,
}

/// The people who share a community with `user_id`, for the ready snapshot: at most
/// `per_community` members of each community (the first by user id) and `max_users` in all.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoMembersRequest {
    pub user_id: Uuid,
    pub per_community: u32,
    pub max_users: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CoMembers {
    /// Distinct, without `user_id` itself.
    pub user_ids: Vec<Uuid>,
    /// Some members were left out by the bounds.
    pub truncated: bool,
}

rpc! {
    UserCommunityIdsRequest => UserCommunityIds, Community, "user_community_ids";
    CoMembersRequest => CoMembers, Community, "co_members";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in [
            PresenceStatus::Online,
            PresenceStatus::Idle,
            PresenceStatus::Dnd,
            PresenceStatus::Offline,
        ] {
            assert_eq!(PresenceStatus::parse(status.as_str()), Some(status));
            assert_eq!(json!(status), json!(status.as_str()));
        }
        for status in [
            ChosenStatus::Online,
            ChosenStatus::Idle,
            ChosenStatus::Dnd,
            ChosenStatus::Invisible,
        ] {
            assert_eq!(ChosenStatus::parse(status.as_str()), Some(status));
            assert_eq!(json!(status), json!(status.as_str()));
        }
        assert_eq!(ChosenStatus::parse("offline"), None);
        assert_eq!(PresenceStatus::parse("invisible"), None);
    }

    #[test]
    fn settings_refuse_unknown_fields_and_statuses() {
        let ok = serde_json::from_value::<PresenceSettings>(
            json!({ "status": "dnd", "custom_status": { "text": "focus" } }),
        );
        assert!(ok.is_ok_and(|s| s.status == ChosenStatus::Dnd));
        for bad in [
            json!({ "status": "away" }),
            json!({ "status": "online", "mood": "happy" }),
            json!({ "status": "online", "custom_status": { "text": "x", "emoji": "y" } }),
            json!({}),
        ] {
            assert!(
                serde_json::from_value::<PresenceSettings>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_the_users_own_copy_carries_settings() {
        let presence = Presence {
            user_id: Uuid::nil(),
            status: PresenceStatus::Offline,
            custom_status: None,
        };
        let others = json!(PresenceUpdated {
            presence: presence.clone(),
            settings: None
        });
        assert!(others.get("settings").is_none(), "{others}");
        let own = json!(PresenceUpdated {
            presence,
            settings: Some(PresenceSettings {
                status: ChosenStatus::Invisible,
                custom_status: None
            })
        });
        assert_eq!(own["settings"]["status"], "invisible");
    }
}
