//! Live views: what a connected user receives follows what they may see, immediately, on
//! every gateway.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let reply = app.send(method.clone(), path, Some(token), body).await;
    assert!(
        (200..300).contains(&reply.status),
        "{method} {path}: {} {}",
        reply.status,
        reply.body
    );
    reply.body
}

/// Skips frames until one with event name `t` arrives.
async fn next_event(ws: &mut WsClient, t: &str) -> Value {
    loop {
        let frame = ws.next_json().await;
        if frame["t"] == t {
            return frame;
        }
    }
}

fn channel_ids(view: &Value) -> Vec<String> {
    view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"]["channel_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn channel_access_follows_role_changes_across_gateways() {
    let app = spawn_app().await;
    let gateway_b = app.env.start_gateway().await;
    let owner = app.register("liveowner").await;
    let member = app.register("livemember").await;
    let post = reqwest::Method::POST;

    let community = call(
        &app,
        post.clone(),
        "/api/v1/communities",
        &owner.access_token,
        Some(json!({ "name": "Live", "visibility": "public" })),
    )
    .await;
    let community_id = community["community_id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/communities/{community_id}");
    let view = call(
        &app,
        reqwest::Method::GET,
        &format!("{base}/view"),
        &owner.access_token,
        None,
    )
    .await;
    let group_id = view["groups"][0]["group_id"].as_str().unwrap().to_string();
    let general_id = view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"]["kind"] == "text")
        .map(|c| c["channel"]["channel_id"].as_str().unwrap().to_string())
        .unwrap();

    // A channel only the "mods" role may see.
    let secret = call(
        &app,
        post.clone(),
        &format!("{base}/channels"),
        &owner.access_token,
        Some(json!({ "group_id": group_id, "name": "mods-only", "kind": "text" })),
    )
    .await;
    let secret_id = secret["channel_id"].as_str().unwrap().to_string();
    let role = call(
        &app,
        post.clone(),
        &format!("{base}/roles"),
        &owner.access_token,
        Some(json!({ "name": "mods", "permissions": [] })),
    )
    .await;
    let role_id = role["role_id"].as_str().unwrap().to_string();
    let put = reqwest::Method::PUT;
    call(
        &app,
        put.clone(),
        &format!("{base}/channels/{secret_id}/overwrites/role/{community_id}"),
        &owner.access_token,
        Some(json!({ "allow": [], "deny": ["view_channel"] })),
    )
    .await;
    call(
        &app,
        put.clone(),
        &format!("{base}/channels/{secret_id}/overwrites/role/{role_id}"),
        &owner.access_token,
        Some(json!({ "allow": ["view_channel"], "deny": [] })),
    )
    .await;

    call(
        &app,
        post.clone(),
        &format!("{base}/join"),
        &member.access_token,
        None,
    )
    .await;

    // The member, on gateway B, starts without the secret channel.
    let mut ws = WsClient::connect(&gateway_b.ws_url()).await;
    ws.next_json().await;
    ws.send_json(json!({ "op": "identify", "d": { "token": member.access_token } }))
        .await;
    let ready = ws.next_json().await;
    assert_eq!(ready["op"], "ready", "{ready}");
    let snapshot = &ready["d"]["communities"][0];
    assert_eq!(snapshot["community"]["community_id"], community_id.as_str());
    let visible = channel_ids(snapshot);
    assert!(
        visible.contains(&general_id) && !visible.contains(&secret_id),
        "{visible:?}"
    );

    // Gains the role (through gateway A): the new view arrives, then the channel's events.
    call(
        &app,
        put.clone(),
        &format!("{base}/members/{}/roles/{role_id}", member.user_id),
        &owner.access_token,
        None,
    )
    .await;
    let changed = next_event(&mut ws, "community_view_changed").await;
    assert!(channel_ids(&changed["d"]["view"]).contains(&secret_id));
    let patch = reqwest::Method::PATCH;
    call(
        &app,
        patch.clone(),
        &format!("{base}/channels/{secret_id}"),
        &owner.access_token,
        Some(json!({ "topic": "seen" })),
    )
    .await;
    let event = next_event(&mut ws, "channel_changed").await;
    assert_eq!(event["d"]["channel"]["channel_id"], secret_id.as_str());
    assert_eq!(event["d"]["channel"]["topic"], "seen");

    // Loses it: no further events from that channel.
    call(
        &app,
        reqwest::Method::DELETE,
        &format!("{base}/members/{}/roles/{role_id}", member.user_id),
        &owner.access_token,
        None,
    )
    .await;
    let changed = next_event(&mut ws, "community_view_changed").await;
    assert!(!channel_ids(&changed["d"]["view"]).contains(&secret_id));
    call(
        &app,
        patch.clone(),
        &format!("{base}/channels/{secret_id}"),
        &owner.access_token,
        Some(json!({ "topic": "unseen" })),
    )
    .await;
    call(
        &app,
        patch.clone(),
        &format!("{base}/channels/{general_id}"),
        &owner.access_token,
        Some(json!({ "topic": "marker" })),
    )
    .await;
    loop {
        let frame = ws.next_json().await;
        if frame["t"] == "channel_changed" {
            assert_eq!(
                frame["d"]["channel"]["channel_id"],
                general_id.as_str(),
                "an event of a hidden channel leaked: {frame}"
            );
            assert_eq!(frame["d"]["channel"]["topic"], "marker");
            break;
        }
    }
}

#[tokio::test]
async fn kicked_members_stop_receiving_and_are_told() {
    let app = spawn_app().await;
    let owner = app.register("kickowner").await;
    let member = app.register("kickee").await;
    let community = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/communities",
        &owner.access_token,
        Some(json!({ "name": "Strict", "visibility": "public" })),
    )
    .await;
    let community_id = community["community_id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/communities/{community_id}");
    call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/join"),
        &member.access_token,
        None,
    )
    .await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &member.access_token).await;

    call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/members/{}/kick", member.user_id),
        &owner.access_token,
        Some(json!({ "reason": "testing" })),
    )
    .await;
    let removed = next_event(&mut ws, "community_removed").await;
    assert_eq!(removed["d"]["community_id"], community_id.as_str());
    assert_eq!(removed["d"]["reason"], "kicked");

    // Later community events do not reach the kicked member.
    call(
        &app,
        reqwest::Method::PATCH,
        &base,
        &owner.access_token,
        Some(json!({ "description": "after the kick" })),
    )
    .await;
    ws.send_json(json!({ "op": "heartbeat" })).await;
    let next = tokio::time::timeout(Duration::from_secs(2), ws.next_json())
        .await
        .unwrap();
    assert_eq!(
        next["op"], "heartbeat_ack",
        "received after the kick: {next}"
    );
}

#[tokio::test]
async fn joining_starts_the_community_feed_on_a_live_connection() {
    let app = spawn_app().await;
    let owner = app.register("feedowner").await;
    let newcomer = app.register("newcomer").await;
    let community = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/communities",
        &owner.access_token,
        Some(json!({ "name": "Open house", "visibility": "public" })),
    )
    .await;
    let community_id = community["community_id"].as_str().unwrap().to_string();
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &newcomer.access_token).await;

    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/communities/{community_id}/join"),
        &newcomer.access_token,
        None,
    )
    .await;
    let view = next_event(&mut ws, "community_view_changed").await;
    assert_eq!(
        view["d"]["view"]["community"]["community_id"],
        community_id.as_str()
    );

    call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/communities/{community_id}"),
        &owner.access_token,
        Some(json!({ "description": "welcome" })),
    )
    .await;
    let updated = next_event(&mut ws, "community_updated").await;
    assert_eq!(updated["d"]["community"]["description"], "welcome");
}
