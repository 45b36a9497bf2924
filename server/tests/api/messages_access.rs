//! Enforcement: who may read and post where, whatever the client sends. message-svc asks
//! community-svc for every request; these tests change the answer and watch the refusal.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test]
async fn a_channel_the_user_cannot_see_does_not_exist_for_them() {
    let app = spawn_app().await;
    let room = Room::open(&app, "privowner", &["privmember"]).await;
    let (owner, member) = (&room.owner, &room.members[0]);
    let secret = room.add_channel(&app, "secret", json!({})).await;
    let message = say(&app, owner, secret, "classified").await;
    room.hide_channel(&app, secret).await;
    let outsider = app.register("privoutsider").await;
    let path = message_path(secret, &message["message_id"]);
    let unknown = Uuid::now_v7();

    for user in [member, &outsider] {
        let token = Some(user.access_token.as_str());
        let requests = [
            (
                Method::POST,
                messages_path(secret),
                Some(json!({ "nonce": "n1", "body": "hi" })),
            ),
            (Method::GET, messages_path(secret), None),
            (Method::GET, format!("/api/v1/channels/{secret}/read"), None),
            (
                Method::PUT,
                format!("/api/v1/channels/{secret}/read"),
                Some(json!({ "message_id": message["message_id"] })),
            ),
            (Method::PATCH, path.clone(), Some(json!({ "body": "x" }))),
            (Method::DELETE, path.clone(), None),
            (Method::GET, format!("{path}/edits"), None),
            (Method::PUT, format!("{path}/reactions/%F0%9F%91%8D"), None),
            (Method::GET, format!("/api/v1/channels/{secret}/pins"), None),
            (
                Method::POST,
                format!("/api/v1/channels/{secret}/typing"),
                None,
            ),
            (
                Method::GET,
                format!(
                    "/api/v1/channels/{secret}/threads/{}/messages",
                    message["message_id"].as_str().unwrap()
                ),
                None,
            ),
            // A channel that does not exist answers exactly the same.
            (Method::GET, messages_path(unknown), None),
            (
                Method::POST,
                messages_path(unknown),
                Some(json!({ "nonce": "n2", "body": "hi" })),
            ),
        ];
        for (method, path, body) in requests {
            let reply = app.send(method.clone(), &path, token, body).await;
            assert_eq!(reply.status, 404, "{method} {path}: {}", reply.body);
            assert_eq!(reply.code(), "not_found");
            assert_eq!(reply.body["message"], "channel not found");
        }
    }
    // The owner still sees it, untouched.
    assert_eq!(
        bodies(&history(&app, owner, secret, "").await),
        ["classified"]
    );
    // A voice channel holds no messages.
    let voice = app
        .ok(
            Method::POST,
            &format!("{}/channels", room.base()),
            &owner.access_token,
            Some(json!({ "group_id": room.group_id, "name": "talk", "kind": "voice" })),
        )
        .await;
    let voice_id = uuid_of(&voice["channel_id"]);
    let reply = post_message(
        &app,
        member,
        voice_id,
        json!({ "nonce": "v", "body": "hi" }),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
}

#[tokio::test]
async fn read_only_channels_take_posts_from_message_managers_only() {
    let app = spawn_app().await;
    let room = Room::open(&app, "roowner", &["roreader", "romoderator"]).await;
    let (owner, reader, moderator) = (&room.owner, &room.members[0], &room.members[1]);
    let news = room
        .add_channel(&app, "news", json!({ "read_only": true }))
        .await;
    room.grant_role(&app, moderator, json!(["manage_messages"]))
        .await;
    let posted = say(&app, moderator, news, "from the mods").await;
    say(&app, owner, news, "from the owner").await;

    let refused = post_message(
        &app,
        reader,
        news,
        json!({ "nonce": "ro", "body": "me too" }),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.code(), "forbidden");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{}",
        refused.body
    );
    // Reading and reacting still work.
    assert_eq!(history(&app, reader, news, "").await.len(), 2);
    app.ok(
        Method::PUT,
        &format!(
            "{}/reactions/%F0%9F%91%8D",
            message_path(news, &posted["message_id"])
        ),
        &reader.access_token,
        None,
    )
    .await;
    // Moderators delete others' messages; members do not.
    let theirs = say(&app, reader, room.channel_id, "oops").await;
    app.ok(
        Method::DELETE,
        &message_path(room.channel_id, &theirs["message_id"]),
        &moderator.access_token,
        None,
    )
    .await;
    // Archived: nobody but the owner posts, not even moderators.
    room.update_channel(&app, news, json!({ "archived": true }))
        .await;
    let archived = post_message(
        &app,
        moderator,
        news,
        json!({ "nonce": "ar", "body": "still?" }),
    )
    .await;
    assert_eq!(archived.status, 403, "{}", archived.body);
    assert!(
        archived.body["message"]
            .as_str()
            .unwrap()
            .contains("archived")
    );
}

#[tokio::test]
async fn slow_mode_spaces_out_members_but_not_moderators() {
    let app = spawn_app().await;
    let room = Room::open(&app, "slowowner", &["slowpoke", "slowmod"]).await;
    let (owner, member, moderator) = (&room.owner, &room.members[0], &room.members[1]);
    let slow = room
        .add_channel(&app, "slow", json!({ "slow_mode_secs": 5 }))
        .await;
    room.grant_role(&app, moderator, json!(["manage_messages"]))
        .await;

    let first = post_message(
        &app,
        member,
        slow,
        json!({ "nonce": "s1", "body": "first" }),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = post_message(
        &app,
        member,
        slow,
        json!({ "nonce": "s2", "body": "second" }),
    )
    .await;
    assert_eq!(second.status, 429, "{}", second.body);
    assert_eq!(second.code(), "rate_limited");
    let retry: u64 = second.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    // Resending the first message's nonce is not a new message: it answers at once.
    let resent = post_message(
        &app,
        member,
        slow,
        json!({ "nonce": "s1", "body": "first" }),
    )
    .await;
    assert_eq!(resent.body["message_id"], first.body["message_id"]);
    // The window is per member and channel.
    say(&app, member, room.channel_id, "elsewhere is fine").await;
    for n in 0..3 {
        say(&app, moderator, slow, &format!("mod {n}")).await;
        say(&app, owner, slow, &format!("owner {n}")).await;
    }
    tokio::time::sleep(Duration::from_secs(retry + 1)).await;
    let later = post_message(
        &app,
        member,
        slow,
        json!({ "nonce": "s3", "body": "later" }),
    )
    .await;
    assert_eq!(later.status, 201, "{}", later.body);
}

#[tokio::test]
async fn a_timed_out_member_reads_but_cannot_post_or_react_until_it_ends() {
    let app = spawn_app().await;
    let room = Room::open(&app, "toowner", &["tomember"]).await;
    let (owner, member) = (&room.owner, &room.members[0]);
    let message = say(&app, owner, room.channel_id, "behave").await;
    let mine = say(&app, member, room.channel_id, "before").await;
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    let timeout_path = format!("{}/members/{}/timeout", room.base(), member.user_id);
    app.ok(
        Method::PUT,
        &timeout_path,
        &owner.access_token,
        Some(json!({ "until": until })),
    )
    .await;

    let refused = post_message(
        &app,
        member,
        room.channel_id,
        json!({ "nonce": "t1", "body": "let me" }),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.code(), "forbidden");
    let text = refused.body["message"].as_str().unwrap();
    assert!(text.contains("timed out"), "{text}");
    assert!(
        text.contains(&until.format("%Y-%m-%dT%H:%M").to_string()),
        "{text}"
    );
    let react = app
        .send(
            Method::PUT,
            &format!(
                "{}/reactions/%F0%9F%91%8D",
                message_path(room.channel_id, &message["message_id"])
            ),
            Some(&member.access_token),
            None,
        )
        .await;
    assert_eq!(react.status, 403, "{}", react.body);
    let edit = app
        .send(
            Method::PATCH,
            &message_path(room.channel_id, &mine["message_id"]),
            Some(&member.access_token),
            Some(json!({ "body": "edited while timed out" })),
        )
        .await;
    assert_eq!(edit.status, 403, "{}", edit.body);
    assert_eq!(history(&app, member, room.channel_id, "").await.len(), 2);

    app.ok(
        Method::PUT,
        &timeout_path,
        &owner.access_token,
        Some(json!({ "until": null })),
    )
    .await;
    say(&app, member, room.channel_id, "sorry").await;
}
