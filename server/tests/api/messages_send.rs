//! Sending: idempotency by nonce, replies and threads, forwarding, edits with history and soft
//! deletion.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn the_same_nonce_sends_one_message_however_often_it_is_sent() {
    let app = spawn_app().await;
    let room = Room::open(&app, "idemowner", &[]).await;
    let owner = &room.owner;
    let body = json!({ "nonce": "client-42", "body": "only once" });

    let first = post_message(&app, owner, room.channel_id, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = post_message(&app, owner, room.channel_id, body.clone()).await;
    assert!(matches!(again.status, 200 | 201), "{}", again.body);
    assert_eq!(again.body, first.body);

    // Ten at once with a new nonce: one message, the same answer for all.
    let body = json!({ "nonce": "burst-1", "body": "concurrent" });
    let replies = futures::future::join_all(
        (0..10).map(|_| post_message(&app, owner, room.channel_id, body.clone())),
    )
    .await;
    let ids: Vec<_> = replies
        .iter()
        .map(|r| {
            assert!(matches!(r.status, 200 | 201), "{}", r.body);
            r.body["message_id"].clone()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    let messages = history(&app, owner, room.channel_id, "").await;
    assert_eq!(bodies(&messages), ["only once", "concurrent"]);
    assert_eq!(messages[1]["message_id"], ids[0]);
    assert_eq!(messages[1]["nonce"], "burst-1");

    // A nonce is the author's own: someone else may use the same string.
    let other = app.register("idemother").await;
    app.join_community(&other, room.community_id).await;
    let theirs = post_message(&app, &other, room.channel_id, body.clone()).await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["message_id"], ids[0]);
    // ...but an author cannot reuse one in another channel.
    let elsewhere = room.add_channel(&app, "elsewhere", json!({})).await;
    let reused = post_message(&app, owner, elsewhere, body).await;
    assert_eq!(reused.status, 400, "{}", reused.body);
    assert_eq!(reused.code(), "invalid_request");
}

#[tokio::test]
async fn replies_and_threads_stay_in_their_channel() {
    let app = spawn_app().await;
    let room = Room::open(&app, "threadowner", &["threadfan"]).await;
    let (owner, fan) = (&room.owner, &room.members[0]);
    let channel = room.channel_id;
    let root = say(&app, owner, channel, "root").await;
    let root_id = root["message_id"].clone();

    let reply = post_message(
        &app,
        fan,
        channel,
        json!({ "nonce": "r1", "body": "a reply", "reply_to": root_id }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["reply_to"], root_id);
    let mut thread_ids = Vec::new();
    for n in 1..=3 {
        let sent = post_message(
            &app,
            fan,
            channel,
            json!({ "nonce": format!("t{n}"), "body": format!("in thread {n}"), "thread_root_id": root_id }),
        )
        .await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        assert_eq!(sent.body["thread_root_id"], root_id);
        thread_ids.push(sent.body["message_id"].clone());
    }

    // The main history leaves thread replies out; the root sums them up.
    let main = history(&app, owner, channel, "").await;
    assert_eq!(bodies(&main), ["root", "a reply"]);
    assert_eq!(main[0]["thread"]["reply_count"], 3);
    assert!(main[0]["thread"]["last_reply_at"].is_string());
    assert!(main[1]["thread"].is_null());

    let thread_path = format!(
        "/api/v1/channels/{channel}/threads/{}/messages",
        root_id.as_str().unwrap()
    );
    let thread = app
        .ok(Method::GET, &thread_path, &owner.access_token, None)
        .await;
    let replies = thread["messages"].as_array().unwrap();
    assert_eq!(
        bodies(replies),
        ["in thread 1", "in thread 2", "in thread 3"]
    );
    let page = app
        .ok(
            Method::GET,
            &format!(
                "{thread_path}?after={}&limit=1",
                thread_ids[0].as_str().unwrap()
            ),
            &owner.access_token,
            None,
        )
        .await;
    assert_eq!(
        bodies(page["messages"].as_array().unwrap()),
        ["in thread 2"]
    );

    // A thread reply is not a root; a message of another channel is no reference.
    let other = room.add_channel(&app, "other", json!({})).await;
    let foreign = say(&app, owner, other, "elsewhere").await;
    for (nonce, body) in [
        ("bad1", json!({ "thread_root_id": thread_ids[0] })),
        ("bad2", json!({ "thread_root_id": foreign["message_id"] })),
        ("bad3", json!({ "reply_to": foreign["message_id"] })),
        ("bad4", json!({ "reply_to": Uuid::now_v7() })),
    ] {
        let mut request = body.clone();
        request["nonce"] = json!(nonce);
        request["body"] = json!("x");
        let refused = post_message(&app, fan, channel, request).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.body);
        assert_eq!(refused.code(), "invalid_request");
    }
    let nested = app
        .send(
            Method::GET,
            &format!(
                "/api/v1/channels/{channel}/threads/{}/messages",
                thread_ids[0].as_str().unwrap()
            ),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(nested.status, 404, "{}", nested.body);
}

#[tokio::test]
async fn forwarding_copies_the_text_with_attribution_where_the_sender_may_post() {
    let app = spawn_app().await;
    let room = Room::open(&app, "fwdowner", &["forwarder"]).await;
    let (owner, forwarder) = (&room.owner, &room.members[0]);
    let target = room.add_channel(&app, "target", json!({})).await;
    let original = say(
        &app,
        owner,
        room.channel_id,
        &format!("look <@{}> @everyone", forwarder.user_id),
    )
    .await;
    assert_eq!(original["mentions"]["everyone"], true);
    let forward_path = format!(
        "{}/forward",
        message_path(room.channel_id, &original["message_id"])
    );

    let forwarded = app
        .send(
            Method::POST,
            &forward_path,
            Some(&forwarder.access_token),
            Some(json!({ "to_channel_id": target, "nonce": "fwd-1" })),
        )
        .await;
    assert_eq!(forwarded.status, 201, "{}", forwarded.body);
    let copy = &forwarded.body;
    assert_eq!(copy["channel_id"], json!(target));
    assert_eq!(copy["author_id"], json!(forwarder.user_id));
    assert_eq!(copy["body"], original["body"]);
    assert_eq!(
        copy["forwarded_from"],
        json!({
            "channel_id": room.channel_id,
            "message_id": original["message_id"],
            "author_id": owner.user_id,
        })
    );
    // Forwarding does not ping anyone a second time.
    assert_eq!(
        copy["mentions"],
        json!({ "users": [], "roles": [], "everyone": false })
    );
    assert_eq!(history(&app, owner, target, "").await[0], *copy);
    // The same nonce again: the same copy.
    let again = app
        .send(
            Method::POST,
            &forward_path,
            Some(&forwarder.access_token),
            Some(json!({ "to_channel_id": target, "nonce": "fwd-1" })),
        )
        .await;
    assert_eq!(again.body["message_id"], copy["message_id"]);
    // A forwarded copy keeps the original's words.
    let edit = app
        .send(
            Method::PATCH,
            &message_path(target, &copy["message_id"]),
            Some(&forwarder.access_token),
            Some(json!({ "body": "changed" })),
        )
        .await;
    assert_eq!(edit.status, 400, "{}", edit.body);

    // Not into a channel where the forwarder may not post, nor out of one they cannot see.
    let announcements = room
        .add_channel(&app, "news", json!({ "read_only": true }))
        .await;
    let refused = app
        .send(
            Method::POST,
            &forward_path,
            Some(&forwarder.access_token),
            Some(json!({ "to_channel_id": announcements, "nonce": "fwd-2" })),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let secret = room.add_channel(&app, "secret", json!({})).await;
    let hidden = say(&app, owner, secret, "secret words").await;
    room.hide_channel(&app, secret).await;
    let leaked = app
        .send(
            Method::POST,
            &format!("{}/forward", message_path(secret, &hidden["message_id"])),
            Some(&forwarder.access_token),
            Some(json!({ "to_channel_id": target, "nonce": "fwd-3" })),
        )
        .await;
    assert_eq!(leaked.status, 404, "{}", leaked.body);
}

#[tokio::test]
async fn edits_keep_previous_versions_and_deletion_leaves_a_tombstone() {
    let app = spawn_app().await;
    let room = Room::open(&app, "editowner", &["editor", "bystander"]).await;
    let (owner, editor, bystander) = (&room.owner, &room.members[0], &room.members[1]);
    let channel = room.channel_id;
    let message = say(&app, editor, channel, "v1").await;
    assert!(message["edited_at"].is_null());
    let path = message_path(channel, &message["message_id"]);
    for body in ["v2", "v3"] {
        let edited = app
            .ok(
                Method::PATCH,
                &path,
                &editor.access_token,
                Some(json!({ "body": body })),
            )
            .await;
        assert_eq!(edited["body"], body);
        assert!(edited["edited_at"].is_string());
    }
    let edits = app
        .ok(
            Method::GET,
            &format!("{path}/edits"),
            &bystander.access_token,
            None,
        )
        .await;
    let previous: Vec<&str> = edits["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert_eq!(previous, ["v1", "v2"]);
    assert!(edits["edits"][0]["edited_at"].is_string());

    // Only the author edits, even with manage_messages; the owner may not.
    let not_mine = app
        .send(
            Method::PATCH,
            &path,
            Some(&owner.access_token),
            Some(json!({ "body": "owner was here" })),
        )
        .await;
    assert_eq!(not_mine.status, 403, "{}", not_mine.body);
    // Others delete only with manage_messages.
    let refused = app
        .send(Method::DELETE, &path, Some(&bystander.access_token), None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    app.ok(
        Method::PUT,
        &format!("{path}/reactions/%F0%9F%8E%89"),
        &bystander.access_token,
        None,
    )
    .await;
    let later = say(&app, editor, channel, "after").await;
    let deleted = app
        .send(Method::DELETE, &path, Some(&owner.access_token), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let again = app
        .send(Method::DELETE, &path, Some(&owner.access_token), None)
        .await;
    assert_eq!(again.status, 204, "deleting a tombstone changes nothing");

    let messages = history(&app, bystander, channel, "").await;
    assert_eq!(messages.len(), 2);
    let tombstone = &messages[0];
    assert_eq!(tombstone["message_id"], message["message_id"]);
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["body"], "");
    assert_eq!(tombstone["reactions"], json!([]));
    assert_eq!(messages[1]["message_id"], later["message_id"]);
    let edits = app
        .ok(
            Method::GET,
            &format!("{path}/edits"),
            &bystander.access_token,
            None,
        )
        .await;
    assert_eq!(edits["edits"], json!([]));
    let edit_tombstone = app
        .send(
            Method::PATCH,
            &path,
            Some(&editor.access_token),
            Some(json!({ "body": "back" })),
        )
        .await;
    assert_eq!(edit_tombstone.status, 404, "{}", edit_tombstone.body);
}

#[tokio::test]
async fn attachments_ride_along_and_need_attach_files() {
    let app = spawn_app().await;
    let room = Room::open(&app, "fileowner", &["filer"]).await;
    let filer = &room.members[0];
    let upload = stored_upload(&app, filer).await;
    let sent = post_message(
        &app,
        filer,
        room.channel_id,
        json!({ "nonce": "f1", "attachment_ids": [upload] }),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["body"], "");
    assert_eq!(sent.body["attachments"][0]["attachment_id"], json!(upload));
    assert_eq!(sent.body["attachments"][0]["filename"], "notes.txt");
    // An attachment serves one message only.
    let reused = post_message(
        &app,
        filer,
        room.channel_id,
        json!({ "nonce": "f2", "body": "again", "attachment_ids": [upload] }),
    )
    .await;
    assert_eq!(reused.status, 400, "{}", reused.body);
    // Someone else's upload is not theirs to send.
    let owners = stored_upload(&app, &room.owner).await;
    let stolen = post_message(
        &app,
        filer,
        room.channel_id,
        json!({ "nonce": "f3", "body": "mine now", "attachment_ids": [owners] }),
    )
    .await;
    assert_eq!(stolen.status, 400, "{}", stolen.body);

    // Without attach_files: refused before anything is linked.
    app.ok(
        Method::PUT,
        &format!(
            "{}/channels/{}/overwrites/member/{}",
            room.base(),
            room.channel_id,
            filer.user_id
        ),
        &room.owner.access_token,
        Some(json!({ "allow": [], "deny": ["attach_files"] })),
    )
    .await;
    let fresh = stored_upload(&app, filer).await;
    let denied = post_message(
        &app,
        filer,
        room.channel_id,
        json!({ "nonce": "f4", "body": "file", "attachment_ids": [fresh] }),
    )
    .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.code(), "forbidden");
}

/// Sends waiting on a busy channel are stored together (group commit): whatever the batching,
/// every acknowledged message is in the history once, ids grow in the order they were
/// delivered, and a send whose attachment cannot be linked fails alone.
#[tokio::test]
async fn a_burst_of_concurrent_sends_is_stored_once_each_in_one_order() {
    let app = spawn_app().await;
    let room = Room::open(&app, "burstowner", &["burstone", "bursttwo"]).await;
    let mut watcher = WsClient::identified(&app.gateway.ws_url(), &room.owner.access_token).await;
    let authors = [&room.owner, &room.members[0], &room.members[1]];
    // Send 8's author (members[1]) uploaded it; send 7's author (members[0]) did not.
    let upload = stored_upload(&app, &room.members[1]).await;

    let sends = (0..60).map(|i| {
        let author = authors[i % authors.len()];
        let mut body = json!({ "nonce": format!("burst-{i}"), "body": format!("burst {i}") });
        if i == 7 || i == 8 {
            body["attachment_ids"] = json!([upload]);
        }
        post_message(&app, author, room.channel_id, body)
    });
    let replies = futures::future::join_all(sends).await;
    let mut acknowledged = Vec::new();
    for (i, reply) in replies.iter().enumerate() {
        if i == 7 {
            assert_eq!(reply.status, 400, "{}", reply.body);
            assert_eq!(reply.code(), "invalid_request");
        } else {
            assert_eq!(reply.status, 201, "send {i}: {}", reply.body);
            acknowledged.push(reply.body["message_id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        replies[8].body["attachments"][0]["attachment_id"],
        json!(upload)
    );

    let mut delivered = Vec::new();
    while delivered.len() < acknowledged.len() {
        let event = watcher.next_event("message_created").await;
        delivered.push(event["message"]["message_id"].as_str().unwrap().to_string());
    }
    let mut sorted = delivered.clone();
    sorted.sort();
    assert_eq!(delivered, sorted, "delivered out of id order");
    let mut expected = acknowledged.clone();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "every acknowledged message delivered once"
    );

    let stored = history(&app, &room.owner, room.channel_id, "?limit=100").await;
    let mut ids: Vec<String> = stored
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(
        ids, expected,
        "the history holds exactly the acknowledged messages"
    );
}
