//! Web Push of conversation messages (RFC 8030, 8291, 8292): subscriptions, and pushes to a
//! local push service that checks each request the way a real one does. It verifies the VAPID
//! token (ES256 against the `k=` key, which must be the configured key; `aud` the endpoint's
//! origin; `exp` within 24 hours; `sub` present) and decrypts the aes128gcm body with the
//! browser's private key and auth secret, implemented here from the RFCs, independently of the
//! server's crate. A push carries metadata only; recipients connected anywhere (invisible too)
//! get none, nor does the sender.

use crate::helpers::*;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce, aead::Aead};
use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::post,
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use chatalot_shared::{cache::Cache, config::Config, liveness, secret::Secret};
use hkdf::Hkdf;
use p256::{
    PublicKey, SecretKey,
    ecdsa::{Signature, VerifyingKey, signature::Verifier},
    elliptic_curve::sec1::ToEncodedPoint,
    pkcs8::{EncodePrivateKey, LineEnding},
};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::mpsc;
use uuid::Uuid;

/// How long a push may take to arrive, and how long we wait to be sure none comes.
const ARRIVES: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(600);

/// The secret inside every test envelope: it must never appear in a push.
const SECRET_TEXT: &str = "the eagle lands at midnight";

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64url(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// The server's VAPID key, as the operator configures it.
pub(crate) struct Vapid {
    pem: String,
    /// Uncompressed point, base64url: what `k=` and the public-key endpoint must say.
    public_key: String,
}

impl Vapid {
    fn generate() -> Self {
        let secret = SecretKey::random(&mut rand::rngs::OsRng);
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .expect("pem")
            .to_string();
        let public_key = b64url(secret.public_key().to_encoded_point(false).as_bytes());
        Self { pem, public_key }
    }

    fn configure(&self, config: &mut Config) {
        config.push.vapid_private_key = Secret::new(self.pem.clone());
        config.push.vapid_subject = "mailto:ops@chatalot.test".into();
        config.push.allow_insecure_endpoints = true;
        config.push.request_timeout_ms = 3_000;
    }
}

/// A browser profile's push subscription: its key pair and auth secret stay here.
pub(crate) struct Browser {
    id: String,
    secret: SecretKey,
    auth: [u8; 16],
}

impl Browser {
    pub(crate) fn new() -> Self {
        Self {
            id: Uuid::new_v4().simple().to_string(),
            secret: SecretKey::random(&mut rand::rngs::OsRng),
            auth: rand::random(),
        }
    }

    fn public_point(&self) -> Vec<u8> {
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// `PushSubscription.toJSON()` for the subscription at `service`.
    fn subscription(&self, service: &PushService) -> Value {
        json!({
            "endpoint": service.endpoint(self),
            "expirationTime": null,
            "keys": { "p256dh": b64url(&self.public_point()), "auth": b64url(&self.auth) },
        })
    }
}

/// A request the push service received.
pub(crate) struct Received {
    browser_id: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct ServiceState {
    /// Status to answer per browser id (201 otherwise).
    answers: Arc<Mutex<HashMap<String, u16>>>,
    received: Option<mpsc::UnboundedSender<Received>>,
}

/// A push service on loopback. It records every request and answers; the checks run in the
/// test, so a failure fails the test.
pub(crate) struct PushService {
    addr: SocketAddr,
    answers: Arc<Mutex<HashMap<String, u16>>>,
    received: mpsc::UnboundedReceiver<Received>,
}

async fn receive(
    State(state): State<ServiceState>,
    Path(browser_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let status = state
        .answers
        .lock()
        .unwrap()
        .get(&browser_id)
        .copied()
        .unwrap_or(201);
    if let Some(received) = &state.received {
        received
            .send(Received {
                browser_id,
                headers,
                body,
            })
            .ok();
    }
    StatusCode::from_u16(status).unwrap()
}

impl PushService {
    async fn start() -> Self {
        let (tx, received) = mpsc::unbounded_channel();
        let state = ServiceState {
            answers: Arc::default(),
            received: Some(tx),
        };
        let answers = state.answers.clone();
        let app = Router::new()
            .route("/push/{browser_id}", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self {
            addr,
            answers,
            received,
        }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn endpoint(&self, browser: &Browser) -> String {
        format!("{}/push/{}", self.origin(), browser.id)
    }

    fn answer(&self, browser: &Browser, status: u16) {
        self.answers
            .lock()
            .unwrap()
            .insert(browser.id.clone(), status);
    }

    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(ARRIVES, self.received.recv())
            .await
            .expect("a push within 5 s")
            .expect("push service running")
    }

    /// Fails if a push arrives within `QUIET`.
    pub(crate) async fn assert_quiet(&mut self) {
        if let Ok(Some(push)) = tokio::time::timeout(QUIET, self.received.recv()).await {
            panic!("unexpected push to browser {}", push.browser_id);
        }
    }
}

/// Checks a push like a push service and a browser would; returns the decrypted payload.
pub(crate) fn open_push(
    push: &Received,
    service: &PushService,
    browser: &Browser,
    vapid: &Vapid,
) -> Value {
    assert_eq!(push.browser_id, browser.id);
    let header = |name: &str| {
        push.headers
            .get(name)
            .unwrap_or_else(|| panic!("{name} header"))
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("content-encoding"), "aes128gcm");
    assert_eq!(header("ttl"), "86400");
    assert_eq!(header("urgency"), "high");

    // RFC 8292: `vapid t=<JWT>, k=<public key>`.
    let authorization = header("authorization");
    let rest = authorization
        .strip_prefix("vapid t=")
        .expect("vapid scheme");
    let (token, k) = rest.split_once(", k=").expect("k parameter");
    assert_eq!(k, vapid.public_key, "k must be the configured key");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let jose: Value = serde_json::from_slice(&unb64url(parts[0])).unwrap();
    assert_eq!(jose["alg"], "ES256", "{jose}");
    let verifying = VerifyingKey::from_sec1_bytes(&unb64url(k)).expect("k is a P-256 key");
    let signature = Signature::from_slice(&unb64url(parts[2])).expect("64-byte ES256 signature");
    verifying
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the VAPID signature verifies with k");
    let claims: Value = serde_json::from_slice(&unb64url(parts[1])).unwrap();
    assert_eq!(claims["aud"], service.origin(), "{claims}");
    let now = chrono::Utc::now().timestamp();
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(exp > now && exp <= now + 24 * 3600, "exp {exp}, now {now}");
    assert!(
        claims["sub"]
            .as_str()
            .is_some_and(|s| s.starts_with("mailto:")),
        "{claims}"
    );

    let plaintext = decrypt(&push.body, browser);
    serde_json::from_slice(&plaintext).expect("the payload is JSON")
}

/// The user agent's side of RFC 8291 (with the aes128gcm coding of RFC 8188): one record.
fn decrypt(body: &[u8], browser: &Browser) -> Vec<u8> {
    assert!(body.len() > 21 + 65 + 16, "body of {} bytes", body.len());
    let salt = &body[..16];
    let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
    let id_len = usize::from(body[20]);
    assert_eq!(
        id_len, 65,
        "the key id is the sender's uncompressed public key"
    );
    let server_public = &body[21..21 + id_len];
    let ciphertext = &body[21 + id_len..];
    assert!(ciphertext.len() <= record_size, "a single record");

    let server_key = PublicKey::from_sec1_bytes(server_public).expect("a P-256 point");
    let shared =
        p256::ecdh::diffie_hellman(browser.secret.to_nonzero_scalar(), server_key.as_affine());
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(&browser.public_point());
    key_info.extend_from_slice(server_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&browser.auth), shared.raw_secret_bytes().as_slice())
        .expand(&key_info, &mut ikm)
        .unwrap();
    let content = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    content
        .expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .unwrap();
    let mut nonce = [0u8; 12];
    content
        .expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap();
    let padded = Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .decrypt(Nonce::from_slice(&nonce), ciphertext)
        .expect("the body decrypts with the browser's keys");
    // The last record ends with the delimiter 0x02, then optional zero padding.
    let end = padded.iter().rposition(|b| *b != 0).expect("a delimiter");
    assert_eq!(padded[end], 2, "last-record delimiter");
    padded[..end].to_vec()
}

/// An app sending push with a fresh VAPID key, and its push service.
pub(crate) async fn push_app(configure: impl FnOnce(&mut Config)) -> (TestApp, Vapid, PushService) {
    let vapid = Vapid::generate();
    let app = spawn_app_with(|config| {
        vapid.configure(config);
        configure(config);
    })
    .await;
    let service = PushService::start().await;
    (app, vapid, service)
}

async fn subscribe(app: &TestApp, user: &Session, body: Value) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/push/subscriptions",
        Some(&user.access_token),
        Some(body),
    )
    .await
}

async fn unsubscribe(app: &TestApp, user: &Session, endpoint: String) -> Reply {
    app.send(
        Method::DELETE,
        "/api/v1/push/subscriptions",
        Some(&user.access_token),
        Some(json!({ "endpoint": endpoint })),
    )
    .await
}

pub(crate) async fn subscribed(
    app: &TestApp,
    user: &Session,
    service: &PushService,
    browser: &Browser,
) {
    let reply = subscribe(app, user, browser.subscription(service)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

async fn endpoints_of(app: &TestApp, user: &Session) -> Vec<Value> {
    let list = app
        .ok(
            Method::GET,
            "/api/v1/push/subscriptions",
            &user.access_token,
            None,
        )
        .await;
    list["subscriptions"].as_array().unwrap().clone()
}

/// A direct conversation between `a` and `b` (who first share a community).
pub(crate) async fn conversation(app: &TestApp, a: &Session, b: &Session) -> Uuid {
    let community_id = app.create_community(a, "Friends", "public").await;
    app.join_community(b, community_id).await;
    let created = app
        .ok(
            Method::POST,
            "/api/v1/conversations",
            &a.access_token,
            Some(json!({ "member_ids": [b.user_id] })),
        )
        .await;
    uuid_of(&created["conversation_id"])
}

/// `from` sends an envelope with a ciphertext for each of `to` and themself; returns the id.
pub(crate) async fn send(
    app: &TestApp,
    from: &Session,
    to: &[&Session],
    conversation_id: Uuid,
) -> Uuid {
    let mut recipients: Vec<Value> = to
        .iter()
        .chain([&from])
        .map(|user| {
            json!({ "user_id": user.user_id, "device_id": "phone", "ciphertext": STANDARD.encode(SECRET_TEXT) })
        })
        .collect();
    recipients.dedup();
    let sent = app
        .ok(
            Method::POST,
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            &from.access_token,
            Some(json!({
                "nonce": Uuid::new_v4().to_string(),
                "envelope": { "sender_device_id": "phone", "recipients": recipients },
            })),
        )
        .await;
    uuid_of(&sent["message_id"])
}

/// Waits until the server sees `user` connected (or not) anywhere, as message-svc asks.
async fn wait_connected(app: &TestApp, user: &Session, connected: bool) {
    let cache = Cache::connect(&app.env.config.redis).await.unwrap();
    let reached = eventually(ARRIVES, || {
        let cache = cache.clone();
        async move {
            liveness::connected_users(&cache, &[user.user_id])
                .await
                .is_ok_and(|flags| flags == [connected])
        }
    })
    .await;
    assert!(
        reached,
        "{} never became connected={connected}",
        user.user_id
    );
}

#[tokio::test]
async fn only_recipients_connected_nowhere_get_a_push_and_it_carries_metadata_only() {
    let (app, vapid, mut service) = push_app(|_| {}).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let conversation_id = conversation(&app, &alice, &bob).await;
    let (alice_browser, bob_browser) = (Browser::new(), Browser::new());
    subscribed(&app, &alice, &service, &alice_browser).await;
    subscribed(&app, &bob, &service, &bob_browser).await;

    // Bob is offline: one push, to him only (never to the sender), with metadata only.
    let first = send(&app, &alice, &[&bob], conversation_id).await;
    let push = service.next().await;
    let payload = open_push(&push, &service, &bob_browser, &vapid);
    assert_eq!(
        payload,
        json!({
            "type": "conversation_message",
            "conversation_id": conversation_id,
            "message_id": first,
            "sender_id": alice.user_id,
        })
    );
    let sealed = STANDARD.encode(SECRET_TEXT);
    for (what, bytes) in [
        ("payload", payload.to_string().into_bytes()),
        ("body", push.body.to_vec()),
    ] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(SECRET_TEXT) && !text.contains(&sealed),
            "{what}: {text}"
        );
    }
    service.assert_quiet().await;
    let recorded = eventually(ARRIVES, || async {
        endpoints_of(&app, &bob).await[0]["last_success_at"].is_string()
    })
    .await;
    assert!(recorded, "the success is recorded");

    // Bob connected, even invisible: the live event, no push.
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    app.ok(
        Method::PUT,
        "/api/v1/users/@me/presence",
        &bob.access_token,
        Some(json!({ "status": "invisible" })),
    )
    .await;
    wait_connected(&app, &bob, true).await;
    let second = send(&app, &alice, &[&bob], conversation_id).await;
    let live = bob_ws.next_event("conversation_message_created").await;
    assert_eq!(uuid_of(&live["message"]["message_id"]), second);
    service.assert_quiet().await;

    // Gone again: the next message is pushed, and it is the only push since.
    bob_ws.stream.close(None).await.ok();
    wait_connected(&app, &bob, false).await;
    let third = send(&app, &alice, &[&bob], conversation_id).await;
    let push = service.next().await;
    let payload = open_push(&push, &service, &bob_browser, &vapid);
    assert_eq!(uuid_of(&payload["message_id"]), third);
    service.assert_quiet().await;
}

#[tokio::test]
async fn a_subscription_its_push_service_calls_gone_is_deleted() {
    let (app, vapid, mut service) = push_app(|_| {}).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let conversation_id = conversation(&app, &alice, &bob).await;
    let (laptop, phone) = (Browser::new(), Browser::new());
    subscribed(&app, &bob, &service, &laptop).await;
    subscribed(&app, &bob, &service, &phone).await;
    service.answer(&laptop, 410);

    send(&app, &alice, &[&bob], conversation_id).await;
    let mut reached = Vec::new();
    for _ in 0..2 {
        let push = service.next().await;
        let browser = if push.browser_id == laptop.id {
            &laptop
        } else {
            &phone
        };
        open_push(&push, &service, browser, &vapid);
        reached.push(push.browser_id);
    }
    reached.sort();
    let mut expected = vec![laptop.id.clone(), phone.id.clone()];
    expected.sort();
    assert_eq!(reached, expected);

    let phone_only = json!([service.endpoint(&phone)]);
    let deleted = eventually(ARRIVES, || async {
        let endpoints: Vec<Value> = endpoints_of(&app, &bob)
            .await
            .iter()
            .map(|s| s["endpoint"].clone())
            .collect();
        json!(endpoints) == phone_only
    })
    .await;
    assert!(deleted, "the gone subscription is deleted, the other kept");
}

#[tokio::test]
async fn subscriptions_are_checked_bounded_and_owned() {
    let (app, vapid, service) = push_app(|config| config.push.max_subscriptions_per_user = 3).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let key = app
        .get("/api/v1/push/vapid-public-key", &alice.access_token)
        .await;
    assert_eq!(
        (key.status, key.body),
        (
            200,
            json!({ "enabled": true, "public_key": vapid.public_key })
        )
    );

    // Bad input: stable codes.
    let browser = Browser::new();
    let good = browser.subscription(&service);
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let mut slot = &mut body;
        for key in path {
            slot = &mut slot[*key];
        }
        *slot = value;
        body
    };
    let mut off_curve = vec![4u8];
    off_curve.extend([1u8; 64]);
    for (body, code) in [
        (
            with(&["endpoint"], json!("ftp://push.example.com/x")),
            "invalid_push_endpoint",
        ),
        (
            with(&["endpoint"], json!("not a url")),
            "invalid_push_endpoint",
        ),
        (
            with(
                &["endpoint"],
                json!(format!("https://push.example.com/{}", "a".repeat(2100))),
            ),
            "invalid_push_endpoint",
        ),
        (with(&["keys", "p256dh"], json!("***")), "invalid_push_keys"),
        (
            with(&["keys", "p256dh"], json!(b64url(&[4u8; 64]))),
            "invalid_push_keys",
        ),
        (
            with(&["keys", "p256dh"], json!(b64url(&off_curve))),
            "invalid_push_keys",
        ),
        (
            with(&["keys", "auth"], json!(b64url(&[1u8; 15]))),
            "invalid_push_keys",
        ),
        (
            with(
                &["keys"],
                json!({ "p256dh": b64url(&browser.public_point()) }),
            ),
            "invalid_request",
        ),
        (with(&["extra"], json!(1)), "invalid_request"),
    ] {
        let reply = subscribe(&app, &alice, body.clone()).await;
        assert_eq!((reply.status, reply.code()), (400, code), "{body}");
    }

    // Unauthenticated: 401 everywhere.
    for (method, path, body) in [
        (Method::GET, "/api/v1/push/vapid-public-key", None),
        (Method::GET, "/api/v1/push/subscriptions", None),
        (
            Method::POST,
            "/api/v1/push/subscriptions",
            Some(good.clone()),
        ),
        (
            Method::DELETE,
            "/api/v1/push/subscriptions",
            Some(json!({ "endpoint": good["endpoint"] })),
        ),
    ] {
        let reply = app.send(method.clone(), path, None, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "missing_token"),
            "{method} {path}"
        );
    }

    // Registering again updates (200); beyond the bound the oldest goes.
    subscribed(&app, &alice, &service, &browser).await;
    let again = subscribe(&app, &alice, good.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let others: Vec<Browser> = (0..3).map(|_| Browser::new()).collect();
    for other in &others {
        subscribed(&app, &alice, &service, other).await;
    }
    let endpoints: Vec<Value> = endpoints_of(&app, &alice)
        .await
        .iter()
        .map(|s| s["endpoint"].clone())
        .collect();
    let newest_first: Vec<Value> = others
        .iter()
        .rev()
        .map(|b| json!(service.endpoint(b)))
        .collect();
    assert_eq!(endpoints, newest_first);

    // Bob cannot delete Alice's subscription; she can.
    let theirs = unsubscribe(&app, &bob, service.endpoint(&others[0])).await;
    assert_eq!((theirs.status, theirs.code()), (404, "not_found"));
    assert_eq!(endpoints_of(&app, &alice).await.len(), 3);
    let own = unsubscribe(&app, &alice, service.endpoint(&others[0])).await;
    assert_eq!(own.status, 204, "{}", own.body);
    assert_eq!(endpoints_of(&app, &alice).await.len(), 2);

    // A browser now used by Bob: the endpoint moves to him.
    subscribed(&app, &bob, &service, &others[1]).await;
    assert_eq!(endpoints_of(&app, &alice).await.len(), 1);
    assert_eq!(endpoints_of(&app, &bob).await.len(), 1);

    let openapi = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    for (path, method) in [
        ("/api/v1/push/vapid-public-key", "get"),
        ("/api/v1/push/subscriptions", "post"),
        ("/api/v1/push/subscriptions", "get"),
        ("/api/v1/push/subscriptions", "delete"),
    ] {
        let operation = &openapi.body["paths"][path][method];
        assert_eq!(operation["tags"], json!(["push"]), "{method} {path}");
    }
}

#[tokio::test]
async fn push_is_off_without_a_key_and_https_only_without_the_insecure_flag() {
    let service = PushService::start().await;
    let browser = Browser::new();

    let off = spawn_app().await;
    let carol = off.register("carol").await;
    let key = off
        .get("/api/v1/push/vapid-public-key", &carol.access_token)
        .await;
    assert_eq!((key.status, key.body), (200, json!({ "enabled": false })));
    let refused = subscribe(&off, &carol, browser.subscription(&service)).await;
    assert_eq!((refused.status, refused.code()), (404, "push_disabled"));
    drop(off);

    let vapid = Vapid::generate();
    let strict = spawn_app_with(|config| {
        vapid.configure(config);
        config.push.allow_insecure_endpoints = false;
    })
    .await;
    let dave = strict.register("dave").await;
    let keys = browser.subscription(&service)["keys"].clone();
    for endpoint in [
        service.endpoint(&browser),
        format!("https://{}/push/{}", service.addr, browser.id),
        "https://localhost/push/1".to_string(),
    ] {
        let reply = subscribe(
            &strict,
            &dave,
            json!({ "endpoint": endpoint, "keys": keys }),
        )
        .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_push_endpoint"),
            "{endpoint}"
        );
    }
    let fine = subscribe(
        &strict,
        &dave,
        json!({ "endpoint": "https://push.example.com/wpush/v2/abc", "keys": keys }),
    )
    .await;
    assert_eq!(fine.status, 201, "{}", fine.body);
}
