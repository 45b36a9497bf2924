//! Delivery without loss: resume after a disconnect on another gateway, and acknowledged sends
//! surviving a message-svc replica dying mid-stream.

use crate::helpers::*;
use chatalot_shared::contracts::gateway::RESUME_LIMIT;
use serde_json::{Value, json};
use std::{collections::HashSet, time::Duration};
use uuid::Uuid;

/// A public community with `owner` and `member` in it; returns its first text channel.
async fn shared_channel(app: &TestApp, owner: &Session, member: &Session) -> Uuid {
    let community_id = app.create_community(owner, "Delivery", "public").await;
    app.join_community(member, community_id).await;
    let view = app.community_view(owner, community_id).await;
    view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"]["kind"] == "text")
        .map(|c| uuid_of(&c["channel"]["channel_id"]))
        .unwrap()
}

async fn send_message(
    app: &TestApp,
    token: &str,
    channel_id: Uuid,
    nonce: &str,
    body: &str,
) -> Value {
    let reply = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/channels/{channel_id}/messages"),
            Some(token),
            Some(json!({ "nonce": nonce, "body": body })),
        )
        .await;
    assert!(
        matches!(reply.status, 200 | 201),
        "send {nonce}: {} {}",
        reply.status,
        reply.body
    );
    reply.body
}

/// The next `message_created` frame, skipping unrelated ones.
async fn next_message(ws: &mut WsClient) -> Value {
    loop {
        let frame = ws.next_json().await;
        if frame["t"] == "message_created" {
            return frame["d"]["message"].clone();
        }
    }
}

#[tokio::test]
async fn a_client_resuming_on_another_gateway_gets_each_missed_message_once_in_order() {
    let app = spawn_app().await;
    let gateway_b = app.env.start_gateway().await;
    let owner = app.register("resumeowner").await;
    let member = app.register("resumer").await;
    let channel_id = shared_channel(&app, &owner, &member).await;

    let mut ws = WsClient::identified(&app.gateway.ws_url(), &member.access_token).await;
    let first = send_message(
        &app,
        &owner.access_token,
        channel_id,
        "m0",
        "before the drop",
    )
    .await;
    let seen = next_message(&mut ws).await;
    assert_eq!(seen["message_id"], first["message_id"]);
    drop(ws);

    let mut missed = Vec::new();
    for i in 1..=5 {
        let message = send_message(
            &app,
            &owner.access_token,
            channel_id,
            &format!("m{i}"),
            &format!("missed {i}"),
        )
        .await;
        missed.push(message["message_id"].clone());
    }

    let mut ws = WsClient::connect(&gateway_b.ws_url()).await;
    assert_eq!(ws.next_json().await["op"], "hello");
    ws.send_json(json!({ "op": "identify", "d": {
        "token": member.access_token,
        "resume": { "channels": { channel_id.to_string(): first["message_id"] } }
    } }))
    .await;
    let ready = ws.next_json().await;
    assert_eq!(ready["op"], "ready");
    let read_state = ready["d"]["read_states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["channel_id"] == channel_id.to_string())
        .cloned()
        .unwrap();
    assert_eq!(
        read_state["unread_count"], 6,
        "the snapshot counts unread messages: {read_state}"
    );
    for expected in &missed {
        let message = next_message(&mut ws).await;
        assert_eq!(
            &message["message_id"], expected,
            "missed messages arrive in order"
        );
    }
    assert_eq!(ws.next_json().await["op"], "resumed");

    // Live again, with nothing replayed twice.
    let live = send_message(&app, &owner.access_token, channel_id, "m6", "live").await;
    assert_eq!(
        next_message(&mut ws).await["message_id"],
        live["message_id"]
    );
    ws.send_json(json!({ "op": "heartbeat" })).await;
    assert_eq!(
        ws.next_json().await["op"],
        "heartbeat_ack",
        "a duplicate arrived"
    );
}

/// Past the replay limit the client gets the oldest missed messages, `resume_gap` (it refetches
/// the rest itself) and then live messages, each once: none of the replayed ones again.
#[tokio::test]
async fn a_resume_past_the_replay_limit_gets_a_gap_then_live_messages_once() {
    let app = spawn_app().await;
    let owner = app.register("gapowner").await;
    let member = app.register("gapmember").await;
    let channel_id = shared_channel(&app, &owner, &member).await;
    let first = send_message(&app, &owner.access_token, channel_id, "g0", "seen").await;

    // RESUME_LIMIT + 2 messages while the member is away, sent 25 at a time.
    let total = RESUME_LIMIT as usize + 2;
    let mut missed = Vec::with_capacity(total);
    for chunk in (1..=total).collect::<Vec<_>>().chunks(25) {
        let nonces: Vec<String> = chunk.iter().map(|i| format!("g{i}")).collect();
        let sends = nonces
            .iter()
            .map(|nonce| send_message(&app, &owner.access_token, channel_id, nonce, "missed"));
        for message in futures::future::join_all(sends).await {
            missed.push(uuid_of(&message["message_id"]));
        }
    }
    missed.sort();

    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    assert_eq!(ws.next_json().await["op"], "hello");
    ws.send_json(json!({ "op": "identify", "d": {
        "token": member.access_token,
        "resume": { "channels": { channel_id.to_string(): first["message_id"] } }
    } }))
    .await;
    assert_eq!(ws.next_json().await["op"], "ready");
    for expected in &missed[..RESUME_LIMIT as usize] {
        let message = next_message(&mut ws).await;
        assert_eq!(
            uuid_of(&message["message_id"]),
            *expected,
            "replayed in order"
        );
    }
    let gap = ws.next_json().await;
    assert_eq!(
        (gap["op"].as_str(), gap["t"].as_str()),
        (Some("event"), Some("resume_gap")),
        "{gap}"
    );
    assert_eq!(gap["d"]["channel_id"], json!(channel_id));
    assert_eq!(ws.next_json().await["op"], "resumed");

    let live = send_message(&app, &owner.access_token, channel_id, "live", "live").await;
    let live = uuid_of(&live["message_id"]);
    loop {
        let id = uuid_of(&next_message(&mut ws).await["message_id"]);
        if id == live {
            break;
        }
        // Only a missed message past the replay whose live frame was still on its way may come
        // first; a replayed one must not come again.
        assert!(missed[RESUME_LIMIT as usize..].contains(&id), "{id} again");
    }
    ws.send_json(json!({ "op": "heartbeat" })).await;
    assert_eq!(
        ws.next_json().await["op"],
        "heartbeat_ack",
        "a duplicate arrived"
    );
}

/// Sends `body` with `nonce` until the server acknowledges it, retrying (same nonce) on 503 as
/// a client would when a replica dies under it. Returns the acknowledged message id.
async fn send_until_acknowledged(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    nonce: &str,
) -> String {
    for _ in 0..30 {
        let body = json!({ "nonce": nonce, "body": format!("payload of {nonce}") });
        let reply = send(http, reqwest::Method::POST, url, Some(token), Some(body)).await;
        match reply.status {
            200 | 201 => return reply.body["message_id"].as_str().unwrap().to_string(),
            503 => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("send {nonce}: {other} {}", reply.body),
        }
    }
    panic!("send {nonce} never acknowledged");
}

#[tokio::test]
async fn acknowledged_sends_survive_a_replica_dying_mid_stream() {
    let mut app = spawn_app().await;
    let _second_replica = app.env.start_message().await;
    let owner = app.register("lossowner").await;
    let member = app.register("lossmember").await;
    let channel_id = shared_channel(&app, &owner, &member).await;
    let url = app.url(&format!("/api/v1/channels/{channel_id}/messages"));

    // Four clients send concurrently; one replica is killed while requests are in flight.
    let senders: Vec<_> = (0..4)
        .map(|client| {
            let (http, url, token) = (app.http.clone(), url.clone(), owner.access_token.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..15 {
                    let nonce = format!("loss-{client}-{i}");
                    acknowledged.push(send_until_acknowledged(&http, &url, &token, &nonce).await);
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    app.message.kill();
    let mut acknowledged = Vec::new();
    for sender in senders {
        acknowledged.extend(sender.await.unwrap());
    }
    acknowledged.sort();

    let history = app
        .get(
            &format!("/api/v1/channels/{channel_id}/messages?limit=100"),
            &member.access_token,
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let ids: Vec<String> = history.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a message is duplicated");
    assert_eq!(
        ids, acknowledged,
        "every acknowledged send is in history, in id order, once"
    );
}

#[tokio::test]
async fn a_conversation_resumes_with_each_missed_envelope_once_in_order() {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let app = spawn_app().await;
    let alice = app.register("resumealice").await;
    let bob = app.register("resumebob").await;
    shared_channel(&app, &alice, &bob).await;
    let created = app
        .send(
            reqwest::Method::POST,
            "/api/v1/conversations",
            Some(&alice.access_token),
            Some(json!({ "member_ids": [bob.user_id] })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let conversation_id = uuid_of(&created.body["conversation_id"]);
    let envelope = |i: usize| {
        json!({ "sender_device_id": "alice-phone", "recipients": [
            { "user_id": bob.user_id, "device_id": "bob-laptop", "ciphertext": STANDARD.encode(format!("secret {i}")) }
        ] })
    };
    let send_envelope = |i: usize| {
        let body = json!({ "nonce": format!("c{i}"), "envelope": envelope(i) });
        let token = alice.access_token.clone();
        let app = &app;
        async move {
            let reply = app
                .send(
                    reqwest::Method::POST,
                    &format!("/api/v1/conversations/{conversation_id}/messages"),
                    Some(&token),
                    Some(body),
                )
                .await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["message_id"].clone()
        }
    };

    let last_seen = send_envelope(0).await;
    let mut missed = Vec::new();
    for i in 1..=3 {
        missed.push(send_envelope(i).await);
    }

    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    ws.next_json().await;
    ws.send_json(json!({ "op": "identify", "d": {
        "token": bob.access_token,
        "resume": { "conversations": { conversation_id.to_string(): last_seen } }
    } }))
    .await;
    assert_eq!(ws.next_json().await["op"], "ready");
    for expected in &missed {
        let frame = loop {
            let frame = ws.next_json().await;
            if frame["t"] == "conversation_message_created" {
                break frame;
            }
        };
        assert_eq!(&frame["d"]["message"]["message_id"], expected);
        let ciphertexts = frame["d"]["message"]["ciphertexts"].as_array().unwrap();
        assert_eq!(ciphertexts.len(), 1, "only bob's device: {frame}");
    }
    assert_eq!(ws.next_json().await["op"], "resumed");
    ws.send_json(json!({ "op": "heartbeat" })).await;
    assert_eq!(
        ws.next_json().await["op"],
        "heartbeat_ack",
        "a duplicate arrived"
    );
}

#[tokio::test]
async fn an_oversized_resume_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let user = app.register("greedy").await;
    let channels: serde_json::Map<String, Value> = (0..501)
        .map(|_| (Uuid::now_v7().to_string(), json!(Uuid::now_v7())))
        .collect();
    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    ws.next_json().await;
    ws.send_json(json!({ "op": "identify", "d": {
        "token": user.access_token, "resume": { "channels": channels }
    } }))
    .await;
    assert_eq!(ws.next_json().await["op"], "ready");
    let error = ws.next_json().await;
    assert_eq!(
        (error["op"].as_str(), error["d"]["code"].as_str()),
        (Some("error"), Some("invalid_request"))
    );
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(4002));
}
