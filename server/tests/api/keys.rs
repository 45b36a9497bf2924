//! Devices and prekeys end to end: registration with a verified signed prekey, bundles that
//! hand out each one-time prekey once (even to concurrent fetches), `keys_low` and
//! `devices_changed` over the WebSocket, the bundle rate limit, ownership by session, and who
//! may see a user's devices.

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::{keys::PrivateKey, xeddsa};
use rand::rngs::OsRng;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

/// A Curve25519 key pair as a client holds it, made and used with the client's own crypto
/// crate: the private key and the encoded public key (`0x05` then the X25519 key).
struct KeyPair {
    private: PrivateKey,
    public: [u8; 33],
}

impl KeyPair {
    fn generate() -> Self {
        let private = PrivateKey::generate(&mut OsRng);
        let mut public = [5u8; 33];
        public[1..].copy_from_slice(private.public_key().as_bytes());
        Self { private, public }
    }

    fn public_b64(&self) -> String {
        STANDARD.encode(self.public)
    }

    /// XEdDSA signature of `message`.
    fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(xeddsa::sign(&self.private, message, &mut OsRng))
    }
}

/// A client install's keys.
struct DeviceKeys {
    identity: KeyPair,
    signed_prekey: KeyPair,
}

impl DeviceKeys {
    fn generate() -> Self {
        Self {
            identity: KeyPair::generate(),
            signed_prekey: KeyPair::generate(),
        }
    }

    fn signed_prekey_json(&self, key_id: u32) -> Value {
        json!({
            "key_id": key_id,
            "public_key": self.signed_prekey.public_b64(),
            "signature": self.identity.sign(&self.signed_prekey.public),
        })
    }

    fn registration(&self, one_time: std::ops::Range<u32>) -> Value {
        json!({
            "name": "Laptop",
            "identity_key": self.identity.public_b64(),
            "signed_prekey": self.signed_prekey_json(1),
            "one_time_prekeys": one_time_prekeys(one_time),
        })
    }
}

fn one_time_prekeys(key_ids: std::ops::Range<u32>) -> Vec<Value> {
    key_ids
        .map(|key_id| json!({ "key_id": key_id, "public_key": KeyPair::generate().public_b64() }))
        .collect()
}

async fn register_device(app: &TestApp, user: &Session, body: Value) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/devices",
        Some(&user.access_token),
        Some(body),
    )
    .await
}

/// Registers a device with `one_time` prekeys; returns its id.
async fn device_with(app: &TestApp, user: &Session, one_time: std::ops::Range<u32>) -> Uuid {
    let reply = register_device(app, user, DeviceKeys::generate().registration(one_time)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    uuid_of(&reply.body["device_id"])
}

/// `method path` as `user`, with an owned path (so closures can build it).
async fn call(
    app: &TestApp,
    method: Method,
    path: String,
    user: &Session,
    body: Option<Value>,
) -> Reply {
    app.send(method, &path, Some(&user.access_token), body)
        .await
}

async fn upload_one_time(
    app: &TestApp,
    user: &Session,
    device_id: Uuid,
    keys: Vec<Value>,
) -> Reply {
    let path = format!("/api/v1/devices/{device_id}/one-time-prekeys");
    call(
        app,
        Method::POST,
        path,
        user,
        Some(json!({ "one_time_prekeys": keys })),
    )
    .await
}

async fn rotate_signed(app: &TestApp, user: &Session, device_id: Uuid, body: Value) -> Reply {
    let path = format!("/api/v1/devices/{device_id}/signed-prekey");
    call(app, Method::PUT, path, user, Some(body)).await
}

async fn delete_device(app: &TestApp, user: &Session, device_id: Uuid) -> Reply {
    let path = format!("/api/v1/devices/{device_id}");
    call(app, Method::DELETE, path, user, None).await
}

async fn bundle(app: &TestApp, user: &Session, device_id: Uuid) -> Reply {
    app.get(
        &format!("/api/v1/devices/{device_id}/bundle"),
        &user.access_token,
    )
    .await
}

/// A public community of `owner` that `members` joined.
async fn community_with(app: &TestApp, owner: &Session, members: &[&Session]) {
    let community_id = app.create_community(owner, "Keys", "public").await;
    for member in members {
        app.join_community(member, community_id).await;
    }
}

#[tokio::test]
async fn a_device_registers_with_a_verified_signed_prekey_and_rotates_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let keys = DeviceKeys::generate();
    let reply = register_device(&app, &alice, keys.registration(0..5)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["user_id"], json!(alice.user_id));
    assert_eq!(reply.body["name"], "Laptop");
    assert_eq!(reply.body["identity_key"], keys.identity.public_b64());
    let device_id = uuid_of(&reply.body["device_id"]);
    assert_eq!(device_id.get_version_num(), 7);

    let list = app
        .get(
            &format!("/api/v1/users/{}/devices", alice.user_id),
            &alice.access_token,
        )
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["devices"][0], reply.body);
    let count = app
        .get(
            &format!("/api/v1/devices/{device_id}/one-time-prekeys/count"),
            &alice.access_token,
        )
        .await;
    assert_eq!(count.body["count"], 5);

    // Rotation: verified, the new key is what bundles carry, a key id cannot be reused.
    let next = KeyPair::generate();
    let rotate = |body: Value| rotate_signed(&app, &alice, device_id, body);
    let bad = rotate(json!({
        "key_id": 2, "public_key": next.public_b64(), "signature": keys.identity.sign(b"other"),
    }))
    .await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_signature"));
    let ok = rotate(json!({
        "key_id": 2, "public_key": next.public_b64(), "signature": keys.identity.sign(&next.public),
    }))
    .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    let own = bundle(&app, &alice, device_id).await;
    assert_eq!(own.body["signed_prekey"]["key_id"], 2);
    assert_eq!(own.body["signed_prekey"]["public_key"], next.public_b64());
    let reused = rotate(json!({
        "key_id": 1, "public_key": next.public_b64(), "signature": keys.identity.sign(&next.public),
    }))
    .await;
    assert_eq!((reused.status, reused.code()), (400, "invalid_request"));
}

#[tokio::test]
async fn a_bad_signature_is_422_and_too_many_one_time_prekeys_400() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let keys = DeviceKeys::generate();

    let mut body = keys.registration(0..1);
    body["signed_prekey"]["signature"] = json!(keys.identity.sign(b"something else"));
    let reply = register_device(&app, &alice, body).await;
    assert_eq!((reply.status, reply.code()), (422, "invalid_signature"));

    // Signed by another identity key.
    let mut body = keys.registration(0..1);
    body["signed_prekey"]["signature"] =
        json!(KeyPair::generate().sign(&keys.signed_prekey.public));
    let reply = register_device(&app, &alice, body).await;
    assert_eq!((reply.status, reply.code()), (422, "invalid_signature"));

    let reply = register_device(&app, &alice, keys.registration(0..101)).await;
    assert_eq!((reply.status, reply.code()), (400, "invalid_request"));
    let reply = register_device(&app, &alice, keys.registration(0..100)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let device_id = uuid_of(&reply.body["device_id"]);

    let upload = |keys: Vec<Value>| upload_one_time(&app, &alice, device_id, keys);
    let reply = upload(one_time_prekeys(100..201)).await;
    assert_eq!((reply.status, reply.code()), (400, "invalid_request"));
    let reply = upload(one_time_prekeys(100..200)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["count"], 200);
    // A key id already stored.
    let reply = upload(one_time_prekeys(199..201)).await;
    assert_eq!((reply.status, reply.code()), (400, "invalid_request"));
}

#[tokio::test]
async fn bundles_hand_out_one_time_prekeys_one_at_a_time_then_none() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    community_with(&app, &alice, &[&bob]).await;
    let keys = DeviceKeys::generate();
    let mut registration = keys.registration(0..2);
    let otks = registration["one_time_prekeys"].clone();
    registration["one_time_prekeys"] = otks.clone();
    let reply = register_device(&app, &alice, registration).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let device_id = uuid_of(&reply.body["device_id"]);

    let first = bundle(&app, &bob, device_id).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["device_id"], json!(device_id));
    assert_eq!(first.body["user_id"], json!(alice.user_id));
    assert_eq!(first.body["identity_key"], keys.identity.public_b64());
    assert_eq!(first.body["signed_prekey"]["key_id"], 1);
    assert_eq!(
        first.body["signed_prekey"]["public_key"],
        keys.signed_prekey.public_b64()
    );
    assert_eq!(first.body["one_time_prekey"], otks[0]);
    let second = bundle(&app, &bob, device_id).await;
    assert_eq!(second.body["one_time_prekey"], otks[1]);
    let third = bundle(&app, &bob, device_id).await;
    assert_eq!(third.status, 200, "{}", third.body);
    assert_eq!(third.body["one_time_prekey"], Value::Null);
    assert_eq!(third.body["signed_prekey"], first.body["signed_prekey"]);
}

#[tokio::test]
async fn concurrent_bundle_fetches_never_share_a_one_time_prekey() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    community_with(&app, &alice, &[&bob, &carol]).await;
    let device_id = device_with(&app, &alice, 0..10).await;

    // Ten each: the rate limit is per (requester, device).
    let fetches = (0..20).map(|i| {
        let user = if i % 2 == 0 { &bob } else { &carol };
        bundle(&app, user, device_id)
    });
    let replies = futures::future::join_all(fetches).await;
    let mut handed_out = HashSet::new();
    let mut without = 0;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        match reply.body["one_time_prekey"]["key_id"].as_u64() {
            Some(key_id) => assert!(handed_out.insert(key_id), "key {key_id} handed out twice"),
            None => without += 1,
        }
    }
    assert_eq!(handed_out.len(), 10);
    assert_eq!(without, 10);
}

#[tokio::test]
async fn the_owner_hears_of_new_devices_and_low_one_time_prekeys() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    community_with(&app, &alice, &[&bob]).await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;

    let device_id = device_with(&app, &alice, 0..21).await;
    let changed = ws.next_event("devices_changed").await;
    assert_eq!(changed["user_id"], json!(alice.user_id));
    assert_eq!(changed["devices"][0]["device_id"], json!(device_id));

    assert_eq!(bundle(&app, &bob, device_id).await.status, 200); // 20 left
    assert_eq!(bundle(&app, &bob, device_id).await.status, 200); // 19 left
    let low = ws.next_event("keys_low").await;
    assert_eq!(low, json!({ "device_id": device_id, "remaining": 19 }));

    // Once per fall: the next claim says nothing; a restock re-arms it.
    assert_eq!(bundle(&app, &bob, device_id).await.status, 200); // 18 left
    let restock = app
        .send(
            Method::POST,
            &format!("/api/v1/devices/{device_id}/one-time-prekeys"),
            Some(&alice.access_token),
            Some(json!({ "one_time_prekeys": one_time_prekeys(100..102) })),
        )
        .await;
    assert_eq!(restock.body["count"], 20);
    assert_eq!(bundle(&app, &bob, device_id).await.status, 200); // 19 again
    let low = ws.next_event("keys_low").await;
    assert_eq!(low["remaining"], 19);

    let removed = app
        .send(
            Method::DELETE,
            &format!("/api/v1/devices/{device_id}"),
            Some(&alice.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    let changed = ws.next_event("devices_changed").await;
    assert_eq!(changed["devices"], json!([]));
}

#[tokio::test]
async fn bundle_fetches_are_rate_limited_per_requester_and_device() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    community_with(&app, &alice, &[&bob, &carol]).await;
    let device_id = device_with(&app, &alice, 0..3).await;
    let limit = chatalot_keys::BUNDLE_RATE_LIMIT;

    for _ in 0..limit {
        assert_eq!(bundle(&app, &bob, device_id).await.status, 200);
    }
    let limited = bundle(&app, &bob, device_id).await;
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let window = chatalot_keys::BUNDLE_RATE_WINDOW.as_secs();
    assert!((1..=window).contains(&retry), "Retry-After {retry}");
    // Someone else, or another device of the same user, has their own window.
    assert_eq!(bundle(&app, &carol, device_id).await.status, 200);
    let other_session = Session::from_json(&app.login("alice", PASSWORD).await.body);
    let second_device = device_with(&app, &other_session, 0..1).await;
    assert_eq!(bundle(&app, &bob, second_device).await.status, 200);
}

#[tokio::test]
async fn only_the_owning_session_changes_a_devices_keys() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    community_with(&app, &alice, &[&bob]).await;
    let keys = DeviceKeys::generate();
    let reply = register_device(&app, &alice, keys.registration(0..1)).await;
    let device_id = uuid_of(&reply.body["device_id"]);
    let other_session = Session::from_json(&app.login("alice", PASSWORD).await.body);

    let reply = upload_one_time(&app, &other_session, device_id, one_time_prekeys(10..11)).await;
    assert_eq!((reply.status, reply.code()), (403, "forbidden"));
    let reply = rotate_signed(&app, &other_session, device_id, keys.signed_prekey_json(7)).await;
    assert_eq!((reply.status, reply.code()), (403, "forbidden"));
    // Another user cannot even learn which device is whose.
    let reply = upload_one_time(&app, &bob, device_id, one_time_prekeys(10..11)).await;
    assert_eq!((reply.status, reply.code()), (404, "not_found"));
    let reply = rotate_signed(&app, &bob, device_id, keys.signed_prekey_json(7)).await;
    assert_eq!((reply.status, reply.code()), (404, "not_found"));
    assert_eq!(delete_device(&app, &bob, device_id).await.status, 404);

    assert_eq!(
        upload_one_time(&app, &alice, device_id, one_time_prekeys(10..11))
            .await
            .status,
        200
    );
    assert_eq!(
        rotate_signed(&app, &alice, device_id, keys.signed_prekey_json(7))
            .await
            .status,
        204
    );
    // Reading the stock and removing the device: any session of the owner.
    let count = app
        .get(
            &format!("/api/v1/devices/{device_id}/one-time-prekeys/count"),
            &other_session.access_token,
        )
        .await;
    assert_eq!(count.body["count"], 2);
    assert_eq!(
        delete_device(&app, &other_session, device_id).await.status,
        204
    );
    assert_eq!(bundle(&app, &bob, device_id).await.status, 404);
}

#[tokio::test]
async fn strangers_see_neither_devices_nor_bundles() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let stranger = app.register("stranger").await;
    community_with(&app, &alice, &[&bob]).await;
    let device_id = device_with(&app, &alice, 0..2).await;

    let path = format!("/api/v1/users/{}/devices", alice.user_id);
    let hidden = app.get(&path, &stranger.access_token).await;
    assert_eq!((hidden.status, hidden.code()), (404, "not_found"));
    let hidden = bundle(&app, &stranger, device_id).await;
    assert_eq!((hidden.status, hidden.code()), (404, "not_found"));
    let unknown = bundle(&app, &bob, Uuid::now_v7()).await;
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    // The stranger's attempt claimed nothing.
    let seen = app.get(&path, &bob.access_token).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["devices"][0]["device_id"], json!(device_id));
    let count = app
        .get(
            &format!("/api/v1/devices/{device_id}/one-time-prekeys/count"),
            &alice.access_token,
        )
        .await;
    assert_eq!(count.body["count"], 2);
    let anonymous = app.send(Method::GET, &path, None, None).await;
    assert_eq!(anonymous.status, 401);
}

/// Makes a valid registration body invalid in one way.
type Spoil = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn bad_key_material_is_a_clean_400() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let keys = DeviceKeys::generate();
    let mut wrong_type = keys.identity.public;
    wrong_type[0] = 6;
    // Bit 255 set: the same X25519 key to RFC 7748, but not canonical, so clients refuse it.
    let mut non_canonical = keys.identity.public;
    non_canonical[32] |= 0x80;
    let cases: Vec<(&str, Spoil)> = vec![
        (
            "non-canonical one-time prekey",
            Box::new(move |b| {
                b["one_time_prekeys"][0]["public_key"] = json!(STANDARD.encode(non_canonical))
            }),
        ),
        (
            "identity key type byte",
            Box::new(move |b| b["identity_key"] = json!(STANDARD.encode(wrong_type))),
        ),
        (
            "identity key of 32 bytes",
            Box::new(|b| b["identity_key"] = json!(STANDARD.encode([9u8; 32]))),
        ),
        (
            "identity key not base64",
            Box::new(|b| b["identity_key"] = json!("%%%")),
        ),
        (
            "signature of 63 bytes",
            Box::new(|b| b["signed_prekey"]["signature"] = json!(STANDARD.encode([1u8; 63]))),
        ),
        (
            "prekey of 34 bytes",
            Box::new(|b| {
                b["one_time_prekeys"][0]["public_key"] = json!(STANDARD.encode([5u8; 34]))
            }),
        ),
        (
            "duplicate key ids",
            Box::new(|b| b["one_time_prekeys"][1]["key_id"] = json!(0)),
        ),
        ("empty name", Box::new(|b| b["name"] = json!("  "))),
        (
            "negative key id",
            Box::new(|b| b["signed_prekey"]["key_id"] = json!(-1)),
        ),
        ("unknown field", Box::new(|b| b["extra"] = json!(true))),
        (
            "missing signed prekey",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("signed_prekey");
            }),
        ),
    ];
    for (what, spoil) in cases {
        let mut body = keys.registration(0..2);
        spoil(&mut body);
        let reply = register_device(&app, &alice, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{what}: {}",
            reply.body
        );
    }
    let reply = app
        .get("/api/v1/devices/not-a-uuid/bundle", &alice.access_token)
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);

    // One device per session; an upload needs at least one key.
    let device_id = device_with(&app, &alice, 0..1).await;
    let again = register_device(&app, &alice, keys.registration(0..1)).await;
    assert_eq!((again.status, again.code()), (400, "invalid_request"));
    let empty = app
        .send(
            Method::POST,
            &format!("/api/v1/devices/{device_id}/one-time-prekeys"),
            Some(&alice.access_token),
            Some(json!({ "one_time_prekeys": [] })),
        )
        .await;
    assert_eq!((empty.status, empty.code()), (400, "invalid_request"));
}

#[tokio::test]
async fn a_conversation_keeps_devices_visible_after_the_community_is_left() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let community_id = app.create_community(&owner, "Keys", "public").await;
    app.join_community(&alice, community_id).await;
    app.join_community(&bob, community_id).await;
    let device_id = device_with(&app, &alice, 0..1).await;
    app.ok(
        Method::POST,
        "/api/v1/conversations",
        &bob.access_token,
        Some(json!({ "member_ids": [alice.user_id] })),
    )
    .await;
    app.ok(
        Method::POST,
        &format!("/api/v1/communities/{community_id}/leave"),
        &bob.access_token,
        None,
    )
    .await;

    let path = format!("/api/v1/users/{}/devices", alice.user_id);
    assert_eq!(app.get(&path, &bob.access_token).await.status, 200);
    assert_eq!(bundle(&app, &bob, device_id).await.status, 200);
    // The owner shares only the community, which still counts.
    assert_eq!(app.get(&path, &owner.access_token).await.status, 200);
}
