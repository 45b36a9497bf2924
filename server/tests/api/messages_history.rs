//! History pages and their cursors, reactions and who reacted, pins and their limit.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::{Value, json};

fn id(message: &Value) -> &str {
    message["message_id"].as_str().unwrap()
}

#[tokio::test]
async fn history_pages_follow_their_cursors_oldest_first() {
    let app = spawn_app().await;
    let room = Room::open(&app, "histowner", &["histreader"]).await;
    let (owner, reader) = (&room.owner, &room.members[0]);
    let channel = room.channel_id;
    let mut sent = Vec::new();
    for n in 0..12 {
        sent.push(say(&app, owner, channel, &format!("m{n}")).await);
    }
    let names =
        |from: usize, to: usize| -> Vec<String> { (from..to).map(|n| format!("m{n}")).collect() };

    // Newest page by default, oldest first.
    assert_eq!(
        bodies(&history(&app, reader, channel, "").await),
        names(0, 12)
    );
    assert_eq!(
        bodies(&history(&app, reader, channel, "?limit=3").await),
        names(9, 12)
    );
    // before / after exclude the cursor itself.
    let before = history(
        &app,
        reader,
        channel,
        &format!("?before={}&limit=4", id(&sent[6])),
    )
    .await;
    assert_eq!(bodies(&before), names(2, 6));
    let after = history(
        &app,
        reader,
        channel,
        &format!("?after={}&limit=4", id(&sent[6])),
    )
    .await;
    assert_eq!(bodies(&after), names(7, 11));
    let tail = history(&app, reader, channel, &format!("?after={}", id(&sent[10]))).await;
    assert_eq!(bodies(&tail), names(11, 12));
    let head = history(&app, reader, channel, &format!("?before={}", id(&sent[0]))).await;
    assert!(head.is_empty());
    // around: up to limit/2 before, the message, then the rest after.
    let around = history(
        &app,
        reader,
        channel,
        &format!("?around={}&limit=5", id(&sent[6])),
    )
    .await;
    assert_eq!(bodies(&around), names(4, 9));
    let edge = history(
        &app,
        reader,
        channel,
        &format!("?around={}&limit=6", id(&sent[1])),
    )
    .await;
    // Near the start there are fewer before it; the after side does not grow to make up.
    assert_eq!(bodies(&edge), names(0, 4));
    let single = history(
        &app,
        reader,
        channel,
        &format!("?around={}&limit=1", id(&sent[3])),
    )
    .await;
    assert_eq!(bodies(&single), names(3, 4));
    // Walking back page by page sees everything once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let query = if cursor.is_empty() {
            "?limit=5".to_string()
        } else {
            format!("?limit=5&before={cursor}")
        };
        let page = history(&app, reader, channel, &query).await;
        if page.is_empty() {
            break;
        }
        cursor = id(&page[0]).to_string();
        let mut names = bodies(&page);
        names.extend(seen);
        seen = names;
    }
    assert_eq!(seen, names(0, 12));
    let hundred = history(&app, reader, channel, "?limit=100").await;
    assert_eq!(hundred.len(), 12);

    // More than one cursor, or a limit outside 1..=100: refused.
    for query in [
        format!("?before={0}&after={0}", id(&sent[1])),
        format!("?around={0}&before={0}", id(&sent[1])),
        "?limit=0".to_string(),
        "?limit=101".to_string(),
    ] {
        let reply = app
            .send(
                Method::GET,
                &format!("{}{query}", messages_path(channel)),
                Some(&reader.access_token),
                None,
            )
            .await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.code(), "invalid_request");
    }
}

#[tokio::test]
async fn reactions_are_counted_per_emoji_and_list_who_reacted() {
    let app = spawn_app().await;
    let room = Room::open(&app, "reactowner", &["reacta", "reactb", "reactc"]).await;
    let owner = &room.owner;
    let channel = room.channel_id;
    let message = say(&app, owner, channel, "react to me").await;
    let path = |emoji: &str| {
        format!(
            "{}/reactions/{emoji}",
            message_path(channel, &message["message_id"])
        )
    };
    let thumbs = "%F0%9F%91%8D";
    let party = "%F0%9F%8E%89";
    for member in &room.members {
        app.ok(Method::PUT, &path(thumbs), &member.access_token, None)
            .await;
    }
    app.ok(
        Method::PUT,
        &path(party),
        &room.members[0].access_token,
        None,
    )
    .await;
    // Reacting twice counts once.
    app.ok(
        Method::PUT,
        &path(thumbs),
        &room.members[0].access_token,
        None,
    )
    .await;

    let as_seen_by = |user: &Session| {
        let user = user.clone();
        let app = &app;
        async move { history(app, &user, channel, "").await[0]["reactions"].clone() }
    };
    assert_eq!(
        as_seen_by(&room.members[0]).await,
        json!([
            { "emoji": "👍", "count": 3, "me": true },
            { "emoji": "🎉", "count": 1, "me": true },
        ])
    );
    assert_eq!(
        as_seen_by(owner).await,
        json!([
            { "emoji": "👍", "count": 3, "me": false },
            { "emoji": "🎉", "count": 1, "me": false },
        ])
    );

    // Who reacted, a page at a time by user id.
    let mut expected: Vec<String> = room.members.iter().map(|m| m.user_id.to_string()).collect();
    expected.sort();
    let first = app
        .ok(
            Method::GET,
            &format!("{}?limit=2", path(thumbs)),
            &owner.access_token,
            None,
        )
        .await;
    assert_eq!(first["user_ids"], json!(expected[..2]));
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(cursor, expected[1]);
    let second = app
        .ok(
            Method::GET,
            &format!("{}?limit=2&after={cursor}", path(thumbs)),
            &owner.access_token,
            None,
        )
        .await;
    assert_eq!(second["user_ids"], json!(expected[2..]));
    assert!(second["next_cursor"].is_null());

    // Taking back: only one's own.
    app.ok(Method::DELETE, &path(party), &owner.access_token, None)
        .await;
    app.ok(
        Method::DELETE,
        &path(thumbs),
        &room.members[1].access_token,
        None,
    )
    .await;
    assert_eq!(
        as_seen_by(&room.members[1]).await,
        json!([
            { "emoji": "👍", "count": 2, "me": false },
            { "emoji": "🎉", "count": 1, "me": false },
        ])
    );

    // Without add_reactions: refused; removing stays possible.
    app.ok(
        Method::PUT,
        &format!(
            "{}/channels/{channel}/overwrites/member/{}",
            room.base(),
            room.members[0].user_id
        ),
        &owner.access_token,
        Some(json!({ "allow": [], "deny": ["add_reactions"] })),
    )
    .await;
    let refused = app
        .send(
            Method::PUT,
            &path("%E2%AD%90"),
            Some(&room.members[0].access_token),
            None,
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    app.ok(
        Method::DELETE,
        &path(party),
        &room.members[0].access_token,
        None,
    )
    .await;
}

#[tokio::test]
async fn pins_need_manage_messages_and_stop_at_fifty() {
    let app = spawn_app().await;
    let room = Room::open(&app, "pinowner", &["pinmember"]).await;
    let (owner, member) = (&room.owner, &room.members[0]);
    let channel = room.channel_id;
    let pin_path = |message: &Value| format!("/api/v1/channels/{channel}/pins/{}", id(message));
    let mut messages = Vec::new();
    for n in 0..51 {
        messages.push(say(&app, owner, channel, &format!("pin me {n}")).await);
    }

    let refused = app
        .send(
            Method::PUT,
            &pin_path(&messages[0]),
            Some(&member.access_token),
            None,
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    for message in &messages[..50] {
        let pinned = app
            .send(
                Method::PUT,
                &pin_path(message),
                Some(&owner.access_token),
                None,
            )
            .await;
        assert_eq!(pinned.status, 204, "{}", pinned.body);
    }
    // Pinning a pinned message changes nothing.
    let again = app
        .send(
            Method::PUT,
            &pin_path(&messages[0]),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(again.status, 204);
    let full = app
        .send(
            Method::PUT,
            &pin_path(&messages[50]),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(full.status, 400, "{}", full.body);
    assert_eq!(full.code(), "invalid_request");
    assert!(
        full.body["message"]
            .as_str()
            .unwrap()
            .contains("at most 50 pins")
    );

    let pins = app
        .ok(
            Method::GET,
            &format!("/api/v1/channels/{channel}/pins"),
            &member.access_token,
            None,
        )
        .await;
    let pinned = pins["messages"].as_array().unwrap();
    assert_eq!(pinned.len(), 50);
    assert!(pinned.iter().all(|m| m["pinned"] == true));
    assert_eq!(pinned[0]["body"], "pin me 49", "most recently pinned first");

    // Unpinning makes room; a deleted message leaves the pins.
    app.ok(
        Method::DELETE,
        &pin_path(&messages[0]),
        &owner.access_token,
        None,
    )
    .await;
    app.ok(
        Method::PUT,
        &pin_path(&messages[50]),
        &owner.access_token,
        None,
    )
    .await;
    app.ok(
        Method::DELETE,
        &message_path(channel, &messages[1]["message_id"]),
        &owner.access_token,
        None,
    )
    .await;
    let pins = app
        .ok(
            Method::GET,
            &format!("/api/v1/channels/{channel}/pins"),
            &member.access_token,
            None,
        )
        .await;
    let pinned = pins["messages"].as_array().unwrap();
    assert_eq!(pinned.len(), 49);
    assert_eq!(pinned[0]["body"], "pin me 50");
    assert!(
        !pinned
            .iter()
            .any(|m| m["message_id"] == messages[1]["message_id"])
    );
    let page = history(
        &app,
        member,
        channel,
        &format!("?around={}&limit=1", id(&messages[0])),
    )
    .await;
    assert_eq!(page[0]["pinned"], false);
}

#[tokio::test]
async fn resuming_gateways_get_what_a_member_missed_and_nothing_else() {
    use chatalot_shared::{
        contracts::messages::ChannelMessagesSinceRequest,
        rpc::{CallerContext, RpcClient},
        subjects::Subjects,
    };
    let app = spawn_app().await;
    let room = Room::open(&app, "sinceowner", &["sincemember"]).await;
    let (owner, member) = (&room.owner, &room.members[0]);
    let channel = room.channel_id;
    let seen = say(&app, owner, channel, "seen").await;
    let root = say(&app, owner, channel, "root").await;
    post_message(
        &app,
        member,
        channel,
        json!({ "nonce": "in-thread", "body": "reply", "thread_root_id": root["message_id"] }),
    )
    .await;
    let doomed = say(&app, owner, channel, "doomed").await;
    app.ok(
        Method::DELETE,
        &message_path(channel, &doomed["message_id"]),
        &owner.access_token,
        None,
    )
    .await;

    let nats = async_nats::connect(&app.env.config.nats.url).await.unwrap();
    let rpc = RpcClient::new(
        nats,
        Subjects::new(app.env.config.nats.namespace.clone()),
        std::time::Duration::from_secs(3),
    );
    let ask = |user_id, limit| ChannelMessagesSinceRequest {
        user_id,
        channel_id: channel,
        after: uuid_of(&seen["message_id"]),
        limit,
    };
    let ctx = CallerContext::default();
    let all = rpc.call(&ctx, &ask(member.user_id, 10)).await.unwrap();
    let names: Vec<(&str, bool)> = all
        .messages
        .iter()
        .map(|m| (m.body.as_str(), m.deleted))
        .collect();
    assert_eq!(names, [("root", false), ("reply", false), ("", true)]);
    assert!(!all.has_more);
    let some = rpc.call(&ctx, &ask(member.user_id, 2)).await.unwrap();
    assert_eq!(some.messages.len(), 2);
    assert!(some.has_more);
    // Someone who cannot see the channel gets nothing, not an error.
    let stranger = app.register("sincestranger").await;
    let none = rpc.call(&ctx, &ask(stranger.user_id, 10)).await.unwrap();
    assert!(none.messages.is_empty() && !none.has_more);
}
