//! Notification levels per text channel and per conversation: set, list and reset through the
//! gateway; who may set them (those who see the channel, members of the conversation); the
//! event that keeps the user's other devices in step; and Web Push skipping conversations a
//! recipient muted (or set to mentions, which the server cannot see in encrypted messages).

use crate::{
    helpers::*,
    messages_support::{Room, events_within},
    push::{Browser, conversation, open_push, push_app, send, subscribed},
};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

const EVENT: &str = "notification_level_updated";

fn channel_path(channel_id: Uuid) -> String {
    format!("/api/v1/channels/{channel_id}/notification-level")
}

fn conversation_path(conversation_id: Uuid) -> String {
    format!("/api/v1/conversations/{conversation_id}/notification-level")
}

async fn put_level(app: &TestApp, user: &Session, path: &str, level: &str) -> Reply {
    app.send(
        Method::PUT,
        path,
        Some(&user.access_token),
        Some(json!({ "level": level })),
    )
    .await
}

async fn reset_level(app: &TestApp, user: &Session, path: &str) -> Reply {
    app.send(Method::DELETE, path, Some(&user.access_token), None)
        .await
}

async fn levels(app: &TestApp, user: &Session) -> Value {
    app.ok(
        Method::GET,
        "/api/v1/users/@me/notification-levels",
        &user.access_token,
        None,
    )
    .await
}

fn assert_not_found(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 404, "{what}: {}", reply.body);
    assert_eq!(reply.code(), "not_found", "{what}");
}

#[tokio::test]
async fn channel_levels_are_set_listed_reset_and_followed_by_other_devices() {
    let app = spawn_app().await;
    let room = Room::open(&app, "lvowner", &["lvmember"]).await;
    let member = &room.members[0];
    let path = channel_path(room.channel_id);

    let nothing = levels(&app, member).await;
    assert_eq!(
        nothing,
        json!({
            "channels": {},
            "conversations": {},
            "defaults": { "channel": "mentions", "conversation": "all" },
        })
    );

    // Another device of the member hears of every change.
    let mut other_device = WsClient::identified(&app.gateway.ws_url(), &member.access_token).await;
    for level in ["all", "none", "mentions"] {
        let reply = put_level(&app, member, &path, level).await;
        assert_eq!(reply.status, 200, "{level}: {}", reply.body);
        assert_eq!(reply.body, json!({ "level": level }));
        let event = other_device.next_event(EVENT).await;
        assert_eq!(
            event,
            json!({ "target": { "kind": "channel", "id": room.channel_id }, "level": level })
        );
    }
    let listed = levels(&app, member).await;
    assert_eq!(
        listed["channels"],
        json!({ room.channel_id.to_string(): "mentions" })
    );
    assert_eq!(listed["conversations"], json!({}));
    // The owner's choices are their own.
    assert_eq!(levels(&app, &room.owner).await["channels"], json!({}));

    let reset = reset_level(&app, member, &path).await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    let event = other_device.next_event(EVENT).await;
    assert_eq!(
        event,
        json!({ "target": { "kind": "channel", "id": room.channel_id }, "level": null })
    );
    assert_eq!(levels(&app, member).await["channels"], json!({}));
    // Idempotent, and nothing to announce the second time.
    let again = reset_level(&app, member, &path).await;
    assert_eq!(again.status, 204, "{}", again.body);
    let later = events_within(&mut other_device, Duration::from_millis(500)).await;
    assert!(
        later.iter().all(|e| e["t"] != EVENT),
        "a reset of nothing announced: {later:?}"
    );
}

#[tokio::test]
async fn a_channel_one_cannot_see_answers_like_its_read_state() {
    let app = spawn_app().await;
    let room = Room::open(&app, "hidowner", &["hidmember"]).await;
    let (owner, member) = (&room.owner, &room.members[0]);
    let secret = room.add_channel(&app, "secret", json!({})).await;
    room.hide_channel(&app, secret).await;
    let outsider = app.register("hidoutsider").await;

    for (user, channel_id) in [
        (member, secret),
        (&outsider, room.channel_id),
        (member, Uuid::now_v7()),
    ] {
        let path = channel_path(channel_id);
        let read = app
            .get(
                &format!("/api/v1/channels/{channel_id}/read"),
                &user.access_token,
            )
            .await;
        let put = put_level(&app, user, &path, "all").await;
        let delete = reset_level(&app, user, &path).await;
        for (what, reply) in [("PUT", &put), ("DELETE", &delete)] {
            assert_not_found(reply, what);
            assert_eq!(
                (reply.status, &reply.body),
                (read.status, &read.body),
                "{what} answers like GET .../read"
            );
        }
    }
    assert_eq!(levels(&app, member).await["channels"], json!({}));
    assert_eq!(levels(&app, &outsider).await["channels"], json!({}));
    // Whoever sees it may choose.
    let reply = put_level(&app, owner, &channel_path(secret), "none").await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Voice channels hold no messages to be notified of, as for read state.
    let voice = app
        .ok(
            Method::POST,
            &format!("{}/channels", room.base()),
            &owner.access_token,
            Some(json!({ "group_id": room.group_id, "name": "talk", "kind": "voice" })),
        )
        .await;
    let voice_id = uuid_of(&voice["channel_id"]);
    let reply = put_level(&app, member, &channel_path(voice_id), "all").await;
    assert_eq!(
        (reply.status, reply.code()),
        (400, "invalid_request"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn bad_levels_and_bodies_are_refused_with_invalid_request() {
    let app = spawn_app().await;
    let room = Room::open(&app, "badowner", &[]).await;
    let owner = &room.owner;
    let path = channel_path(room.channel_id);
    for body in [
        json!({ "level": "loud" }),
        json!({ "level": "None" }),
        json!({ "level": null }),
        json!({ "level": 1 }),
        json!({}),
        json!({ "level": "all", "channel_id": room.channel_id }),
    ] {
        let reply = app
            .send(
                Method::PUT,
                &path,
                Some(&owner.access_token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{body}: {}",
            reply.body
        );
    }
    let bad_id = put_level(
        &app,
        owner,
        "/api/v1/channels/nope/notification-level",
        "all",
    )
    .await;
    assert_eq!(bad_id.status, 400, "{}", bad_id.body);
    let anonymous = app
        .send(Method::PUT, &path, None, Some(json!({ "level": "all" })))
        .await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "missing_token"));
    assert_eq!(levels(&app, owner).await["channels"], json!({}));
}

#[tokio::test]
async fn conversation_levels_are_for_members_only_and_leave_with_them() {
    let app = spawn_app().await;
    let alice = app.register("lvalice").await;
    let bob = app.register("lvbob").await;
    let stranger = app.register("lvstranger").await;
    let conversation_id = conversation(&app, &alice, &bob).await;
    let path = conversation_path(conversation_id);

    let mut bob_elsewhere = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let reply = put_level(&app, &bob, &path, "none").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, json!({ "level": "none" }));
    let event = bob_elsewhere.next_event(EVENT).await;
    assert_eq!(
        event,
        json!({ "target": { "kind": "conversation", "id": conversation_id }, "level": "none" })
    );
    let listed = levels(&app, &bob).await;
    assert_eq!(
        listed["conversations"],
        json!({ conversation_id.to_string(): "none" })
    );
    assert_eq!(listed["channels"], json!({}));
    assert_eq!(levels(&app, &alice).await["conversations"], json!({}));

    // A non-member gets what other conversation routes give them.
    let receipts = app
        .get(
            &format!("/api/v1/conversations/{conversation_id}/receipts"),
            &stranger.access_token,
        )
        .await;
    for unknown in [conversation_id, Uuid::now_v7()] {
        let path = conversation_path(unknown);
        for reply in [
            put_level(&app, &stranger, &path, "all").await,
            reset_level(&app, &stranger, &path).await,
        ] {
            assert_not_found(&reply, "stranger");
            assert_eq!(reply.body, receipts.body);
        }
    }

    // Reset, idempotently.
    for _ in 0..2 {
        let reply = reset_level(&app, &bob, &path).await;
        assert_eq!(reply.status, 204, "{}", reply.body);
    }
    let event = bob_elsewhere.next_event(EVENT).await;
    assert_eq!(event["level"], Value::Null);
    assert_eq!(levels(&app, &bob).await["conversations"], json!({}));

    // A group Bob left is no longer listed (the direct one still is), and he can no longer
    // set its level.
    let carol = app.register("lvcarol").await;
    let community_id = app.create_community(&alice, "Group", "public").await;
    app.join_community(&bob, community_id).await;
    app.join_community(&carol, community_id).await;
    let group = app
        .ok(
            Method::POST,
            "/api/v1/conversations",
            &alice.access_token,
            Some(json!({ "member_ids": [bob.user_id, carol.user_id], "name": "trio" })),
        )
        .await;
    let group_id = uuid_of(&group["conversation_id"]);
    let group_path = conversation_path(group_id);
    for (path, level) in [(&path, "mentions"), (&group_path, "none")] {
        let reply = put_level(&app, &bob, path, level).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(
        levels(&app, &bob).await["conversations"],
        json!({ conversation_id.to_string(): "mentions", group_id.to_string(): "none" })
    );
    let left = app
        .send(
            Method::DELETE,
            &format!("/api/v1/conversations/{group_id}/members/@me"),
            Some(&bob.access_token),
            None,
        )
        .await;
    assert!(left.status < 300, "{}", left.body);
    assert_eq!(
        levels(&app, &bob).await["conversations"],
        json!({ conversation_id.to_string(): "mentions" })
    );
    assert_not_found(
        &put_level(&app, &bob, &group_path, "all").await,
        "after leaving",
    );
}

#[tokio::test]
async fn web_push_skips_conversations_a_recipient_muted_or_set_to_mentions() {
    let (app, vapid, mut service) = push_app(|_| {}).await;
    let alice = app.register("pushalice").await;
    let bob = app.register("pushbob").await;
    let conversation_id = conversation(&app, &alice, &bob).await;
    let browser = Browser::new();
    subscribed(&app, &bob, &service, &browser).await;
    let path = conversation_path(conversation_id);

    // The default (all): pushed.
    let first = send(&app, &alice, &[&bob], conversation_id).await;
    let payload = open_push(&service.next().await, &service, &browser, &vapid);
    assert_eq!(uuid_of(&payload["message_id"]), first);

    // none, and mentions (unknowable in an encrypted message): nothing.
    for level in ["none", "mentions"] {
        let reply = put_level(&app, &bob, &path, level).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        send(&app, &alice, &[&bob], conversation_id).await;
        service.assert_quiet().await;
    }

    // An explicit all, then back to the default: pushed again, each time.
    let reply = put_level(&app, &bob, &path, "all").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let explicit = send(&app, &alice, &[&bob], conversation_id).await;
    let payload = open_push(&service.next().await, &service, &browser, &vapid);
    assert_eq!(uuid_of(&payload["message_id"]), explicit);
    put_level(&app, &bob, &path, "none").await;
    let reply = reset_level(&app, &bob, &path).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let default = send(&app, &alice, &[&bob], conversation_id).await;
    let payload = open_push(&service.next().await, &service, &browser, &vapid);
    assert_eq!(uuid_of(&payload["message_id"]), default);
    service.assert_quiet().await;

    // A muted conversation mutes only that one recipient: Alice, offline and subscribed, is
    // still pushed Bob's messages.
    let alice_browser = Browser::new();
    subscribed(&app, &alice, &service, &alice_browser).await;
    put_level(&app, &bob, &path, "none").await;
    let reply_id = send(&app, &bob, &[&alice], conversation_id).await;
    let payload = open_push(&service.next().await, &service, &alice_browser, &vapid);
    assert_eq!(uuid_of(&payload["message_id"]), reply_id);
    service.assert_quiet().await;
}
