//! Community invites through the gateway: creation bounds, previews without a token, accepting
//! (atomically against the use limit), and every way a code stops working.

use crate::helpers::*;
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn create_invite(app: &TestApp, owner: &Session, community_id: Uuid, body: Value) -> Value {
    let reply = app
        .send(
            Method::POST,
            &format!("/api/v1/communities/{community_id}/invites"),
            Some(&owner.access_token),
            Some(body),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

async fn accept(app: &TestApp, user: &Session, code: &str) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/invites/{code}/accept"),
        Some(&user.access_token),
        None,
    )
    .await
}

#[tokio::test]
async fn an_invite_is_previewed_without_a_token_and_joins_a_private_community() {
    let app = spawn_app().await;
    let owner = app.register("inv_owner").await;
    let guest = app.register("inv_guest").await;
    let community_id = app.create_community(&owner, "Hideout", "private").await;
    app.ok(
        Method::PATCH,
        &format!("/api/v1/communities/{community_id}"),
        &owner.access_token,
        Some(json!({ "description": "Members only" })),
    )
    .await;

    let invite = create_invite(&app, &owner, community_id, json!({})).await;
    let code = invite["code"].as_str().unwrap();
    assert_eq!(invite["community_id"], community_id.to_string());
    assert_eq!(invite["created_by"], owner.user_id.to_string());
    assert_eq!(invite["uses"], 0);
    assert_eq!(invite["max_uses"], Value::Null);
    assert_eq!(invite["expires_at"], Value::Null);

    let preview = app
        .send(Method::GET, &format!("/api/v1/invites/{code}"), None, None)
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["name"], "Hideout");
    assert_eq!(preview.body["description"], "Members only");
    assert_eq!(preview.body["member_count"], 1);
    assert_eq!(preview.body["community_id"], community_id.to_string());
    assert_eq!(preview.body["code"], code);

    let view = accept(&app, &guest, code).await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(
        view.body["community"]["community_id"],
        community_id.to_string()
    );
    assert_eq!(view.body["me"]["user_id"], guest.user_id.to_string());
    let preview = app
        .send(Method::GET, &format!("/api/v1/invites/{code}"), None, None)
        .await;
    assert_eq!(preview.body["member_count"], 2);

    let listed = app
        .ok(
            Method::GET,
            &format!("/api/v1/communities/{community_id}/invites"),
            &owner.access_token,
            None,
        )
        .await;
    let invites = listed["invites"].as_array().unwrap();
    assert_eq!(invites.len(), 1, "{listed}");
    assert_eq!(invites[0]["code"], code);
    assert_eq!(invites[0]["uses"], 1);

    // Members create invites by default; without create_invites they may not.
    app.ok(
        Method::PATCH,
        &format!("/api/v1/communities/{community_id}/roles/{community_id}"),
        &owner.access_token,
        Some(json!({ "permissions": ["view_channel", "send_messages"] })),
    )
    .await;
    let refused = app
        .send(
            Method::POST,
            &format!("/api/v1/communities/{community_id}/invites"),
            Some(&guest.access_token),
            Some(json!({})),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
}

#[tokio::test]
async fn concurrent_accepts_never_exceed_the_use_limit() {
    let app = spawn_app().await;
    let owner = app.register("race_owner").await;
    let community_id = app.create_community(&owner, "Race", "private").await;
    let invite = create_invite(&app, &owner, community_id, json!({ "max_uses": 3 })).await;
    let code = invite["code"].as_str().unwrap();
    assert_eq!(invite["max_uses"], 3);

    let mut users = Vec::new();
    for i in 0..10 {
        users.push(app.register(&format!("racer_{i}")).await);
    }
    let replies = join_all(users.iter().map(|user| accept(&app, user, code))).await;
    let succeeded = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        succeeded,
        3,
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, r.body.clone()))
            .collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invite_exhausted"),
            "{}",
            reply.body
        );
    }
    let listed = app
        .ok(
            Method::GET,
            &format!("/api/v1/communities/{community_id}/invites"),
            &owner.access_token,
            None,
        )
        .await;
    assert_eq!(listed["invites"][0]["uses"], 3);
    let community = app
        .ok(
            Method::GET,
            &format!("/api/v1/communities/{community_id}"),
            &owner.access_token,
            None,
        )
        .await;
    assert_eq!(community["member_count"], 4);
}

#[tokio::test]
async fn expiry_is_bounded_and_dead_codes_are_refused_with_their_codes() {
    let app = spawn_app().await;
    let owner = app.register("dead_owner").await;
    let user = app.register("dead_user").await;
    let community_id = app.create_community(&owner, "Graveyard", "private").await;
    let path = format!("/api/v1/communities/{community_id}/invites");

    // Expiry: an hour to a year.
    for (secs, ok) in [
        (3_599_u64, false),
        (3_600, true),
        (31_536_000, true),
        (31_536_001, false),
    ] {
        let reply = app
            .send(
                Method::POST,
                &path,
                Some(&owner.access_token),
                Some(json!({ "expires_in_secs": secs })),
            )
            .await;
        if ok {
            assert_eq!(reply.status, 201, "{secs}: {}", reply.body);
            let expires: chrono::DateTime<chrono::Utc> =
                serde_json::from_value(reply.body["expires_at"].clone()).unwrap();
            let delta = (expires - chrono::Utc::now()).num_seconds() - secs as i64;
            assert!(delta.abs() <= 5, "{secs}: {}", reply.body);
        } else {
            assert!(
                matches!((reply.status, reply.code()), (422, "invalid_expiry")),
                "{secs}: {} {}",
                reply.status,
                reply.body
            );
        }
    }
    let zero_uses = app
        .send(
            Method::POST,
            &path,
            Some(&owner.access_token),
            Some(json!({ "max_uses": 0 })),
        )
        .await;
    assert_eq!(
        (zero_uses.status, zero_uses.code()),
        (400, "invalid_request")
    );

    // Expired: created valid, then its expiry moved into the past in the database.
    let expiring = create_invite(
        &app,
        &owner,
        community_id,
        json!({ "expires_in_secs": 3600 }),
    )
    .await;
    let expiring = expiring["code"].as_str().unwrap();
    let db = sqlx::PgPool::connect(app.env.config.database.url.expose())
        .await
        .unwrap();
    sqlx::query(
        "update community.invites set expires_at = now() - interval '1 second' where code = $1",
    )
    .bind(expiring)
    .execute(&db)
    .await
    .unwrap();
    let expired = accept(&app, &user, expiring).await;
    assert_eq!((expired.status, expired.code()), (400, "invite_expired"));

    // Exhausted.
    let once = create_invite(&app, &owner, community_id, json!({ "max_uses": 1 })).await;
    let once = once["code"].as_str().unwrap();
    let first = app.register("dead_first").await;
    assert_eq!(accept(&app, &first, once).await.status, 200);
    let exhausted = accept(&app, &user, once).await;
    assert_eq!(
        (exhausted.status, exhausted.code()),
        (400, "invite_exhausted")
    );

    // Revoked: gone from the list, refused, and revoking twice finds nothing.
    let revoked = create_invite(&app, &owner, community_id, json!({})).await;
    let revoked = revoked["code"].as_str().unwrap();
    let revoke = app
        .send(
            Method::DELETE,
            &format!("{path}/{revoked}"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.body);
    let refused = accept(&app, &user, revoked).await;
    assert_eq!((refused.status, refused.code()), (400, "invite_invalid"));
    let preview = app
        .send(
            Method::GET,
            &format!("/api/v1/invites/{revoked}"),
            None,
            None,
        )
        .await;
    assert_eq!((preview.status, preview.code()), (400, "invite_invalid"));
    let listed = app.ok(Method::GET, &path, &owner.access_token, None).await;
    assert!(
        listed["invites"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["code"] != revoked),
        "{listed}"
    );
    let again = app
        .send(
            Method::DELETE,
            &format!("{path}/{revoked}"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!((again.status, again.code()), (404, "not_found"));

    // Unknown.
    for code in ["no-such-code", "x", &"z".repeat(300)] {
        let unknown = accept(&app, &user, code).await;
        assert_eq!(
            (unknown.status, unknown.code()),
            (400, "invite_invalid"),
            "{code}"
        );
        let preview = app
            .send(Method::GET, &format!("/api/v1/invites/{code}"), None, None)
            .await;
        assert_eq!(
            (preview.status, preview.code()),
            (400, "invite_invalid"),
            "{code}"
        );
    }

    // None of this let the user in.
    let view = app
        .send(
            Method::GET,
            &format!("/api/v1/communities/{community_id}/view"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert!(matches!(view.status, 403 | 404), "{}", view.body);
}

#[tokio::test]
async fn a_banned_user_is_refused_by_a_fresh_invite() {
    let app = spawn_app().await;
    let owner = app.register("ban_inv_owner").await;
    let troll = app.register("ban_inv_troll").await;
    let community_id = app.create_community(&owner, "No Trolls", "private").await;
    let first = create_invite(&app, &owner, community_id, json!({})).await;
    assert_eq!(
        accept(&app, &troll, first["code"].as_str().unwrap())
            .await
            .status,
        200
    );
    app.ok(
        Method::PUT,
        &format!("/api/v1/communities/{community_id}/bans/{}", troll.user_id),
        &owner.access_token,
        Some(json!({ "reason": "trolling" })),
    )
    .await;

    let fresh = create_invite(&app, &owner, community_id, json!({ "max_uses": 5 })).await;
    let code = fresh["code"].as_str().unwrap();
    let refused = accept(&app, &troll, code).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "forbidden"),
        "{}",
        refused.body
    );
    let listed = app
        .ok(
            Method::GET,
            &format!("/api/v1/communities/{community_id}/invites"),
            &owner.access_token,
            None,
        )
        .await;
    let fresh_listed = listed["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap();
    assert_eq!(fresh_listed["uses"], 0, "a refused accept uses nothing");
    let community = app
        .ok(
            Method::GET,
            &format!("/api/v1/communities/{community_id}"),
            &owner.access_token,
            None,
        )
        .await;
    assert_eq!(community["member_count"], 1);
}
