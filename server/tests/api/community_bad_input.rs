//! Bad input on the community endpoints: malformed JSON, unknown fields, wrong types, values out
//! of bounds, malformed ids in paths and queries. Each gets a clean 4xx with a stable code, and
//! nothing is half-written.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends raw bytes with a content type and the caller's token.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> Reply {
    let response = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends each JSON body to `path` and expects `400 invalid_request`.
async fn refuse_all(app: &TestApp, method: Method, path: &str, token: &str, bodies: &[Value]) {
    for body in bodies {
        let reply = app
            .send(method.clone(), path, Some(token), Some(body.clone()))
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{method} {path} {body}: {}",
            reply.body
        );
    }
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

#[tokio::test]
async fn a_community_that_does_not_fit_is_not_created() {
    let app = spawn_app().await;
    let owner = app.register("bad_creator").await;
    let token = owner.access_token.as_str();
    let path = "/api/v1/communities";

    let cases: [(&str, &[u8], u16, &str); 4] = [
        ("application/json", b"{not json", 400, "invalid_json"),
        ("application/json", b"", 400, "invalid_json"),
        (
            "application/json",
            br#"{"name":"Trailing",}"#,
            400,
            "invalid_json",
        ),
        (
            "text/plain",
            br#"{"name":"Plain"}"#,
            415,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let reply = raw(&app, Method::POST, path, token, content_type, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{content_type} {}",
            String::from_utf8_lossy(body)
        );
    }
    refuse_all(
        &app,
        Method::POST,
        path,
        token,
        &[
            json!({}),
            json!({ "name": 5 }),
            json!({ "name": null }),
            json!({ "name": "Extra", "owner_id": owner.user_id }),
            json!({ "name": "Extra", "member_count": 1000 }),
            json!({ "name": "Hidden", "visibility": "secret" }),
            json!({ "name": "" }),
            json!({ "name": long(101) }),
            json!({ "name": "Wordy", "description": long(1001) }),
        ],
    )
    .await;
    // The bounds themselves are fine.
    let at_bounds = app
        .send(
            Method::POST,
            path,
            Some(token),
            Some(json!({ "name": long(100), "description": long(1000) })),
        )
        .await;
    assert_eq!(at_bounds.status, 201, "{}", at_bounds.body);

    let mine = app
        .ok(Method::GET, "/api/v1/users/@me/communities", token, None)
        .await;
    assert_eq!(mine["views"].as_array().unwrap().len(), 1, "{mine}");
}

#[tokio::test]
async fn refused_changes_leave_everything_as_it_was() {
    let app = spawn_app().await;
    let owner = app.register("bad_owner").await;
    let member = app.register("bad_member").await;
    let token = owner.access_token.as_str();
    let community_id = app.create_community(&owner, "Stable", "public").await;
    app.join_community(&member, community_id).await;
    let base = format!("/api/v1/communities/{community_id}");
    let group = app
        .create_group(&owner, community_id, "Group", "public")
        .await;
    let channel = app
        .create_channel(&owner, community_id, group, "channel", json!({}))
        .await;
    let snapshot = || async {
        let mut state = Vec::new();
        for path in [
            base.clone(),
            format!("{base}/view"),
            format!("{base}/roles"),
            format!("{base}/members/{}", member.user_id),
            format!("{base}/members/{}/warnings", member.user_id),
            format!("{base}/groups/{group}/overwrites"),
            format!("{base}/channels/{channel}/overwrites"),
            format!("{base}/bans"),
            format!("{base}/invites"),
        ] {
            state.push(app.ok(Method::GET, &path, token, None).await);
        }
        state
    };
    let before = snapshot().await;

    refuse_all(
        &app,
        Method::PATCH,
        &base,
        token,
        &[
            json!({ "name": long(101) }),
            json!({ "name": "" }),
            json!({ "name": "Half", "description": long(1001) }),
            json!({ "name": "Half", "welcome_message": long(2001) }),
            json!({ "name": "Half", "description": 7 }),
            json!({ "name": "Half", "owner_id": member.user_id }),
            json!({ "name": "Half", "visibility": "hidden" }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::POST,
        &format!("{base}/groups"),
        token,
        &[
            json!({ "name": "" }),
            json!({ "name": long(101) }),
            json!({ "name": "G", "visibility": "hidden" }),
            json!({ "name": "G", "position": 1 }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::PATCH,
        &format!("{base}/groups/{group}"),
        token,
        &[json!({ "name": long(101) }), json!({ "name": ["G"] })],
    )
    .await;
    let channel_body = |extra: Value| {
        let mut body = json!({ "group_id": group, "name": "c", "kind": "text" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    refuse_all(
        &app,
        Method::POST,
        &format!("{base}/channels"),
        token,
        &[
            channel_body(json!({ "kind": "video" })),
            channel_body(json!({ "slow_mode_secs": -1 })),
            channel_body(json!({ "slow_mode_secs": "abc" })),
            channel_body(json!({ "slow_mode_secs": 3 })),
            channel_body(json!({ "group_id": "nope" })),
            channel_body(json!({ "name": long(101) })),
            channel_body(json!({ "name": "" })),
            channel_body(json!({ "topic": long(1025) })),
            channel_body(json!({ "kind": "voice", "voice_cap": 26 })),
            channel_body(json!({ "archived": true })),
            json!({ "group_id": group, "name": "no kind" }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::PATCH,
        &format!("{base}/channels/{channel}"),
        token,
        &[
            json!({ "name": "half", "slow_mode_secs": 601 }),
            json!({ "name": "half", "topic": long(1025) }),
            json!({ "name": "half", "kind": "voice" }),
            json!({ "name": "half", "position": "first" }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::POST,
        &format!("{base}/roles"),
        token,
        &[
            json!({ "name": "" }),
            json!({ "name": long(101) }),
            json!({ "name": "r", "permissions": ["fly"] }),
            json!({ "name": "r", "permissions": "view_channel" }),
            json!({ "name": "r", "color": -1 }),
            json!({ "name": "r", "color": 0x0100_0000 }),
            json!({ "name": "r", "is_everyone": true }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::PUT,
        &format!("{base}/groups/{group}/overwrites/role/{community_id}"),
        token,
        &[
            json!({ "allow": ["fly"] }),
            json!({ "allow": "view_channel" }),
            json!({ "allow": [], "deny": [], "extra": 1 }),
        ],
    )
    .await;
    let member_path = format!("{base}/members/{}", member.user_id);
    refuse_all(
        &app,
        Method::PATCH,
        &member_path,
        token,
        &[
            json!({ "nickname": long(65) }),
            json!({ "nickname": 5 }),
            json!({ "nickname": "n", "role_ids": [] }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::PUT,
        &format!("{member_path}/timeout"),
        token,
        &[
            json!({ "until": "tomorrow" }),
            json!({ "until": 12 }),
            json!({ "until": null, "reason": long(513) }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::POST,
        &format!("{member_path}/warnings"),
        token,
        &[
            json!({ "reason": "" }),
            json!({ "reason": long(513) }),
            json!({}),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::POST,
        &format!("{member_path}/kick"),
        token,
        &[
            json!({ "reason": long(513) }),
            json!({ "reason": 1 }),
            json!({ "why": "x" }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::PUT,
        &format!("{base}/bans/{}", member.user_id),
        token,
        &[json!({ "reason": long(513) }), json!({ "reason": [] })],
    )
    .await;
    refuse_all(
        &app,
        Method::POST,
        &format!("{base}/invites"),
        token,
        &[
            json!({ "max_uses": 0 }),
            json!({ "max_uses": -1 }),
            json!({ "expires_in_secs": "soon" }),
            json!({ "code": "mine" }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::PUT,
        &format!("{base}/groups/order"),
        token,
        &[
            json!({ "group_ids": ["nope"] }),
            json!({ "group_ids": null }),
        ],
    )
    .await;
    refuse_all(
        &app,
        Method::POST,
        &format!("{base}/transfer"),
        token,
        &[json!({}), json!({ "new_owner_id": "nope" })],
    )
    .await;
    let malformed = raw(
        &app,
        Method::PATCH,
        &base,
        token,
        "application/json",
        b"{\"name\": \"Half\"",
    )
    .await;
    assert_eq!((malformed.status, malformed.code()), (400, "invalid_json"));

    let after = snapshot().await;
    assert_eq!(before, after, "a refused request changed something");
}

#[tokio::test]
async fn malformed_ids_and_queries_are_invalid_requests() {
    let app = spawn_app().await;
    let owner = app.register("bad_paths").await;
    let token = owner.access_token.as_str();
    let community_id = app.create_community(&owner, "Paths", "public").await;
    let base = format!("/api/v1/communities/{community_id}");
    let user = owner.user_id;
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/communities/not-a-uuid".into(), None),
        (Method::GET, "/api/v1/communities/123/view".into(), None),
        (
            Method::PATCH,
            format!("{base}/groups/xyz"),
            Some(json!({ "name": "g" })),
        ),
        (Method::DELETE, format!("{base}/channels/0"), None),
        (Method::DELETE, format!("{base}/roles/%20"), None),
        (Method::GET, format!("{base}/members/{user}x"), None),
        (
            Method::PUT,
            format!("{base}/members/{user}/roles/abc"),
            None,
        ),
        (Method::POST, format!("{base}/members/me/kick"), None),
        (Method::PUT, format!("{base}/bans/everyone"), None),
        (
            Method::PUT,
            format!("{base}/channels/c/overwrites/role/{community_id}"),
            Some(json!({})),
        ),
        (
            Method::PUT,
            format!("{base}/groups/{community_id}/overwrites/role/zzz"),
            Some(json!({})),
        ),
        (
            Method::GET,
            "/api/v1/communities/discover?limit=abc".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/communities/discover?limit=0".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/communities/discover?limit=101".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/communities/discover?after=x".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/communities/discover?sort=name".into(),
            None,
        ),
        (Method::GET, format!("{base}/members?limit=1000"), None),
        (Method::GET, format!("{base}/members?after=someone"), None),
        (Method::GET, format!("{base}/members?role=admin"), None),
        (
            Method::GET,
            format!("{base}/audit-log?action=exploded"),
            None,
        ),
        (Method::GET, format!("{base}/audit-log?actor_id=me"), None),
        (Method::GET, format!("{base}/audit-log?limit=-1"), None),
    ];
    for (method, path, body) in requests {
        let reply = app.send(method.clone(), &path, Some(token), body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{method} {path}: {}",
            reply.body
        );
    }
    // Unknown routes and methods keep their own codes.
    let reply = app
        .send(
            Method::GET,
            &format!("{base}/nothing-here"),
            Some(token),
            None,
        )
        .await;
    assert_eq!((reply.status, reply.code()), (404, "route_not_found"));
    let reply = app
        .send(Method::POST, &format!("{base}/view"), Some(token), None)
        .await;
    assert_eq!((reply.status, reply.code()), (405, "method_not_allowed"));
}
