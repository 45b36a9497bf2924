//! Conversations: direct and group conversations between people who share a community, the
//! end-to-end encrypted envelopes relayed in them (each device gets only its own ciphertext),
//! blocks, read receipts, idempotent sends and history pages.

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

/// Stands in for a ciphertext: the server cannot tell the difference.
fn sealed(text: &str) -> String {
    STANDARD.encode(text)
}

/// An envelope from `sender_device` with one entry per (user, device, secret).
fn envelope(sender_device: &str, entries: &[(Uuid, &str, &str)]) -> Value {
    let recipients: Vec<Value> = entries
        .iter()
        .map(|(user_id, device_id, secret)| {
            json!({ "user_id": user_id, "device_id": device_id, "ciphertext": sealed(secret) })
        })
        .collect();
    json!({ "sender_device_id": sender_device, "recipients": recipients })
}

/// A public community owned by `owner` that each of `members` joins.
async fn community_with(app: &TestApp, owner: &Session, members: &[&Session]) -> Uuid {
    let community_id = app.create_community(owner, "Friends", "public").await;
    for member in members {
        app.join_community(member, community_id).await;
    }
    community_id
}

async fn start(app: &TestApp, user: &Session, others: &[Uuid], name: Option<&str>) -> Reply {
    let mut body = json!({ "member_ids": others });
    if let Some(name) = name {
        body["name"] = json!(name);
    }
    app.send(
        Method::POST,
        "/api/v1/conversations",
        Some(&user.access_token),
        Some(body),
    )
    .await
}

/// Starts a conversation that must be new; returns its id.
async fn started(app: &TestApp, user: &Session, others: &[Uuid]) -> Uuid {
    let reply = start(app, user, others, None).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    uuid_of(&reply.body["conversation_id"])
}

async fn send_envelope(
    app: &TestApp,
    user: &Session,
    conversation_id: Uuid,
    nonce: &str,
    envelope: Value,
) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/conversations/{conversation_id}/messages"),
        Some(&user.access_token),
        Some(json!({ "nonce": nonce, "envelope": envelope })),
    )
    .await
}

/// Sends a message that must be stored; returns it.
async fn sent(
    app: &TestApp,
    user: &Session,
    conversation_id: Uuid,
    nonce: &str,
    entries: &[(Uuid, &str, &str)],
) -> Value {
    let reply = send_envelope(
        app,
        user,
        conversation_id,
        nonce,
        envelope("sender", entries),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

async fn mark_read(
    app: &TestApp,
    conversation_id: Uuid,
    user: &Session,
    message_id: &Value,
) -> Reply {
    app.send(
        Method::PUT,
        &format!("/api/v1/conversations/{conversation_id}/read"),
        Some(&user.access_token),
        Some(json!({ "message_id": message_id })),
    )
    .await
}

async fn history(app: &TestApp, user: &Session, conversation_id: Uuid, query: &str) -> Reply {
    app.get(
        &format!("/api/v1/conversations/{conversation_id}/messages{query}"),
        &user.access_token,
    )
    .await
}

async fn next_message(ws: &mut WsClient) -> Value {
    ws.next_event("conversation_message_created").await["message"].clone()
}

/// (device_id, decoded ciphertext) pairs of a message as one user sees it, sorted.
fn secrets(message: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = message["ciphertexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let bytes = STANDARD.decode(c["ciphertext"].as_str().unwrap()).unwrap();
            (
                c["device_id"].as_str().unwrap().to_string(),
                String::from_utf8(bytes).unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn message_ids(page: &Value) -> Vec<Value> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].clone())
        .collect()
}

#[tokio::test]
async fn a_direct_conversation_is_created_once_and_each_device_gets_only_its_ciphertext() {
    let app = spawn_app().await;
    let alice = app.register("dm_alice").await;
    let bob = app.register("dm_bob").await;
    let carol = app.register("dm_carol").await;
    community_with(&app, &alice, &[&bob, &carol]).await;

    let first = start(&app, &alice, &[bob.user_id], None).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["kind"], "direct");
    let dm = uuid_of(&first.body["conversation_id"]);
    // The same pair, from either side, gets the same conversation back.
    let again = start(&app, &bob, &[alice.user_id, bob.user_id], None).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(uuid_of(&again.body["conversation_id"]), dm);
    let named = start(&app, &alice, &[bob.user_id], Some("us")).await;
    assert_eq!(named.code(), "invalid_request");

    let mut alice_ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let mut carol_ws = WsClient::identified(&app.gateway.ws_url(), &carol.access_token).await;

    let stored = sent(
        &app,
        &alice,
        dm,
        "hello-1",
        &[
            (bob.user_id, "bob-phone", "for bob's phone"),
            (bob.user_id, "bob-laptop", "for bob's laptop"),
            (alice.user_id, "alice-tablet", "for alice's tablet"),
        ],
    )
    .await;
    assert_eq!(stored["author_id"], json!(alice.user_id));
    assert_eq!(stored["sender_device_id"], "sender");
    assert_eq!(
        secrets(&stored),
        pairs(&[("alice-tablet", "for alice's tablet")])
    );

    let to_bob = next_message(&mut bob_ws).await;
    assert_eq!(to_bob["message_id"], stored["message_id"]);
    assert_eq!(to_bob["conversation_id"], json!(dm));
    assert_eq!(
        secrets(&to_bob),
        pairs(&[
            ("bob-laptop", "for bob's laptop"),
            ("bob-phone", "for bob's phone")
        ])
    );
    let to_alice = next_message(&mut alice_ws).await;
    assert_eq!(to_alice["message_id"], stored["message_id"]);
    assert_eq!(
        secrets(&to_alice),
        pairs(&[("alice-tablet", "for alice's tablet")])
    );

    // Carol is in no conversation with them: the first message she receives is one sent to her.
    let with_carol = started(&app, &alice, &[carol.user_id]).await;
    let for_carol = sent(
        &app,
        &alice,
        with_carol,
        "hi-carol",
        &[(carol.user_id, "carol-phone", "for carol")],
    )
    .await;
    let to_carol = next_message(&mut carol_ws).await;
    assert_eq!(to_carol["message_id"], for_carol["message_id"]);
    assert_eq!(secrets(&to_carol), pairs(&[("carol-phone", "for carol")]));

    // ... and nothing about the other conversation is hers to see.
    for reply in [
        history(&app, &carol, dm, "").await,
        app.get(&format!("/api/v1/conversations/{dm}"), &carol.access_token)
            .await,
        app.get(
            &format!("/api/v1/conversations/{dm}/receipts"),
            &carol.access_token,
        )
        .await,
        send_envelope(
            &app,
            &carol,
            dm,
            "intrude",
            envelope("c", &[(bob.user_id, "bob-phone", "x")]),
        )
        .await,
    ] {
        assert_eq!(reply.status, 404, "{}", reply.body);
        assert_eq!(reply.code(), "not_found");
    }

    // History gives Bob his devices' ciphertexts, or one device's.
    let page = history(&app, &bob, dm, "").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(
        secrets(&page.body["messages"][0]),
        pairs(&[
            ("bob-laptop", "for bob's laptop"),
            ("bob-phone", "for bob's phone")
        ])
    );
    let phone_only = history(&app, &bob, dm, "?device_id=bob-phone").await;
    assert_eq!(
        secrets(&phone_only.body["messages"][0]),
        pairs(&[("bob-phone", "for bob's phone")])
    );

    // Alice's list: the most recent activity first.
    let list = app.get("/api/v1/conversations", &alice.access_token).await;
    let ids: Vec<Uuid> = list.body["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| uuid_of(&c["conversation_id"]))
        .collect();
    assert_eq!(ids, vec![with_carol, dm]);
}

#[tokio::test]
async fn plaintext_and_bad_envelopes_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let alice = app.register("pt_alice").await;
    let bob = app.register("pt_bob").await;
    let outsider = app.register("pt_outsider").await;
    community_with(&app, &alice, &[&bob]).await;
    let dm = started(&app, &alice, &[bob.user_id]).await;
    let path = format!("/api/v1/conversations/{dm}/messages");

    for body in [
        json!({ "nonce": "n", "body": "hello" }),
        json!({ "nonce": "n", "text": "hello" }),
        json!({ "nonce": "n", "content": "hello", "envelope": envelope("d", &[(bob.user_id, "p", "x")]) }),
        json!({ "nonce": "n", "envelope": "hello" }),
    ] {
        let reply = app
            .send(Method::POST, &path, Some(&alice.access_token), Some(body))
            .await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.code(), "plaintext_not_allowed");
    }

    let bad_envelopes = [
        // A recipient who is not a member.
        envelope("d", &[(outsider.user_id, "p", "x")]),
        // No recipients.
        envelope("d", &[]),
        // The same device twice.
        envelope("d", &[(bob.user_id, "p", "x"), (bob.user_id, "p", "y")]),
        // An empty device id.
        envelope("d", &[(bob.user_id, "", "x")]),
        // Not base64.
        json!({ "sender_device_id": "d", "recipients": [{ "user_id": bob.user_id, "device_id": "p", "ciphertext": "***" }] }),
        // Too large once decoded.
        json!({ "sender_device_id": "d", "recipients": [{ "user_id": bob.user_id, "device_id": "p", "ciphertext": STANDARD.encode(vec![7u8; 65_537]) }] }),
        // A field the envelope does not have.
        json!({ "sender_device_id": "d", "recipients": [], "plaintext": "hello" }),
    ];
    for bad in bad_envelopes {
        let reply = send_envelope(&app, &alice, dm, "n", bad).await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.code(), "invalid_request", "{}", reply.body);
    }
    let empty_nonce = send_envelope(
        &app,
        &alice,
        dm,
        "",
        envelope("d", &[(bob.user_id, "p", "x")]),
    )
    .await;
    assert_eq!(empty_nonce.code(), "invalid_request");

    for user in [&alice, &bob] {
        let page = history(&app, user, dm, "").await;
        assert_eq!(page.body["messages"], json!([]), "{}", page.body);
    }
}

#[tokio::test]
async fn only_people_sharing_a_community_may_talk_and_groups_hold_at_most_25() {
    let app = spawn_app().await;
    let alice = app.register("cap_alice").await;
    let stranger = app.register("cap_stranger").await;
    let mut friends = Vec::new();
    for i in 0..24 {
        friends.push(app.register(&format!("cap_friend{i}")).await);
    }
    let refs: Vec<&Session> = friends.iter().collect();
    community_with(&app, &alice, &refs).await;
    // The stranger is in a community of their own, not Alice's.
    app.create_community(&stranger, "Elsewhere", "public").await;

    let refused = start(&app, &alice, &[stranger.user_id], None).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.code(), "forbidden");
    let refused = start(&app, &stranger, &[alice.user_id], None).await;
    assert_eq!(refused.code(), "forbidden");
    // One stranger spoils a group.
    let refused = start(&app, &alice, &[friends[0].user_id, stranger.user_id], None).await;
    assert_eq!(refused.code(), "forbidden");

    // 26 people in all: too many, whoever they are.
    let mut too_many: Vec<Uuid> = friends.iter().map(|f| f.user_id).collect();
    too_many.push(Uuid::now_v7());
    let reply = start(&app, &alice, &too_many, None).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.code(), "invalid_request");
    let alone = start(&app, &alice, &[alice.user_id], None).await;
    assert_eq!(alone.code(), "invalid_request");

    // 25 is fine.
    let everyone: Vec<Uuid> = friends.iter().map(|f| f.user_id).collect();
    let group = start(&app, &alice, &everyone, Some("  Everyone ")).await;
    assert_eq!(group.status, 201, "{}", group.body);
    assert_eq!(group.body["kind"], "group");
    assert_eq!(group.body["name"], "Everyone");
    assert_eq!(group.body["member_ids"].as_array().unwrap().len(), 25);
    let group_id = uuid_of(&group.body["conversation_id"]);

    // Full: one more is refused, even a member of the community.
    let late = app.register("cap_late").await;
    let community_id = app.create_community(&late, "Late", "public").await;
    app.join_community(&alice, community_id).await;
    let reply = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{group_id}/members"),
            Some(&alice.access_token),
            Some(json!({ "member_ids": [late.user_id] })),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.code(), "invalid_request");
}

#[tokio::test]
async fn groups_can_be_renamed_extended_and_left_but_direct_ones_cannot() {
    let app = spawn_app().await;
    let alice = app.register("grp_alice").await;
    let bob = app.register("grp_bob").await;
    let carol = app.register("grp_carol").await;
    let dave = app.register("grp_dave").await;
    community_with(&app, &alice, &[&bob, &carol, &dave]).await;
    let group = started(&app, &alice, &[bob.user_id, carol.user_id]).await;
    let dm = started(&app, &alice, &[bob.user_id]).await;
    let base = format!("/api/v1/conversations/{group}");

    let mut dave_ws = WsClient::identified(&app.gateway.ws_url(), &dave.access_token).await;

    let renamed = app
        .ok(
            Method::PATCH,
            &base,
            &bob.access_token,
            Some(json!({ "name": "Plans" })),
        )
        .await;
    assert_eq!(renamed["name"], "Plans");
    let reply = app
        .send(
            Method::PATCH,
            &format!("/api/v1/conversations/{dm}"),
            Some(&alice.access_token),
            Some(json!({ "name": "Plans" })),
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");
    let reply = app
        .send(
            Method::PATCH,
            &base,
            Some(&dave.access_token),
            Some(json!({ "name": "Mine" })),
        )
        .await;
    assert_eq!(reply.status, 404);

    // Bob adds Dave, who hears about it.
    let extended = app
        .ok(
            Method::POST,
            &format!("{base}/members"),
            &bob.access_token,
            Some(json!({ "member_ids": [dave.user_id, carol.user_id] })),
        )
        .await;
    assert_eq!(extended["member_ids"].as_array().unwrap().len(), 4);
    let update = dave_ws.next_event("conversation_updated").await;
    assert_eq!(update["conversation"]["conversation_id"], json!(group));
    let got = app.get(&base, &dave.access_token).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["name"], "Plans");

    // Direct conversations neither grow nor can be left.
    let reply = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{dm}/members"),
            Some(&alice.access_token),
            Some(json!({ "member_ids": [carol.user_id] })),
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");
    let reply = app
        .send(
            Method::DELETE,
            &format!("/api/v1/conversations/{dm}/members/@me"),
            Some(&alice.access_token),
            None,
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");

    // Dave leaves: his other sessions hear it, and the conversation is gone for him.
    let left = app
        .send(
            Method::DELETE,
            &format!("{base}/members/@me"),
            Some(&dave.access_token),
            None,
        )
        .await;
    assert_eq!(left.status, 204, "{}", left.body);
    let gone = dave_ws.next_event("conversation_left").await;
    assert_eq!(gone["conversation_id"], json!(group));
    assert_eq!(app.get(&base, &dave.access_token).await.status, 404);
    let list = app.get("/api/v1/conversations", &dave.access_token).await;
    assert_eq!(list.body["conversations"], json!([]));
    let got = app.get(&base, &alice.access_token).await;
    assert_eq!(got.body["member_ids"].as_array().unwrap().len(), 3);

    // Bad input has stable codes.
    let reply = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            Some(&alice.access_token),
            Some(json!({ "member_ids": "bob" })),
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");
    let reply = app
        .get("/api/v1/conversations/not-a-uuid", &alice.access_token)
        .await;
    assert_eq!(reply.code(), "invalid_request");
    let reply = app
        .send(Method::GET, "/api/v1/conversations", None, None)
        .await;
    assert_eq!(reply.code(), "missing_token");
}

#[tokio::test]
async fn blocks_stop_new_conversations_and_hide_the_blocked_authors_messages() {
    let app = spawn_app().await;
    let alice = app.register("blk_alice").await;
    let bob = app.register("blk_bob").await;
    let carol = app.register("blk_carol").await;
    community_with(&app, &alice, &[&bob, &carol]).await;
    let group = started(&app, &alice, &[bob.user_id, carol.user_id]).await;

    // Carol blocks Alice.
    let blocked = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/@me/blocks/{}", alice.user_id),
            Some(&carol.access_token),
            None,
        )
        .await;
    assert_eq!(blocked.status, 204, "{}", blocked.body);
    let list = app
        .get("/api/v1/users/@me/blocks", &carol.access_token)
        .await;
    assert_eq!(list.body["blocks"][0]["user_id"], json!(alice.user_id));
    let reply = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/@me/blocks/{}", carol.user_id),
            Some(&carol.access_token),
            None,
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");
    let reply = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/@me/blocks/{}", Uuid::now_v7()),
            Some(&carol.access_token),
            None,
        )
        .await;
    assert_eq!(reply.code(), "not_found");

    // No new conversation between them, whoever asks, alone or in a group.
    for (from, to) in [(&alice, &carol), (&carol, &alice)] {
        let reply = start(&app, from, &[to.user_id], None).await;
        assert_eq!(reply.status, 403, "{}", reply.body);
        assert_eq!(reply.code(), "forbidden");
    }
    let reply = start(&app, &alice, &[bob.user_id, carol.user_id], None).await;
    assert_eq!(reply.code(), "forbidden");

    // In the group they already share, Alice's messages no longer reach Carol.
    let mut carol_ws = WsClient::identified(&app.gateway.ws_url(), &carol.access_token).await;
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let from_alice = sent(
        &app,
        &alice,
        group,
        "a1",
        &[
            (bob.user_id, "bob-phone", "alice to bob"),
            (carol.user_id, "carol-phone", "alice to carol"),
        ],
    )
    .await;
    let from_bob = sent(
        &app,
        &bob,
        group,
        "b1",
        &[
            (alice.user_id, "alice-phone", "bob to alice"),
            (carol.user_id, "carol-phone", "bob to carol"),
        ],
    )
    .await;
    assert_eq!(
        next_message(&mut bob_ws).await["message_id"],
        from_alice["message_id"]
    );
    let first_for_carol = next_message(&mut carol_ws).await;
    assert_eq!(first_for_carol["message_id"], from_bob["message_id"]);

    let carols = history(&app, &carol, group, "").await;
    assert_eq!(
        message_ids(&carols.body),
        vec![from_bob["message_id"].clone()]
    );
    let bobs = history(&app, &bob, group, "").await;
    assert_eq!(
        message_ids(&bobs.body),
        vec![
            from_alice["message_id"].clone(),
            from_bob["message_id"].clone()
        ]
    );

    // Unblocked: new conversations are possible again, and what was withheld shows in history.
    let unblocked = app
        .send(
            Method::DELETE,
            &format!("/api/v1/users/@me/blocks/{}", alice.user_id),
            Some(&carol.access_token),
            None,
        )
        .await;
    assert_eq!(unblocked.status, 204);
    assert_eq!(
        start(&app, &carol, &[alice.user_id], None).await.status,
        201
    );
    let carols = history(&app, &carol, group, "").await;
    assert_eq!(message_ids(&carols.body).len(), 2);
}

#[tokio::test]
async fn a_repeated_nonce_returns_the_stored_message_and_delivers_it_once() {
    let app = spawn_app().await;
    let alice = app.register("idem_alice").await;
    let bob = app.register("idem_bob").await;
    community_with(&app, &alice, &[&bob]).await;
    let dm = started(&app, &alice, &[bob.user_id]).await;
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;

    let first = sent(&app, &alice, dm, "once", &[(bob.user_id, "p", "first try")]).await;
    let retry = send_envelope(
        &app,
        &alice,
        dm,
        "once",
        envelope("other", &[(bob.user_id, "p", "second try")]),
    )
    .await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(retry.body["message_id"], first["message_id"]);
    assert_eq!(retry.body["sender_device_id"], "sender");
    let next = sent(&app, &alice, dm, "twice", &[(bob.user_id, "p", "next")]).await;

    let delivered = next_message(&mut bob_ws).await;
    assert_eq!(delivered["message_id"], first["message_id"]);
    assert_eq!(secrets(&delivered), pairs(&[("p", "first try")]));
    assert_eq!(
        next_message(&mut bob_ws).await["message_id"],
        next["message_id"]
    );
    let page = history(&app, &bob, dm, "").await;
    assert_eq!(
        message_ids(&page.body),
        vec![first["message_id"].clone(), next["message_id"].clone()]
    );
}

#[tokio::test]
async fn read_receipts_reach_the_other_members_unless_the_reader_opted_out() {
    let app = spawn_app().await;
    let alice = app.register("rr_alice").await;
    let bob = app.register("rr_bob").await;
    let carol = app.register("rr_carol").await;
    community_with(&app, &alice, &[&bob, &carol]).await;
    let dm = started(&app, &alice, &[bob.user_id]).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = sent(
            &app,
            &alice,
            dm,
            &format!("m{i}"),
            &[(bob.user_id, "p", "x")],
        )
        .await;
        ids.push(m["message_id"].clone());
    }
    let mut alice_ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    let read_path = format!("/api/v1/conversations/{dm}/read");
    let marked = mark_read(&app, dm, &bob, &ids[1]).await;
    assert_eq!(marked.status, 200, "{}", marked.body);
    assert_eq!(marked.body["message_id"], ids[1]);
    let read = alice_ws.next_event("conversation_read").await;
    assert_eq!(read["user_id"], json!(bob.user_id));
    assert_eq!(read["message_id"], ids[1]);
    assert_eq!(read["conversation_id"], json!(dm));
    // A marker never moves back.
    let back = mark_read(&app, dm, &bob, &ids[0]).await;
    assert_eq!(back.body["message_id"], ids[1]);

    // Bob opts out: he still keeps his marker, but Alice hears and sees nothing of it.
    let settings = "/api/v1/users/@me/settings/read-receipts";
    assert_eq!(
        app.get(settings, &bob.access_token).await.body["enabled"],
        true
    );
    let off = app
        .ok(
            Method::PUT,
            settings,
            &bob.access_token,
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!(off["enabled"], false);
    assert_eq!(
        app.get(settings, &bob.access_token).await.body["enabled"],
        false
    );
    let silent = mark_read(&app, dm, &bob, &ids[2]).await;
    assert_eq!(silent.body["message_id"], ids[2]);
    let receipts_path = format!("/api/v1/conversations/{dm}/receipts");
    let receipts = app.get(&receipts_path, &alice.access_token).await;
    assert_eq!(receipts.status, 200, "{}", receipts.body);
    assert_eq!(receipts.body["receipts"], json!([]));

    // Alice's own read is shared (with Bob), and is the next read event anyone gets; Alice
    // never got one for Bob's silent read.
    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    mark_read(&app, dm, &alice, &ids[2]).await;
    let alices = bob_ws.next_event("conversation_read").await;
    assert_eq!(alices["user_id"], json!(alice.user_id));
    app.ok(
        Method::PUT,
        settings,
        &bob.access_token,
        Some(json!({ "enabled": true })),
    )
    .await;
    let later = sent(&app, &alice, dm, "m3", &[(bob.user_id, "p", "x")]).await;
    mark_read(&app, dm, &bob, &later["message_id"]).await;
    let read = alice_ws.next_event("conversation_read").await;
    assert_eq!(read["message_id"], later["message_id"]);

    let receipts = app.get(&receipts_path, &alice.access_token).await;
    let mut readers: Vec<(Value, Value)> = receipts.body["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["user_id"].clone(), r["message_id"].clone()))
        .collect();
    readers.sort_by_key(|(user, _)| user.to_string());
    let mut expected = vec![
        (json!(alice.user_id), ids[2].clone()),
        (json!(bob.user_id), later["message_id"].clone()),
    ];
    expected.sort_by_key(|(user, _)| user.to_string());
    assert_eq!(readers, expected);

    // Unknown messages and outsiders get 404; a bad body a stable code.
    assert_eq!(
        mark_read(&app, dm, &bob, &json!(Uuid::now_v7()))
            .await
            .code(),
        "not_found"
    );
    assert_eq!(mark_read(&app, dm, &carol, &ids[0]).await.status, 404);
    let reply = app
        .send(
            Method::PUT,
            &read_path,
            Some(&bob.access_token),
            Some(json!({})),
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");
    let reply = app
        .send(
            Method::PUT,
            settings,
            Some(&bob.access_token),
            Some(json!({ "enabled": "no" })),
        )
        .await;
    assert_eq!(reply.code(), "invalid_request");
}

#[tokio::test]
async fn history_pages_run_oldest_first_in_both_directions() {
    let app = spawn_app().await;
    let alice = app.register("page_alice").await;
    let bob = app.register("page_bob").await;
    community_with(&app, &alice, &[&bob]).await;
    let dm = started(&app, &alice, &[bob.user_id]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let m = sent(
            &app,
            &alice,
            dm,
            &format!("p{i}"),
            &[(bob.user_id, "p", "x")],
        )
        .await;
        ids.push(m["message_id"].clone());
    }
    let id = |i: usize| ids[i].as_str().unwrap().to_string();

    let newest = history(&app, &bob, dm, "?limit=2").await;
    assert_eq!(message_ids(&newest.body), ids[3..5].to_vec());
    assert_eq!(newest.body["has_more"], true);
    let older = history(&app, &bob, dm, &format!("?limit=2&before={}", id(3))).await;
    assert_eq!(message_ids(&older.body), ids[1..3].to_vec());
    assert_eq!(older.body["has_more"], true);
    let oldest = history(&app, &bob, dm, &format!("?limit=2&before={}", id(1))).await;
    assert_eq!(message_ids(&oldest.body), ids[0..1].to_vec());
    assert_eq!(oldest.body["has_more"], false);

    let forward = history(&app, &bob, dm, &format!("?limit=3&after={}", id(0))).await;
    assert_eq!(message_ids(&forward.body), ids[1..4].to_vec());
    assert_eq!(forward.body["has_more"], true);
    let last = history(&app, &bob, dm, &format!("?after={}", id(3))).await;
    assert_eq!(message_ids(&last.body), ids[4..5].to_vec());
    assert_eq!(last.body["has_more"], false);
    let between = history(
        &app,
        &bob,
        dm,
        &format!("?after={}&before={}", id(0), id(3)),
    )
    .await;
    assert_eq!(message_ids(&between.body), ids[1..3].to_vec());

    for query in ["?limit=0", "?limit=101", "?before=nope", "?colour=red"] {
        let reply = history(&app, &bob, dm, query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.code(), "invalid_request");
    }
}

#[tokio::test]
async fn gateways_can_catch_a_member_up_over_nats() {
    use chatalot_shared::{
        contracts::conversations::{ConversationMessagesSinceRequest, ListConversationIdsRequest},
        rpc::{CallerContext, RpcClient},
        subjects::Subjects,
    };
    let app = spawn_app().await;
    let alice = app.register("since_alice").await;
    let bob = app.register("since_bob").await;
    let carol = app.register("since_carol").await;
    community_with(&app, &alice, &[&bob, &carol]).await;
    let dm = started(&app, &alice, &[bob.user_id]).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = sent(
            &app,
            &alice,
            dm,
            &format!("s{i}"),
            &[(bob.user_id, "p", "x")],
        )
        .await;
        ids.push(uuid_of(&m["message_id"]));
    }

    let nats = async_nats::connect(&app.env.config.nats.url).await.unwrap();
    let rpc = RpcClient::new(
        nats,
        Subjects::new(app.env.config.nats.namespace.clone()),
        Duration::from_secs(3),
    );
    let ctx = CallerContext::default();
    let since = |user_id: Uuid, limit: u32| ConversationMessagesSinceRequest {
        user_id,
        conversation_id: dm,
        after: ids[0],
        limit,
    };
    let caught_up = rpc.call(&ctx, &since(bob.user_id, 1)).await.unwrap();
    assert_eq!(caught_up.messages.len(), 1);
    assert_eq!(caught_up.messages[0].message_id, ids[1]);
    assert_eq!(caught_up.messages[0].ciphertexts.len(), 1);
    assert!(caught_up.has_more);
    let rest = rpc.call(&ctx, &since(bob.user_id, 500)).await.unwrap();
    let got: Vec<Uuid> = rest.messages.iter().map(|m| m.message_id).collect();
    assert_eq!(got, ids[1..].to_vec());
    assert!(!rest.has_more);
    let stranger = rpc.call(&ctx, &since(carol.user_id, 500)).await.unwrap();
    assert!(stranger.messages.is_empty() && !stranger.has_more);

    let list = |user_id| ListConversationIdsRequest { user_id };
    let bobs = rpc.call(&ctx, &list(bob.user_id)).await.unwrap();
    assert_eq!(bobs.conversation_ids, vec![dm]);
    let carols = rpc.call(&ctx, &list(carol.user_id)).await.unwrap();
    assert!(carols.conversation_ids.is_empty());
}
