//! Object-level authorisation: the owner of community A, with every right in A, aims every
//! community endpoint at community B (B's ids in the path), and at A with B's groups, channels,
//! roles, members, bans and invites. Nothing succeeds and B is unchanged afterwards. And every
//! community endpoint but the invite preview wants a token.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// Everything the owner of B can read about B, to compare before and after the attack.
async fn snapshot(app: &TestApp, owner: &Session, ids: &Ids) -> Vec<(String, Value)> {
    let base = format!("/api/v1/communities/{}", ids.community);
    let paths = [
        base.clone(),
        format!("{base}/view"),
        format!("{base}/roles"),
        format!("{base}/members"),
        format!("{base}/members/{}", ids.member),
        format!("{base}/members/{}/warnings", ids.member),
        format!("{base}/groups/{}/overwrites", ids.group),
        format!("{base}/channels/{}/overwrites", ids.channel),
        format!("{base}/bans"),
        format!("{base}/invites"),
        format!("{base}/audit-log"),
    ];
    let mut state = Vec::new();
    for path in paths {
        let body = app.ok(Method::GET, &path, &owner.access_token, None).await;
        state.push((path, body));
    }
    state
}

/// The objects of one community.
struct Ids {
    community: Uuid,
    group: Uuid,
    channel: Uuid,
    role: Uuid,
    /// A member besides the owner (holding `role`).
    member: Uuid,
    /// A banned user.
    banned: Uuid,
    invite: String,
}

/// A community with one of everything.
async fn furnish(
    app: &TestApp,
    owner: &Session,
    member: &Session,
    banned: &Session,
    name: &str,
) -> Ids {
    let token = owner.access_token.as_str();
    let community = app.create_community(owner, name, "private").await;
    let base = format!("/api/v1/communities/{community}");
    let group = app.create_group(owner, community, "group", "public").await;
    let channel = app
        .create_channel(owner, community, group, "channel", json!({}))
        .await;
    let role = app
        .ok(
            Method::POST,
            &format!("{base}/roles"),
            token,
            Some(json!({ "name": "role", "permissions": ["view_channel"] })),
        )
        .await;
    let role = uuid_of(&role["role_id"]);
    let invite = app
        .ok(
            Method::POST,
            &format!("{base}/invites"),
            token,
            Some(json!({ "max_uses": 10 })),
        )
        .await;
    let invite = invite["code"].as_str().unwrap().to_string();
    app.ok(
        Method::POST,
        &format!("/api/v1/invites/{invite}/accept"),
        &member.access_token,
        None,
    )
    .await;
    let member_path = format!("{base}/members/{}", member.user_id);
    app.ok(
        Method::PUT,
        &format!("{member_path}/roles/{role}"),
        token,
        None,
    )
    .await;
    app.ok(
        Method::PATCH,
        &member_path,
        token,
        Some(json!({ "nickname": "nick" })),
    )
    .await;
    app.ok(
        Method::POST,
        &format!("{member_path}/warnings"),
        token,
        Some(json!({ "reason": "first warning" })),
    )
    .await;
    app.ok(
        Method::PUT,
        &format!("{base}/bans/{}", banned.user_id),
        token,
        Some(json!({ "reason": "banned" })),
    )
    .await;
    let overwrite = json!({ "allow": ["send_messages"], "deny": ["attach_files"] });
    app.ok(
        Method::PUT,
        &format!("{base}/groups/{group}/overwrites/role/{role}"),
        token,
        Some(overwrite.clone()),
    )
    .await;
    app.ok(
        Method::PUT,
        &format!(
            "{base}/channels/{channel}/overwrites/member/{}",
            member.user_id
        ),
        token,
        Some(overwrite),
    )
    .await;
    Ids {
        community,
        group,
        channel,
        role,
        member: member.user_id,
        banned: banned.user_id,
        invite,
    }
}

#[tokio::test]
async fn a_member_of_one_community_cannot_touch_another() {
    let app = spawn_app().await;
    let owner_a = app.register("authz_owner_a").await;
    let owner_b = app.register("authz_owner_b").await;
    let member_a = app.register("authz_member_a").await;
    let member_b = app.register("authz_member_b").await;
    let banned_a = app.register("authz_banned_a").await;
    let banned_b = app.register("authz_banned_b").await;
    let a = furnish(&app, &owner_a, &member_a, &banned_a, "Community A").await;
    let b = furnish(&app, &owner_b, &member_b, &banned_b, "Community B").await;
    let b_groups: Vec<Uuid> = app.community_view(&owner_b, b.community).await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| uuid_of(&g["group_id"]))
        .collect();
    let a_groups: Vec<Uuid> = app.community_view(&owner_a, a.community).await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| uuid_of(&g["group_id"]))
        .collect();
    let before = snapshot(&app, &owner_b, &b).await;

    let (get, post, put, patch, delete) = (
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    );
    let bc = format!("/api/v1/communities/{}", b.community);
    let ac = format!("/api/v1/communities/{}", a.community);
    let name = json!({ "name": "pwned" });
    let overwrite = json!({ "allow": ["administrator"], "deny": [] });
    let until = json!({ "until": chrono::Utc::now() + chrono::Duration::hours(1) });
    let reason = json!({ "reason": "pwned" });
    let mut reversed_b = b_groups;
    reversed_b.reverse();
    let (bg, bch, br, bm, bb, bi) = (b.group, b.channel, b.role, b.member, b.banned, &b.invite);
    let (ag, ach, ar, am) = (a.group, a.channel, a.role, a.member);
    // B's ids in the path: 403 or 404.
    #[rustfmt::skip]
    let in_path: Vec<(Method, String, Option<Value>)> = vec![
        (get.clone(), bc.clone(), None),
        (patch.clone(), bc.clone(), Some(name.clone())),
        (delete.clone(), bc.clone(), None),
        (post.clone(), format!("{bc}/transfer"), Some(json!({ "new_owner_id": owner_a.user_id }))),
        (get.clone(), format!("{bc}/view"), None),
        (post.clone(), format!("{bc}/groups"), Some(name.clone())),
        (patch.clone(), format!("{bc}/groups/{bg}"), Some(name.clone())),
        (delete.clone(), format!("{bc}/groups/{bg}"), None),
        (put.clone(), format!("{bc}/groups/order"), Some(json!({ "group_ids": reversed_b }))),
        (post.clone(), format!("{bc}/channels"), Some(json!({ "group_id": bg, "name": "pwned", "kind": "text" }))),
        (patch.clone(), format!("{bc}/channels/{bch}"), Some(name.clone())),
        (delete.clone(), format!("{bc}/channels/{bch}"), None),
        (get.clone(), format!("{bc}/roles"), None),
        (post.clone(), format!("{bc}/roles"), Some(name.clone())),
        (patch.clone(), format!("{bc}/roles/{br}"), Some(json!({ "permissions": ["administrator"] }))),
        (patch.clone(), format!("{bc}/roles/{}", b.community), Some(json!({ "permissions": ["administrator"] }))),
        (delete.clone(), format!("{bc}/roles/{br}"), None),
        (get.clone(), format!("{bc}/groups/{bg}/overwrites"), None),
        (put.clone(), format!("{bc}/groups/{bg}/overwrites/role/{br}"), Some(overwrite.clone())),
        (delete.clone(), format!("{bc}/groups/{bg}/overwrites/role/{br}"), None),
        (get.clone(), format!("{bc}/channels/{bch}/overwrites"), None),
        (put.clone(), format!("{bc}/channels/{bch}/overwrites/member/{bm}"), Some(overwrite.clone())),
        (delete.clone(), format!("{bc}/channels/{bch}/overwrites/member/{bm}"), None),
        (post.clone(), format!("{bc}/join"), None),
        (post.clone(), format!("{bc}/leave"), None),
        (get.clone(), format!("{bc}/members"), None),
        (get.clone(), format!("{bc}/members/{bm}"), None),
        (patch.clone(), format!("{bc}/members/{bm}"), Some(json!({ "nickname": "pwned" }))),
        (put.clone(), format!("{bc}/members/{bm}/roles/{br}"), None),
        (delete.clone(), format!("{bc}/members/{bm}/roles/{br}"), None),
        (post.clone(), format!("{bc}/members/{bm}/kick"), Some(reason.clone())),
        (put.clone(), format!("{bc}/members/{bm}/timeout"), Some(until.clone())),
        (post.clone(), format!("{bc}/members/{bm}/warnings"), Some(reason.clone())),
        (get.clone(), format!("{bc}/members/{bm}/warnings"), None),
        (put.clone(), format!("{bc}/bans/{bm}"), Some(reason.clone())),
        (delete.clone(), format!("{bc}/bans/{bb}"), None),
        (get.clone(), format!("{bc}/bans"), None),
        (get.clone(), format!("{bc}/audit-log"), None),
        (post.clone(), format!("{bc}/invites"), Some(json!({}))),
        (get.clone(), format!("{bc}/invites"), None),
        (delete.clone(), format!("{bc}/invites/{bi}"), None),
        // A's community id with B's objects.
        (patch.clone(), format!("{ac}/groups/{bg}"), Some(name.clone())),
        (delete.clone(), format!("{ac}/groups/{bg}"), None),
        (patch.clone(), format!("{ac}/channels/{bch}"), Some(name.clone())),
        (delete.clone(), format!("{ac}/channels/{bch}"), None),
        (patch.clone(), format!("{ac}/roles/{br}"), Some(json!({ "permissions": ["administrator"] }))),
        (patch.clone(), format!("{ac}/roles/{}", b.community), Some(json!({ "permissions": ["administrator"] }))),
        (delete.clone(), format!("{ac}/roles/{br}"), None),
        (get.clone(), format!("{ac}/groups/{bg}/overwrites"), None),
        (put.clone(), format!("{ac}/groups/{bg}/overwrites/role/{ar}"), Some(overwrite.clone())),
        (put.clone(), format!("{ac}/groups/{ag}/overwrites/role/{br}"), Some(overwrite.clone())),
        (put.clone(), format!("{ac}/groups/{ag}/overwrites/role/{}", b.community), Some(overwrite.clone())),
        (delete.clone(), format!("{ac}/groups/{bg}/overwrites/role/{br}"), None),
        (get.clone(), format!("{ac}/channels/{bch}/overwrites"), None),
        (put.clone(), format!("{ac}/channels/{bch}/overwrites/role/{ar}"), Some(overwrite.clone())),
        (put.clone(), format!("{ac}/channels/{ach}/overwrites/member/{bm}"), Some(overwrite.clone())),
        (delete.clone(), format!("{ac}/channels/{bch}/overwrites/member/{bm}"), None),
        (get.clone(), format!("{ac}/members/{bm}"), None),
        (patch.clone(), format!("{ac}/members/{bm}"), Some(json!({ "nickname": "pwned" }))),
        (put.clone(), format!("{ac}/members/{bm}/roles/{ar}"), None),
        (put.clone(), format!("{ac}/members/{am}/roles/{br}"), None),
        (delete.clone(), format!("{ac}/members/{bm}/roles/{br}"), None),
        (post.clone(), format!("{ac}/members/{bm}/kick"), Some(reason.clone())),
        (put.clone(), format!("{ac}/members/{bm}/timeout"), Some(until.clone())),
        (post.clone(), format!("{ac}/members/{bm}/warnings"), Some(reason.clone())),
        (delete.clone(), format!("{ac}/bans/{bb}"), None),
        (delete.clone(), format!("{ac}/invites/{bi}"), None),
    ];
    // B's ids only in the body: the body may also be refused as invalid (400).
    let mut a_then_b = a_groups.clone();
    a_then_b.push(bg);
    #[rustfmt::skip]
    let in_body: Vec<(Method, String, Option<Value>)> = vec![
        (put.clone(), format!("{ac}/groups/order"), Some(json!({ "group_ids": a_then_b }))),
        (post.clone(), format!("{ac}/channels"), Some(json!({ "group_id": bg, "name": "pwned", "kind": "text" }))),
        (patch.clone(), format!("{ac}/channels/{ach}"), Some(json!({ "group_id": bg }))),
        (post.clone(), format!("{ac}/transfer"), Some(json!({ "new_owner_id": owner_b.user_id }))),
    ];
    // Left out on purpose, because they may rightly succeed without touching B: banning a
    // non-member from A, listing A's (empty) warnings of B's member, and the invite preview
    // and accept, where the code itself is the permission.

    let mut failures = Vec::new();
    for (allowed, requests) in [
        (&[403, 404][..], &in_path),
        (&[400, 403, 404][..], &in_body),
    ] {
        for (method, path, body) in requests {
            let reply = app
                .send(
                    method.clone(),
                    path,
                    Some(&owner_a.access_token),
                    body.clone(),
                )
                .await;
            // A mistyped path would be a 404 too: it must reach a handler.
            let unrouted = matches!(reply.code(), "route_not_found" | "method_not_allowed");
            if !allowed.contains(&reply.status) || unrouted {
                failures.push(format!("{method} {path}: {} {}", reply.status, reply.body));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} requests were not refused:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Ids in bodies and queries never redirect an action: the path decides, so these land on A.
    let token = owner_a.access_token.as_str();
    let bcid = b.community;
    let renamed = app
        .ok(
            patch.clone(),
            &ac,
            token,
            Some(json!({ "community_id": bcid, "name": "A renamed" })),
        )
        .await;
    assert_eq!(renamed["community_id"], a.community.to_string());
    let group = app
        .ok(
            patch.clone(),
            &format!("{ac}/groups/{ag}"),
            token,
            Some(json!({ "community_id": bcid, "group_id": bg, "name": "A group" })),
        )
        .await;
    assert_eq!(group["group_id"], ag.to_string());
    let channel = app
        .ok(
            patch.clone(),
            &format!("{ac}/channels/{ach}"),
            token,
            Some(json!({ "community_id": bcid, "channel_id": bch, "topic": "A topic" })),
        )
        .await;
    assert_eq!(channel["channel_id"], ach.to_string());
    let role = app
        .ok(
            patch.clone(),
            &format!("{ac}/roles/{ar}"),
            token,
            Some(json!({ "community_id": bcid, "role_id": br, "name": "A role" })),
        )
        .await;
    assert_eq!(role["role_id"], ar.to_string());
    let nicknamed = app
        .ok(
            patch.clone(),
            &format!("{ac}/members/{am}"),
            token,
            Some(json!({ "community_id": bcid, "user_id": bm, "nickname": "A nick" })),
        )
        .await;
    assert_eq!(nicknamed["user_id"], am.to_string());
    let timed_out = app
        .ok(
            put.clone(),
            &format!("{ac}/members/{am}/timeout"),
            token,
            Some(json!({ "community_id": bcid, "user_id": bm, "until": null })),
        )
        .await;
    assert_eq!(timed_out["community_id"], a.community.to_string());
    let warning = app
        .ok(
            post.clone(),
            &format!("{ac}/members/{am}/warnings"),
            token,
            Some(json!({ "community_id": bcid, "user_id": bm, "reason": "A warning" })),
        )
        .await;
    assert_eq!(warning["user_id"], am.to_string());
    assert_eq!(warning["community_id"], a.community.to_string());
    let invite = app
        .ok(
            post.clone(),
            &format!("{ac}/invites"),
            token,
            Some(json!({ "community_id": bcid })),
        )
        .await;
    assert_eq!(invite["community_id"], a.community.to_string());
    let members = app
        .ok(
            get.clone(),
            &format!("{ac}/members?community_id={bcid}"),
            token,
            None,
        )
        .await;
    assert!(
        members["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["community_id"] == a.community.to_string()),
        "{members}"
    );
    let log = app
        .ok(
            get.clone(),
            &format!("{ac}/audit-log?community_id={bcid}"),
            token,
            None,
        )
        .await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["community_id"] == a.community.to_string()),
        "{log}"
    );

    let after = snapshot(&app, &owner_b, &b).await;
    for ((path, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "GET {path} changed");
    }
    let community = &after[0].1;
    assert_eq!(community["name"], "Community B");
    assert_eq!(community["owner_id"], owner_b.user_id.to_string());
    assert_eq!(community["member_count"], 2);
    assert_eq!(after[4].1["nickname"], "nick");
    // The code of B still works for someone it was meant for.
    let late = app.register("authz_late").await;
    let accepted = app
        .send(
            Method::POST,
            &format!("/api/v1/invites/{}/accept", b.invite),
            Some(&late.access_token),
            None,
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

/// Every community route as the OpenAPI document lists it.
async fn community_operations(app: &TestApp) -> Vec<(String, String, bool)> {
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let mut operations = Vec::new();
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        let community = path.starts_with("/api/v1/communities")
            || path.starts_with("/api/v1/invites")
            || path == "/api/v1/users/@me/communities";
        if !community {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            operations.push((method.to_uppercase(), path.clone(), secured));
        }
    }
    operations
}

#[tokio::test]
async fn every_community_endpoint_but_the_preview_needs_a_token() {
    let app = spawn_app().await;
    let operations = community_operations(&app).await;
    // 45 of community-svc, and POST /communities/{community_id}/read (marking read, message-svc).
    assert_eq!(operations.len(), 46, "{operations:?}");
    let anonymous: Vec<_> = operations
        .iter()
        .filter(|(_, _, secured)| !secured)
        .collect();
    assert_eq!(
        anonymous,
        [&(
            "GET".to_string(),
            "/api/v1/invites/{code}".to_string(),
            false
        )]
    );
    let nil = Uuid::nil().to_string();
    for (method, path, _) in operations.iter().filter(|(_, _, secured)| *secured) {
        let path = path
            .replace("{community_id}", &nil)
            .replace("{group_id}", &nil)
            .replace("{channel_id}", &nil)
            .replace("{role_id}", &nil)
            .replace("{user_id}", &nil)
            .replace("{subject_kind}", "role")
            .replace("{subject_id}", &nil)
            .replace("{code}", "some-code");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for body in [None, Some(json!({}))] {
            let reply = app.send(method.clone(), &path, None, body).await;
            assert_eq!(
                (reply.status, reply.code()),
                (401, "missing_token"),
                "{method} {path}"
            );
        }
        let reply = app
            .send(method.clone(), &path, Some("not-a-token"), None)
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "invalid_token"),
            "{method} {path}"
        );
    }
}
