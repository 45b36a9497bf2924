//! Presence through real gateways (in-process and a separate `chatalot gateway` process),
//! real services, PostgreSQL, NATS and Redis: aggregation over devices and gateways, a killed
//! gateway leaving no ghost, invisibility, custom statuses, who hears of a change, the chosen
//! status surviving a Redis wipe, and Redis restarting under live traffic.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

/// Small presence timings, so that a dead gateway's users go offline within seconds.
fn fast_presence(config: &mut chatalot_shared::config::Config) {
    config.presence.gateway_ttl_secs = 3;
    config.presence.sweep_interval_ms = 300;
}

/// Generous: a killed gateway's users must be offline within ttl + sweep (3.3 s here); the
/// margin absorbs a loaded CI machine.
const OFFLINE_WITHIN: Duration = Duration::from_secs(20);
/// How long an expected live event may take.
const LIVE: Duration = Duration::from_secs(10);

/// `owner` creates a public community and every one of `members` joins it.
async fn community_of(app: &TestApp, owner: &Session, members: &[&Session]) -> Uuid {
    let community_id = app
        .create_community(owner, &format!("c{}", Uuid::new_v4().simple()), "public")
        .await;
    for member in members {
        app.join_community(member, community_id).await;
    }
    community_id
}

/// The user's own copy of their next presence change to `status` (the one with `settings`;
/// copies through their communities come without).
async fn own_presence_becomes(ws: &mut WsClient, user_id: Uuid, status: &str) -> Value {
    loop {
        let event = ws.presence_becomes(user_id, status, LIVE).await;
        if event.get("settings").is_some() {
            return event;
        }
    }
}

async fn put_presence(app: &TestApp, user: &Session, body: Value) -> Reply {
    app.send(
        Method::PUT,
        "/api/v1/users/@me/presence",
        Some(&user.access_token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn presence_spans_devices_and_gateways_and_a_killed_gateway_leaves_no_ghost() {
    let app = spawn_app_with(fast_presence).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    community_of(&app, &bob, &[&alice]).await;
    let mut gateway_b = GatewayProcess::start(&app.env.config);
    let gateway_a = &app.gateway;

    // Bob watches from both gateways.
    let mut bob_on_a = WsClient::identified(&gateway_a.ws_url(), &bob.access_token).await;
    let mut bob_on_b = WsClient::identified(&gateway_b.ws_url(), &bob.access_token).await;

    // Alice connects on A: seen online from B, and told her own status (with her choice).
    let mut alice_1 = WsClient::identified(&gateway_a.ws_url(), &alice.access_token).await;
    bob_on_b
        .presence_becomes(alice.user_id, "online", LIVE)
        .await;
    let own = own_presence_becomes(&mut alice_1, alice.user_id, "online").await;
    assert_eq!(own["settings"]["status"], "online", "{own}");
    let from_b = ready_presences(&gateway_b.ws_url(), &bob.access_token).await;
    assert_eq!(status_in(&from_b, alice.user_id).as_deref(), Some("online"));

    // A second device on B; the first one leaves: Alice stays online. Her remaining device
    // then goes idle, and Bob sees idle: the departed (active) device no longer counts.
    let mut alice_2 = WsClient::identified(&gateway_b.ws_url(), &alice.access_token).await;
    alice_1.stream.close(None).await.ok();
    drop(alice_1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    alice_2
        .send_json(json!({ "op": "activity", "d": { "idle": true } }))
        .await;
    let idle = bob_on_a.presence_becomes(alice.user_id, "idle", LIVE).await;
    assert!(
        idle.get("settings").is_none(),
        "only Alice's own copy carries settings: {idle}"
    );
    let before_kill = bob_on_a.presences_until_heartbeat(alice.user_id).await;
    assert!(
        before_kill.iter().all(|p| p["status"] != "offline"),
        "Alice went offline while connected on B: {before_kill:?}"
    );
    alice_2
        .send_json(json!({ "op": "activity", "d": { "idle": false } }))
        .await;
    bob_on_a
        .presence_becomes(alice.user_id, "online", LIVE)
        .await;

    // Gateway B dies without a word while holding Alice's last connection.
    gateway_b.kill();
    drop(bob_on_b);
    bob_on_a
        .presence_becomes(alice.user_id, "offline", OFFLINE_WITHIN)
        .await;
    let from_a = ready_presences(&gateway_a.ws_url(), &bob.access_token).await;
    assert_eq!(status_in(&from_a, alice.user_id), None, "{from_a:?}");
    // Bob himself is still online through A.
    let alice_again = WsClient::identified(&gateway_a.ws_url(), &alice.access_token).await;
    let seen_by_alice = ready_presences(&gateway_a.ws_url(), &alice.access_token).await;
    assert_eq!(
        status_in(&seen_by_alice, bob.user_id).as_deref(),
        Some("online")
    );
    drop(alice_again);
}

#[tokio::test]
async fn invisible_users_show_offline_and_custom_statuses_travel_and_expire() {
    let app = spawn_app_with(fast_presence).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    community_of(&app, &bob, &[&alice]).await;
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let mut alice_ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;

    let default = app
        .get("/api/v1/users/@me/presence", &alice.access_token)
        .await;
    assert_eq!(
        (default.status, default.body.clone()),
        (200, json!({ "status": "online", "custom_status": null }))
    );

    // Invisible: offline to others, her own connections know why.
    let reply = put_presence(&app, &alice, json!({ "status": "invisible" })).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "invisible");
    bob_ws
        .presence_becomes(alice.user_id, "offline", LIVE)
        .await;
    let own = own_presence_becomes(&mut alice_ws, alice.user_id, "offline").await;
    assert_eq!(own["settings"]["status"], "invisible", "{own}");
    let snapshot = ready_presences(&app.gateway.ws_url(), &bob.access_token).await;
    assert_eq!(status_in(&snapshot, alice.user_id), None, "{snapshot:?}");
    let stored = app
        .get("/api/v1/users/@me/presence", &alice.access_token)
        .await;
    assert_eq!(stored.body["status"], "invisible");

    // Do not disturb with a custom status (trimmed).
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    let reply = put_presence(
        &app,
        &alice,
        json!({ "status": "dnd", "custom_status": { "text": "  deep work  ", "expires_at": until } }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["custom_status"]["text"], "deep work");
    let dnd = bob_ws.presence_becomes(alice.user_id, "dnd", LIVE).await;
    assert_eq!(
        dnd["presence"]["custom_status"]["text"], "deep work",
        "{dnd}"
    );
    let snapshot = ready_presences(&app.gateway.ws_url(), &bob.access_token).await;
    assert_eq!(status_in(&snapshot, alice.user_id).as_deref(), Some("dnd"));

    // A custom status that expires disappears by itself, announced.
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let reply = put_presence(
        &app,
        &alice,
        json!({ "status": "online", "custom_status": { "text": "brb", "expires_at": soon } }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let online = bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;
    assert_eq!(
        online["presence"]["custom_status"]["text"], "brb",
        "{online}"
    );
    let expired = bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;
    assert_eq!(
        expired["presence"]["custom_status"],
        Value::Null,
        "{expired}"
    );
    let stored = app
        .get("/api/v1/users/@me/presence", &alice.access_token)
        .await;
    assert_eq!(stored.body["custom_status"], Value::Null, "{}", stored.body);
}

#[tokio::test]
async fn bad_presence_settings_are_refused_with_stable_codes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let far = chrono::Utc::now() + chrono::Duration::days(400);
    for body in [
        json!({ "status": "away" }),
        json!({ "status": "offline" }),
        json!({}),
        json!({ "status": "online", "mood": "great" }),
        json!({ "status": "online", "custom_status": { "text": "" } }),
        json!({ "status": "online", "custom_status": { "text": "   " } }),
        json!({ "status": "online", "custom_status": { "text": "x".repeat(129) } }),
        json!({ "status": "online", "custom_status": { "text": "two\nlines" } }),
        json!({ "status": "online", "custom_status": { "text": "late", "expires_at": past } }),
        json!({ "status": "online", "custom_status": { "text": "later", "expires_at": far } }),
        json!({ "status": "online", "custom_status": { "text": "when", "expires_at": "soon" } }),
    ] {
        let reply = put_presence(&app, &alice, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{body}: {}",
            reply.body
        );
    }
    let not_json = app
        .http
        .put(app.url("/api/v1/users/@me/presence"))
        .bearer_auth(&alice.access_token)
        .header("content-type", "application/json")
        .body("{\"status\":")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let anonymous = app
        .send(
            Method::PUT,
            "/api/v1/users/@me/presence",
            None,
            Some(json!({ "status": "online" })),
        )
        .await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "missing_token"));
    // Nothing was half-written: the choice is still the default.
    let stored = app
        .get("/api/v1/users/@me/presence", &alice.access_token)
        .await;
    assert_eq!(
        stored.body,
        json!({ "status": "online", "custom_status": null })
    );
    // Documented in the OpenAPI document.
    let openapi = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let path = &openapi.body["paths"]["/api/v1/users/@me/presence"];
    assert!(path["get"].is_object() && path["put"].is_object(), "{path}");
    // 128 characters are fine.
    let ok = put_presence(
        &app,
        &alice,
        json!({ "status": "idle", "custom_status": { "text": "é".repeat(128) } }),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn only_co_members_and_conversation_partners_hear_of_a_user() {
    let app = spawn_app_with(fast_presence).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let dave = app.register("dave").await;
    let erin = app.register("erin").await;
    let community_id = community_of(&app, &bob, &[&alice, &erin]).await;
    // Dave has a community of his own, with nobody Alice knows.
    community_of(&app, &dave, &[]).await;
    // Erin talks with Alice, then leaves the community: the conversation still links them.
    let created = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            Some(&erin.access_token),
            Some(json!({ "member_ids": [alice.user_id] })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    app.ok(
        Method::POST,
        &format!("/api/v1/communities/{community_id}/leave"),
        &erin.access_token,
        None,
    )
    .await;

    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let mut erin_ws = WsClient::identified(&app.gateway.ws_url(), &erin.access_token).await;
    let mut dave_ws = WsClient::identified(&app.gateway.ws_url(), &dave.access_token).await;
    let alice_ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;
    erin_ws
        .presence_becomes(alice.user_id, "online", LIVE)
        .await;
    let put = put_presence(&app, &alice, json!({ "status": "dnd" })).await;
    assert_eq!(put.status, 200, "{}", put.body);
    bob_ws.presence_becomes(alice.user_id, "dnd", LIVE).await;
    erin_ws.presence_becomes(alice.user_id, "dnd", LIVE).await;
    drop(alice_ws);
    bob_ws
        .presence_becomes(alice.user_id, "offline", LIVE)
        .await;
    erin_ws
        .presence_becomes(alice.user_id, "offline", LIVE)
        .await;
    // Dave, on the same gateway, heard of none of it.
    let heard = dave_ws.presences_until_heartbeat(alice.user_id).await;
    assert!(heard.is_empty(), "a stranger heard of Alice: {heard:?}");

    // Snapshots follow the same rule.
    let _alice_back = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    bob_ws.presence_becomes(alice.user_id, "dnd", LIVE).await;
    let by_erin = ready_presences(&app.gateway.ws_url(), &erin.access_token).await;
    assert_eq!(status_in(&by_erin, alice.user_id).as_deref(), Some("dnd"));
    let by_dave = ready_presences(&app.gateway.ws_url(), &dave.access_token).await;
    assert_eq!(status_in(&by_dave, alice.user_id), None, "{by_dave:?}");
    let heard = dave_ws.presences_until_heartbeat(alice.user_id).await;
    assert!(heard.is_empty(), "a stranger heard of Alice: {heard:?}");
}

#[tokio::test]
async fn the_ready_snapshot_is_bounded_per_community() {
    let app = spawn_app_with(|config| {
        fast_presence(config);
        config.presence.snapshot_members_per_community = 2;
    })
    .await;
    let owner = app.register("owner").await;
    let mut members = Vec::new();
    for name in ["member1", "member2", "member3", "member4"] {
        members.push(app.register(name).await);
    }
    let refs: Vec<&Session> = members.iter().collect();
    community_of(&app, &owner, &refs).await;
    let mut owner_ws = WsClient::identified(&app.gateway.ws_url(), &owner.access_token).await;
    let mut connected = Vec::new();
    for member in &members {
        connected.push(WsClient::identified(&app.gateway.ws_url(), &member.access_token).await);
        owner_ws
            .presence_becomes(member.user_id, "online", LIVE)
            .await;
    }
    // Five members, at most two considered (the owner among them possibly): one or two of the
    // four online members are in the snapshot, never all four; the rest come live.
    let snapshot = ready_presences(&app.gateway.ws_url(), &owner.access_token).await;
    let listed = members
        .iter()
        .filter(|m| status_in(&snapshot, m.user_id).is_some())
        .count();
    assert!((1..=2).contains(&listed), "{snapshot:?}");
}

/// Deletes every key of this test's Redis prefix, as a Redis that lost its data would be.
async fn wipe_redis(app: &TestApp) {
    let client = redis::Client::open(app.env.config.redis.url.expose()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pattern = format!("{}:*", app.env.config.redis.key_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_invisible_user_stays_offline_when_redis_loses_its_data() {
    let app = spawn_app_with(fast_presence).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    community_of(&app, &bob, &[&alice]).await;
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let _alice_ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;
    let put = put_presence(&app, &alice, json!({ "status": "invisible" })).await;
    assert_eq!(put.status, 200, "{}", put.body);
    bob_ws
        .presence_becomes(alice.user_id, "offline", LIVE)
        .await;

    wipe_redis(&app).await;
    // The gateway notices within a refresh and registers its connections again: Bob's own
    // presence is rebuilt (and republished to himself)...
    bob_ws.presence_becomes(bob.user_id, "online", LIVE).await;
    // ... and Alice's rebuilt from her stored choice: still offline to Bob.
    let heard = bob_ws.presences_until_heartbeat(alice.user_id).await;
    assert!(
        heard.iter().all(|p| p["status"] == "offline"),
        "an invisible user showed up after the wipe: {heard:?}"
    );
    let snapshot = ready_presences(&app.gateway.ws_url(), &bob.access_token).await;
    assert_eq!(status_in(&snapshot, alice.user_id), None, "{snapshot:?}");
    // She becomes visible again as soon as she says so.
    let put = put_presence(&app, &alice, json!({ "status": "online" })).await;
    assert_eq!(put.status, 200, "{}", put.body);
    bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;
}

#[tokio::test]
async fn messages_flow_while_redis_restarts_and_presence_rebuilds_itself() {
    let mut redis_server = PrivateRedis::start();
    let redis_url = redis_server.url();
    let app = spawn_app_with(move |config| {
        fast_presence(config);
        config.redis.url = chatalot_shared::secret::Secret::new(redis_url);
        config.presence.redis_timeout_ms = 300;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let community_id = community_of(&app, &bob, &[&alice, &carol]).await;
    let view = app.community_view(&bob, community_id).await;
    let channel_id = view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"]["kind"] == "text")
        .map(|c| uuid_of(&c["channel"]["channel_id"]))
        .expect("a default text channel");
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let alice_ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    bob_ws.presence_becomes(alice.user_id, "online", LIVE).await;

    redis_server.stop();
    // Messaging does not notice.
    let sent = app
        .send(
            Method::POST,
            &format!("/api/v1/channels/{channel_id}/messages"),
            Some(&alice.access_token),
            Some(json!({ "nonce": "during-outage", "body": "still here" })),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let created = bob_ws.next_event("message_created").await;
    assert_eq!(created["message"]["body"], "still here", "{created}");
    // Connecting still works (the snapshot just has no presences), and so do changes, later.
    let carol_ws = WsClient::identified(&app.gateway.ws_url(), &carol.access_token).await;
    drop(alice_ws);

    redis_server.restart();
    // Rebuilt without restarting anything: Carol (who connected during the outage) is online,
    // Alice (who left during it) is offline.
    let rebuilt = eventually(Duration::from_secs(20), || async {
        let snapshot = ready_presences(&app.gateway.ws_url(), &bob.access_token).await;
        status_in(&snapshot, carol.user_id).as_deref() == Some("online")
            && status_in(&snapshot, alice.user_id).is_none()
    })
    .await;
    assert!(rebuilt, "presence did not rebuild after Redis came back");
    bob_ws.presence_becomes(carol.user_id, "online", LIVE).await;
    // Live changes work again.
    drop(carol_ws);
    bob_ws
        .presence_becomes(carol.user_id, "offline", LIVE)
        .await;
    let sent = app
        .send(
            Method::POST,
            &format!("/api/v1/channels/{channel_id}/messages"),
            Some(&carol.access_token),
            Some(json!({ "nonce": "after-outage", "body": "back" })),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
}

#[tokio::test]
async fn the_gateway_liveness_key_follows_the_contract() {
    let app = spawn_app_with(fast_presence).await;
    let cache = chatalot_shared::cache::Cache::connect(&app.env.config.redis)
        .await
        .unwrap();
    // The gateway's instance id is not exposed: find its key under this test's prefix.
    let live_keys = || {
        let mut conn = cache.conn();
        let pattern = cache.key("gateway:*");
        async move {
            redis::cmd("KEYS")
                .arg(pattern)
                .query_async::<Vec<String>>(&mut conn)
                .await
                .unwrap()
        }
    };
    assert!(
        eventually(LIVE, || async { live_keys().await.len() == 1 }).await,
        "the gateway never registered its liveness"
    );
    let key = live_keys().await.remove(0);
    let id = Uuid::parse_str(key.rsplit(':').next().unwrap()).unwrap();
    assert_eq!(chatalot_shared::liveness::gateway_key(&cache, id), key);
    let mut conn = cache.conn();
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=3).contains(&ttl), "ttl {ttl}");
    let alive = || chatalot_shared::liveness::is_gateway_alive(&cache, id);
    assert!(alive().await.unwrap());

    // Refreshed: it outlives its TTL.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(alive().await.unwrap());
    // Back within a refresh after it vanished (as after a Redis restart).
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!alive().await.unwrap());
    assert!(eventually(LIVE, || async { alive().await.unwrap() }).await);
    // Deleted on a clean shutdown.
    app.gateway.running.stop().await;
    assert!(!alive().await.unwrap());
}
