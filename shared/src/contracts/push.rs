//! Web Push subscriptions (owned by message-svc): a browser's `PushSubscription` registered by
//! its user, so that message-svc can notify them of conversation messages while they have no
//! live connection. What a notification carries is [`PushNotification`]: metadata only, never
//! a message's content or ciphertext (see `docs/push.md`).

use super::{Empty, rpc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Whether this server sends Web Push, and the key browsers need to subscribe.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetVapidPublicKeyRequest {}

/// The answer to [`GetVapidPublicKeyRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VapidPublicKey {
    /// `false` when the server has no VAPID key configured: do not subscribe.
    pub enabled: bool,
    /// The VAPID public key, an uncompressed P-256 point in unpadded base64url: pass it as
    /// `applicationServerKey` to `pushManager.subscribe`. Absent when push is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// The keys of a subscription, as the browser gives them (`PushSubscription.toJSON().keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionKeys {
    /// The browser's P-256 public key: 65 bytes (uncompressed point), base64url.
    pub p256dh: String,
    /// The browser's authentication secret: 16 bytes, base64url.
    pub auth: String,
}

/// Registers the caller's browser for push, shaped like `PushSubscription.toJSON()`. Registering
/// an endpoint again updates its keys; an endpoint belongs to the user who registered it last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribePushRequest {
    /// The push service's URL for this browser: `https://`, at most 2048 bytes.
    pub endpoint: String,
    pub keys: PushSubscriptionKeys,
    /// Sent by browsers (`expirationTime`, usually null); ignored: a subscription that expired
    /// is deleted when its push service answers 404 or 410.
    #[serde(default, rename = "expirationTime")]
    #[schema(value_type = Option<f64>)]
    pub expiration_time: Option<serde_json::Value>,
}

/// A registered subscription (the keys are not echoed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushSubscription {
    pub endpoint: String,
    pub created_at: DateTime<Utc>,
    /// The last time it was registered (again).
    pub updated_at: DateTime<Utc>,
    /// The last push its service accepted.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last push its service refused or did not answer in time.
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// The subscription, and whether this call created it (`false`: the endpoint was registered
/// by the caller already, its keys are updated).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushSubscribed {
    pub subscription: PushSubscription,
    pub created: bool,
}

/// Deletes one of the caller's subscriptions (on `PushSubscription.unsubscribe()` or logout).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribePushRequest {
    pub endpoint: String,
}

/// The caller's subscriptions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPushSubscriptionsRequest {}

/// The caller's subscriptions, most recently registered first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushSubscriptionList {
    pub subscriptions: Vec<PushSubscription>,
}

/// What a push carries, encrypted for the browser (RFC 8291): which conversation has a new
/// message from whom, so the service worker can show a notification and fetch the message
/// itself. Never the message's content or ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PushNotification {
    ConversationMessage {
        conversation_id: Uuid,
        message_id: Uuid,
        sender_id: Uuid,
    },
}

rpc! {
    GetVapidPublicKeyRequest => VapidPublicKey, Message, "get_vapid_public_key";
    SubscribePushRequest => PushSubscribed, Message, "subscribe_push";
    UnsubscribePushRequest => Empty, Message, "unsubscribe_push";
    ListPushSubscriptionsRequest => PushSubscriptionList, Message, "list_push_subscriptions";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_browser_subscription_parses_as_sent() {
        let body = json!({
            "endpoint": "https://push.example.com/abc",
            "expirationTime": null,
            "keys": { "p256dh": "BPk", "auth": "xyz" },
        });
        let parsed = serde_json::from_value::<SubscribePushRequest>(body);
        assert!(parsed.is_ok_and(|r| r.keys.auth == "xyz"));
    }

    #[test]
    fn notifications_name_their_type() {
        let value = serde_json::to_value(PushNotification::ConversationMessage {
            conversation_id: Uuid::nil(),
            message_id: Uuid::nil(),
            sender_id: Uuid::nil(),
        })
        .unwrap_or_default();
        assert_eq!(value["type"], "conversation_message");
        assert_eq!(value.as_object().map(|o| o.len()), Some(4));
    }
}
