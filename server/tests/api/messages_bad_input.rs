//! Every malformed message request gets a clean 4xx with a stable code, and changes nothing.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn expect_400(
    app: &TestApp,
    user: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
) {
    let reply = app
        .send(method.clone(), path, Some(&user.access_token), body.clone())
        .await;
    assert_eq!(
        reply.status, 400,
        "{method} {path} {body:?}: {}",
        reply.body
    );
    assert!(
        matches!(reply.code(), "invalid_request" | "invalid_json"),
        "{method} {path}: {}",
        reply.body
    );
}

#[tokio::test]
async fn bad_sends_and_edits_are_refused_cleanly() {
    let app = spawn_app().await;
    let room = Room::open(&app, "badsender", &[]).await;
    let user = &room.owner;
    let channel = room.channel_id;
    let path = messages_path(channel);
    let eleven: Vec<Uuid> = (0..11).map(|_| Uuid::now_v7()).collect();
    for body in [
        json!({ "nonce": "a", "body": "x".repeat(4001) }),
        json!({ "nonce": "a", "body": "é".repeat(4001) }),
        json!({ "nonce": "a", "body": "" }),
        json!({ "nonce": "a", "body": "   \n\t" }),
        json!({ "nonce": "a" }),
        json!({ "nonce": "a", "body": "bell \u{7}" }),
        json!({ "body": "no nonce" }),
        json!({ "nonce": "", "body": "x" }),
        json!({ "nonce": "n".repeat(65), "body": "x" }),
        json!({ "nonce": "line\nbreak", "body": "x" }),
        json!({ "nonce": 7, "body": "x" }),
        json!({ "nonce": "a", "body": 5 }),
        json!({ "nonce": "a", "body": "x", "color": "red" }),
        json!({ "nonce": "a", "body": "x", "reply_to": "not-a-uuid" }),
        json!({ "nonce": "a", "body": "x", "thread_root_id": 12 }),
        json!({ "nonce": "a", "body": "x", "attachment_ids": ["nope"] }),
        json!({ "nonce": "a", "body": "x", "attachment_ids": eleven }),
        json!({ "nonce": "a", "body": "x", "attachment_ids": [Uuid::now_v7()] }),
        json!(["nonce", "body"]),
    ] {
        expect_400(&app, user, Method::POST, &path, Some(body)).await;
    }
    // Not JSON at all.
    let raw = app
        .http
        .post(app.url(&path))
        .bearer_auth(&user.access_token)
        .header("content-type", "application/json")
        .body("{\"nonce\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    // Exactly 4000 characters is fine; nothing else was stored.
    let longest = post_message(
        &app,
        user,
        channel,
        json!({ "nonce": "max", "body": "é".repeat(4000) }),
    )
    .await;
    assert_eq!(longest.status, 201, "{}", longest.body);
    assert_eq!(history(&app, user, channel, "").await.len(), 1);

    let message = &longest.body;
    let one = message_path(channel, &message["message_id"]);
    for body in [
        json!({ "body": "x".repeat(4001) }),
        json!({ "body": "" }),
        json!({}),
        json!({ "body": "x", "pinned": true }),
    ] {
        expect_400(&app, user, Method::PATCH, &one, Some(body)).await;
    }
    for body in [
        json!({ "to_channel_id": channel }),
        json!({ "to_channel_id": channel, "nonce": "" }),
        json!({ "to_channel_id": "x", "nonce": "f" }),
        json!({ "nonce": "f" }),
    ] {
        expect_400(
            &app,
            user,
            Method::POST,
            &format!("{one}/forward"),
            Some(body),
        )
        .await;
    }
    for body in [
        json!({}),
        json!({ "message_id": "zzz" }),
        json!({ "message_id": message["message_id"], "x": 1 }),
    ] {
        expect_400(
            &app,
            user,
            Method::PUT,
            &format!("/api/v1/channels/{channel}/read"),
            Some(body),
        )
        .await;
    }
    // Without a token: 401, whatever the body.
    let anonymous = app
        .send(
            Method::POST,
            &path,
            None,
            Some(json!({ "nonce": "a", "body": "x" })),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn bad_ids_emoji_limits_and_queries_are_refused_cleanly() {
    let app = spawn_app().await;
    let room = Room::open(&app, "badreader", &[]).await;
    let user = &room.owner;
    let channel = room.channel_id;
    let message = say(&app, user, channel, "target").await;
    let one = message_path(channel, &message["message_id"]);
    let get = Method::GET;

    for path in [
        "/api/v1/channels/not-a-uuid/messages".to_string(),
        format!("/api/v1/channels/{channel}/messages/123/edits"),
        format!("/api/v1/channels/{channel}/threads/xyz/messages"),
        format!("/api/v1/channels/{channel}/messages?before=yesterday"),
        format!("/api/v1/channels/{channel}/messages?limit=0"),
        format!("/api/v1/channels/{channel}/messages?limit=101"),
        format!("/api/v1/channels/{channel}/messages?limit=-1"),
        format!("/api/v1/channels/{channel}/messages?limit=ten"),
        format!("/api/v1/channels/{channel}/messages?page=2"),
        format!("{one}/reactions/%F0%9F%91%8D?limit=0"),
        format!("{one}/reactions/%F0%9F%91%8D?after=me"),
        "/api/v1/search/messages?query=x&limit=0".to_string(),
        "/api/v1/search/messages?query=x&limit=51".to_string(),
        format!("/api/v1/search/messages?query={}", "q".repeat(257)),
        "/api/v1/search/messages?has_attachment=maybe".to_string(),
        "/api/v1/search/messages?before=2020-01-01T00:00:00Z&after=2021-01-01T00:00:00Z"
            .to_string(),
        "/api/v1/search/messages?author_id=bob".to_string(),
        "/api/v1/search/messages?sort=oldest".to_string(),
    ] {
        expect_400(&app, user, get.clone(), &path, None).await;
    }
    for method in [Method::PATCH, Method::DELETE] {
        expect_400(
            &app,
            user,
            method,
            &format!("/api/v1/channels/{channel}/messages/nope"),
            Some(json!({ "body": "x" })),
        )
        .await;
    }
    expect_400(
        &app,
        user,
        Method::PUT,
        &format!("/api/v1/channels/{channel}/pins/nope"),
        None,
    )
    .await;
    expect_400(
        &app,
        user,
        Method::POST,
        "/api/v1/channels/nope/typing",
        None,
    )
    .await;
    expect_400(
        &app,
        user,
        Method::POST,
        "/api/v1/communities/nope/read",
        None,
    )
    .await;

    // Emoji: one emoji grapheme, percent-encoded; text, several emoji or spaces are refused.
    for emoji in [
        "a",
        "ab",
        "%F0%9F%91%8D%F0%9F%91%8D",
        "%20",
        "%F0%9F%91%8D%20",
        ":smile:",
        "1",
        "%C3%A9",
        "%00",
    ] {
        for method in [Method::PUT, Method::DELETE, Method::GET] {
            expect_400(
                &app,
                user,
                method,
                &format!("{one}/reactions/{emoji}"),
                None,
            )
            .await;
        }
    }
    let long = "%F0%9F%91%8D%E2%80%8D".repeat(6);
    expect_400(
        &app,
        user,
        Method::PUT,
        &format!("{one}/reactions/{long}"),
        None,
    )
    .await;
    let page = history(&app, user, channel, "").await;
    assert_eq!(
        page[0]["reactions"],
        json!([]),
        "a refused reaction was stored"
    );
    // Family and flag emoji are single emoji.
    for emoji in [
        "%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7",
        "%F0%9F%87%AB%F0%9F%87%B7",
    ] {
        app.ok(
            Method::PUT,
            &format!("{one}/reactions/{emoji}"),
            &user.access_token,
            None,
        )
        .await;
    }
    let reactions = history(&app, user, channel, "").await[0]["reactions"].clone();
    assert_eq!(reactions[0]["emoji"], "👨‍👩‍👧");
    assert_eq!(reactions[1]["emoji"], "🇫🇷");

    // Unknown but well-formed ids: 404, not 400.
    let unknown = Uuid::now_v7();
    let missing = app
        .send(
            Method::PATCH,
            &format!("/api/v1/channels/{channel}/messages/{unknown}"),
            Some(&user.access_token),
            Some(json!({ "body": "x" })),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let missing_thread = app
        .send(
            get,
            &format!("/api/v1/channels/{channel}/threads/{unknown}/messages"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(missing_thread.status, 404, "{}", missing_thread.body);
}
