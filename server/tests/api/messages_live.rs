//! Live channel messages: members connected to different gateways see each other's messages,
//! edits, deletions, reactions, pins and typing, in order.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const MESSAGE_EVENTS: &[&str] = &["message_", "reaction_"];

#[tokio::test]
async fn members_on_two_gateways_see_each_others_changes_in_order() {
    let app = spawn_app().await;
    let gateway_b = app.env.start_gateway().await;
    let room = Room::open(&app, "liveann", &["livebob"]).await;
    let (ann, bob) = (&room.owner, &room.members[0]);
    let channel = room.channel_id;
    let mut ann_ws = WsClient::identified(&app.gateway.ws_url(), &ann.access_token).await;
    let mut bob_ws = WsClient::identified(&gateway_b.ws_url(), &bob.access_token).await;

    let first = say(&app, ann, channel, "hello from ann").await;
    let second = say(&app, bob, channel, "hi ann, **bob** here").await;
    let edited = app
        .ok(
            Method::PATCH,
            &message_path(channel, &second["message_id"]),
            &bob.access_token,
            Some(json!({ "body": "hi ann, *bob* here" })),
        )
        .await;
    assert_eq!(edited["body"], "hi ann, *bob* here");
    assert!(edited["edited_at"].is_string(), "{edited}");
    let reaction = format!(
        "{}/reactions/%F0%9F%91%8D",
        message_path(channel, &first["message_id"])
    );
    let added = app
        .send(Method::PUT, &reaction, Some(&bob.access_token), None)
        .await;
    assert_eq!(added.status, 204, "{}", added.body);
    let removed = app
        .send(Method::DELETE, &reaction, Some(&bob.access_token), None)
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let pin = format!(
        "/api/v1/channels/{channel}/pins/{}",
        first["message_id"].as_str().unwrap()
    );
    app.ok(Method::PUT, &pin, &ann.access_token, None).await;
    let deleted = app
        .send(
            Method::DELETE,
            &message_path(channel, &first["message_id"]),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);

    let expected = [
        "message_created",
        "message_created",
        "message_edited",
        "reaction_added",
        "reaction_removed",
        "message_pinned",
        "message_deleted",
    ];
    for ws in [&mut ann_ws, &mut bob_ws] {
        let events = events_named(ws, MESSAGE_EVENTS, 7).await;
        let names: Vec<&str> = events.iter().map(|e| e["t"].as_str().unwrap()).collect();
        assert_eq!(names, expected);
        assert_eq!(events[0]["d"]["message"], first);
        assert_eq!(
            events[1]["d"]["message"]["message_id"],
            second["message_id"]
        );
        assert_eq!(events[1]["d"]["message"]["author_id"], json!(bob.user_id));
        assert_eq!(events[2]["d"]["message"]["body"], "hi ann, *bob* here");
        let reacted = &events[3]["d"];
        assert_eq!(reacted["emoji"], "👍");
        assert_eq!(reacted["user_id"], json!(bob.user_id));
        assert_eq!(reacted["message_id"], first["message_id"]);
        assert_eq!(events[4]["d"]["emoji"], "👍");
        assert_eq!(events[5]["d"]["message_id"], first["message_id"]);
        assert_eq!(
            events[6]["d"],
            json!({ "channel_id": channel, "message_id": first["message_id"] })
        );
    }
}

#[tokio::test]
async fn typing_reaches_other_members_once_per_window() {
    let app = spawn_app().await;
    let room = Room::open(&app, "typeowner", &["typist"]).await;
    let (owner, typist) = (&room.owner, &room.members[0]);
    let mut owner_ws = WsClient::identified(&app.gateway.ws_url(), &owner.access_token).await;
    let typing = format!("/api/v1/channels/{}/typing", room.channel_id);

    let started = chrono::Utc::now();
    let first = app
        .send(Method::POST, &typing, Some(&typist.access_token), None)
        .await;
    assert_eq!(first.status, 204, "{}", first.body);
    let event = owner_ws.next_event("typing_started").await;
    assert_eq!(event["channel_id"], json!(room.channel_id));
    assert_eq!(event["user_id"], json!(typist.user_id));
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(event["expires_at"].clone()).unwrap();
    let ahead = (expires - started).num_milliseconds();
    assert!((7_000..=9_500).contains(&ahead), "expires {ahead} ms ahead");

    // Within the window: answered the same, announced no more.
    for _ in 0..3 {
        let again = app
            .send(Method::POST, &typing, Some(&typist.access_token), None)
            .await;
        assert_eq!(again.status, 204);
    }
    let quiet = events_within(&mut owner_ws, Duration::from_millis(800)).await;
    assert!(
        quiet.iter().all(|e| e["t"] != "typing_started"),
        "throttled typing was announced: {quiet:?}"
    );

    // A member without send_messages (timed out) may not announce typing.
    let until = chrono::Utc::now() + chrono::Duration::minutes(10);
    app.ok(
        Method::PUT,
        &format!("{}/members/{}/timeout", room.base(), typist.user_id),
        &owner.access_token,
        Some(json!({ "until": until })),
    )
    .await;
    let refused = app
        .send(Method::POST, &typing, Some(&typist.access_token), None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.code(), "forbidden");
}

#[tokio::test]
async fn events_of_a_hidden_channel_reach_only_those_who_see_it() {
    let app = spawn_app().await;
    let room = Room::open(&app, "hideowner", &["hidemember"]).await;
    let (owner, member) = (&room.owner, &room.members[0]);
    let secret = room.add_channel(&app, "staff", json!({})).await;
    room.hide_channel(&app, secret).await;
    let mut member_ws = WsClient::identified(&app.gateway.ws_url(), &member.access_token).await;
    let mut owner_ws = WsClient::identified(&app.gateway.ws_url(), &owner.access_token).await;

    let hidden = say(&app, owner, secret, "staff only").await;
    app.ok(
        Method::PUT,
        &format!(
            "{}/reactions/%E2%9D%A4%EF%B8%8F",
            message_path(secret, &hidden["message_id"])
        ),
        &owner.access_token,
        None,
    )
    .await;
    let typing = format!("/api/v1/channels/{secret}/typing");
    app.ok(Method::POST, &typing, &owner.access_token, None)
        .await;
    let visible = say(&app, owner, room.channel_id, "everyone sees this").await;

    // The owner sees both; the member only the public one, with nothing of the secret channel
    // before it.
    let owner_events = events_named(&mut owner_ws, &["message_created"], 2).await;
    assert_eq!(owner_events[0]["d"]["message"]["channel_id"], json!(secret));
    loop {
        let frame = member_ws.next_json().await;
        assert_ne!(
            frame["d"]["channel_id"],
            json!(secret),
            "an event of a hidden channel leaked: {frame}"
        );
        assert_ne!(
            frame["d"]["message"]["channel_id"],
            json!(secret),
            "a message of a hidden channel leaked: {frame}"
        );
        if frame["t"] == "message_created" {
            assert_eq!(frame["d"]["message"], visible);
            break;
        }
    }
    let later: Vec<Value> = events_within(&mut member_ws, Duration::from_millis(300)).await;
    assert!(later.is_empty(), "{later:?}");
}
