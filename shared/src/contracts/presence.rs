//! Presence: whether people are online, idle, busy or away, aggregated over all their
//! connections on all gateways and kept in Redis (see `docs/presence.md`).
//!
//! PLACEHOLDER: completed by the presence work.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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
}

/// The status others see; a user who chose to be invisible is `offline` to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Idle,
    Dnd,
    Offline,
}
