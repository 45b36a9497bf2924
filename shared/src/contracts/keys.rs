//! Devices and their public key material (owned by keys-svc), for end-to-end encryption.
//!
//! Each client install registers a [`Device`] with its own identity key, a signed prekey and a
//! batch of one-time prekeys. Others fetch a [`PreKeyBundle`] to start a session with that
//! device; each fetch hands out at most one one-time prekey, never the same one twice.
//!
//! Keys travel as standard base64 (with padding): public keys are 33 bytes (`0x05` then a
//! 32-byte X25519 key), signatures 64 bytes (XEdDSA over the 33-byte encoded signed prekey,
//! made with the identity key). A signature that does not verify is `invalid_signature` (422).
//!
//! Who may do what: a device belongs to the session that registered it, and only that session
//! may change its keys (others of the same user get `forbidden`). Any session of the owner may
//! remove a device (so a lost device can be removed from another one). A user's device list and
//! their devices' bundles are visible to the user themself and to those who share a community
//! or a conversation with them; anyone else gets `not_found`.

use super::{Empty, Event, rpc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most one-time prekeys in one registration or upload.
pub const MAX_ONE_TIME_PREKEYS_PER_UPLOAD: usize = 100;

/// Below this many stored one-time prekeys the owner gets `keys_low`.
pub const ONE_TIME_PREKEYS_LOW: u32 = 20;

/// The most devices one user may have (an envelope addresses at most this many of a user's).
pub const MAX_DEVICES_PER_USER: usize = super::conversations::MAX_DEVICES_PER_USER;

/// A medium-term key, signed with the device's identity key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPreKey {
    /// Chosen by the device; unique among the device's signed prekeys.
    pub key_id: u32,
    /// Base64 of 33 bytes: `0x05` then the X25519 key.
    pub public_key: String,
    /// Base64 of the 64-byte XEdDSA signature of the 33 encoded `public_key` bytes.
    pub signature: String,
}

/// A single-use key; handed out in at most one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneTimePreKey {
    /// Chosen by the device; unique among the device's stored one-time prekeys.
    pub key_id: u32,
    /// Base64 of 33 bytes: `0x05` then the X25519 key.
    pub public_key: String,
}

/// One client install of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    /// Time-ordered (UUIDv7).
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// Base64 of 33 bytes: `0x05` then the X25519 identity key.
    pub identity_key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceList {
    /// Oldest first.
    pub devices: Vec<Device>,
}

/// What a client needs to start a session with one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PreKeyBundle {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub identity_key: String,
    /// The device's current signed prekey.
    pub signed_prekey: SignedPreKey,
    /// One unused one-time prekey, now claimed for this caller; `None` when none are left.
    pub one_time_prekey: Option<OneTimePreKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OneTimePreKeyCount {
    /// One-time prekeys stored and not yet handed out.
    pub count: u32,
}

// ---- requests ----

/// Registers a device for the caller; the caller's session becomes its owner. At most 10
/// devices per user and one per session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDeviceRequest {
    /// 1 to 64 characters, shown to the user's other devices ("Laptop", "Phone").
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F](?:[^\u0000-\u001F\u007F-\u009F]{0,62}[^\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Base64 of 33 bytes: `0x05` then the X25519 identity key.
    pub identity_key: String,
    pub signed_prekey: SignedPreKey,
    /// At most 100, distinct key ids.
    #[serde(default)]
    pub one_time_prekeys: Vec<OneTimePreKey>,
}

/// Replaces the device's signed prekey (owning session only). The previous one stays stored
/// for a grace period so sessions started with it can still be completed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSignedPreKeyRequest {
    #[serde(default)]
    #[schema(ignore)]
    pub device_id: Uuid,
    /// A key id the device has not used for a signed prekey still stored.
    pub key_id: u32,
    pub public_key: String,
    pub signature: String,
}

/// Adds one-time prekeys (owning session only): 1 to 100, key ids not already stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadOneTimePreKeysRequest {
    #[serde(default)]
    #[schema(ignore)]
    pub device_id: Uuid,
    pub one_time_prekeys: Vec<OneTimePreKey>,
}

/// How many one-time prekeys a device has left (any session of the owner).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountOneTimePreKeysRequest {
    pub device_id: Uuid,
}

/// Removes a device and all its keys (any session of the owner).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteDeviceRequest {
    pub device_id: Uuid,
}

/// A user's devices (the user, or someone sharing a community or conversation with them).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUserDevicesRequest {
    pub user_id: Uuid,
}

/// A device's bundle, claiming one of its one-time prekeys (same visibility as the device
/// list). Rate limited per (caller, device).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPreKeyBundleRequest {
    pub device_id: Uuid,
}

rpc! {
    RegisterDeviceRequest => Device, Keys, "register_device";
    RotateSignedPreKeyRequest => Empty, Keys, "rotate_signed_prekey";
    UploadOneTimePreKeysRequest => OneTimePreKeyCount, Keys, "upload_one_time_prekeys";
    CountOneTimePreKeysRequest => OneTimePreKeyCount, Keys, "count_one_time_prekeys";
    DeleteDeviceRequest => Empty, Keys, "delete_device";
    ListUserDevicesRequest => DeviceList, Keys, "list_user_devices";
    GetPreKeyBundleRequest => PreKeyBundle, Keys, "get_prekey_bundle";
}

// ---- events ----

/// The user's device list changed (a device was registered or removed): the whole list, to
/// the user's own connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DevicesChanged {
    pub user_id: Uuid,
    pub devices: Vec<Device>,
}

impl Event for DevicesChanged {
    const NAME: &'static str = "devices_changed";
}

/// A device's stock of one-time prekeys fell below 20: upload more. Sent once per fall (again
/// only after an upload brings it back to 20 or more), to the owner's connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeysLow {
    pub device_id: Uuid,
    pub remaining: u32,
}

impl Event for KeysLow {
    const NAME: &'static str = "keys_low";
}
