//! Mentions, read markers, unread and mention counts, and marking a community read.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn read_path(channel_id: Uuid) -> String {
    format!("/api/v1/channels/{channel_id}/read")
}

async fn read_state(app: &TestApp, user: &Session, channel_id: Uuid) -> Value {
    app.ok(
        Method::GET,
        &read_path(channel_id),
        &user.access_token,
        None,
    )
    .await
}

fn counts(state: &Value) -> (u64, u64) {
    (
        state["unread_count"].as_u64().unwrap(),
        state["mention_count"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn mentions_are_recorded_only_as_far_as_the_author_may() {
    let app = spawn_app().await;
    let room = Room::open(&app, "mentionowner", &["mentioner", "mentioned"]).await;
    let (owner, mentioner, mentioned) = (&room.owner, &room.members[0], &room.members[1]);
    let role = room.grant_role(&app, mentioned, json!([])).await;
    let text = format!(
        "<@{0}> <@&{role}> again <@{0}> @everyone @here `<@{1}>`",
        mentioned.user_id, owner.user_id
    );
    let plain = say(&app, mentioner, room.channel_id, &text).await;
    assert_eq!(plain["body"], text, "stored as written");
    assert_eq!(
        plain["mentions"],
        json!({ "users": [mentioned.user_id], "roles": [role], "everyone": false })
    );
    let loud = say(&app, owner, room.channel_id, "@here: meeting").await;
    assert_eq!(loud["mentions"]["everyone"], true);
    let moderator = room
        .grant_role(&app, mentioner, json!(["mention_everyone"]))
        .await;
    assert_ne!(moderator, role);
    let allowed = say(&app, mentioner, room.channel_id, "@everyone ship it").await;
    assert_eq!(allowed["mentions"]["everyone"], true);
    // An edit re-reads the mentions.
    let edited = app
        .ok(
            Method::PATCH,
            &message_path(room.channel_id, &allowed["message_id"]),
            &mentioner.access_token,
            Some(json!({ "body": format!("just <@{}>", owner.user_id) })),
        )
        .await;
    assert_eq!(
        edited["mentions"],
        json!({ "users": [owner.user_id], "roles": [], "everyone": false })
    );
}

#[tokio::test]
async fn unread_and_mention_counts_follow_the_read_marker() {
    let app = spawn_app().await;
    let room = Room::open(&app, "readowner", &["readalice", "readbob"]).await;
    let (owner, alice, bob) = (&room.owner, &room.members[0], &room.members[1]);
    let channel = room.channel_id;
    let team = room.grant_role(&app, bob, json!([])).await;

    let fresh = read_state(&app, bob, channel).await;
    assert_eq!(
        fresh,
        json!({ "channel_id": channel, "last_read_message_id": null, "unread_count": 0, "mention_count": 0 })
    );
    let hello = say(&app, alice, channel, "hello").await;
    let direct = say(&app, alice, channel, &format!("<@{}> look", bob.user_id)).await;
    let by_role = say(&app, alice, channel, &format!("<@&{team}> standup")).await;
    say(&app, owner, channel, "@everyone news").await;
    say(&app, alice, channel, &format!("<@{}> only", owner.user_id)).await;
    say(&app, bob, channel, &format!("my own <@{}>", bob.user_id)).await;
    // A thread reply counts too.
    post_message(
        &app,
        alice,
        channel,
        json!({ "nonce": "thr", "body": format!("<@{}> in a thread", bob.user_id), "thread_root_id": hello["message_id"] }),
    )
    .await;
    assert_eq!(counts(&read_state(&app, bob, channel).await), (6, 4));
    assert_eq!(counts(&read_state(&app, alice, channel).await), (2, 1));

    let mut bob_ws = WsClient::identified(&app.gateway.ws_url(), &bob.access_token).await;
    let marked = app
        .ok(
            Method::PUT,
            &read_path(channel),
            &bob.access_token,
            Some(json!({ "message_id": direct["message_id"] })),
        )
        .await;
    assert_eq!(marked["last_read_message_id"], direct["message_id"]);
    assert_eq!(counts(&marked), (4, 3));
    let event = bob_ws.next_event("read_state_updated").await;
    assert_eq!(event["states"], json!([marked]));

    // The marker never moves back.
    let back = app
        .ok(
            Method::PUT,
            &read_path(channel),
            &bob.access_token,
            Some(json!({ "message_id": hello["message_id"] })),
        )
        .await;
    assert_eq!(back["last_read_message_id"], direct["message_id"]);
    // A deleted mention stops counting.
    app.ok(
        Method::DELETE,
        &message_path(channel, &by_role["message_id"]),
        &alice.access_token,
        None,
    )
    .await;
    assert_eq!(counts(&read_state(&app, bob, channel).await), (3, 2));
    // Only messages of this channel move the marker.
    let other = room.add_channel(&app, "other", json!({})).await;
    let elsewhere = say(&app, alice, other, "elsewhere").await;
    for message_id in [elsewhere["message_id"].clone(), json!(Uuid::now_v7())] {
        let refused = app
            .send(
                Method::PUT,
                &read_path(channel),
                Some(&bob.access_token),
                Some(json!({ "message_id": message_id })),
            )
            .await;
        assert_eq!(refused.status, 404, "{}", refused.body);
    }

    // The ready snapshot carries the same counts.
    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    ws.next_json().await;
    ws.send_json(json!({ "op": "identify", "d": { "token": bob.access_token } }))
        .await;
    let ready = ws.next_json().await;
    let states = ready["d"]["read_states"].as_array().unwrap();
    let here = states
        .iter()
        .find(|s| s["channel_id"] == json!(channel))
        .unwrap();
    assert_eq!(counts(here), (3, 2));
}

#[tokio::test]
async fn marking_a_community_read_covers_every_channel_the_member_sees() {
    let app = spawn_app().await;
    let room = Room::open(&app, "allreadowner", &["allreader"]).await;
    let (owner, reader) = (&room.owner, &room.members[0]);
    let second = room.add_channel(&app, "second", json!({})).await;
    let quiet = room.add_channel(&app, "quiet", json!({})).await;
    let hidden = room.add_channel(&app, "hidden", json!({})).await;
    room.hide_channel(&app, hidden).await;
    say(&app, owner, room.channel_id, "one").await;
    let last_general = say(
        &app,
        owner,
        room.channel_id,
        &format!("<@{}>", reader.user_id),
    )
    .await;
    let last_second = say(&app, owner, second, "two").await;
    say(&app, owner, hidden, "secret").await;
    assert_eq!(
        counts(&read_state(&app, reader, room.channel_id).await),
        (2, 1)
    );

    let mut reader_ws = WsClient::identified(&app.gateway.ws_url(), &reader.access_token).await;
    let marked = app
        .ok(
            Method::POST,
            &format!("{}/read", room.base()),
            &reader.access_token,
            None,
        )
        .await;
    let states = marked["states"].as_array().unwrap();
    let find = |channel: Uuid| states.iter().find(|s| s["channel_id"] == json!(channel));
    assert_eq!(
        find(room.channel_id).unwrap()["last_read_message_id"],
        last_general["message_id"]
    );
    assert_eq!(
        find(second).unwrap()["last_read_message_id"],
        last_second["message_id"]
    );
    assert!(find(quiet).unwrap()["last_read_message_id"].is_null());
    assert!(
        find(hidden).is_none(),
        "a hidden channel was marked: {marked}"
    );
    assert!(states.iter().all(|s| counts(s) == (0, 0)), "{marked}");
    let event = reader_ws.next_event("read_state_updated").await;
    assert_eq!(event["states"], marked["states"]);
    assert_eq!(counts(&read_state(&app, reader, second).await), (0, 0));

    // Not a member: no such community for them.
    let stranger = app.register("allreadstranger").await;
    let refused = app
        .send(
            Method::POST,
            &format!("{}/read", room.base()),
            Some(&stranger.access_token),
            None,
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
}
