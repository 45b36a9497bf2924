//! Instance administration: the user list, disabling accounts, roles and the audit log.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn admins_list_users_a_page_at_a_time() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    for i in 0..4 {
        app.register(&format!("member{i}")).await;
    }
    let first = app
        .get("/api/v1/admin/users?limit=3", &owner.access_token)
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["users"].as_array().unwrap().len(), 3);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = app
        .get(
            &format!("/api/v1/admin/users?limit=3&after={cursor}"),
            &owner.access_token,
        )
        .await;
    let names: Vec<_> = second.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["member2", "member3"]);

    let bad_limit = app
        .get("/api/v1/admin/users?limit=1000", &owner.access_token)
        .await;
    assert_eq!(
        (bad_limit.status, bad_limit.code()),
        (400, "invalid_request")
    );
}

#[tokio::test]
async fn members_cannot_administer() {
    let app = spawn_app().await;
    app.register("owner").await;
    let member = app.register("member").await;
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/audit-log",
        "/api/v1/instance/invites",
    ] {
        let reply = app.get(path, &member.access_token).await;
        assert_eq!((reply.status, reply.code()), (403, "forbidden"), "{path}");
    }
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_blocks_login() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let member = app.register("member").await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &member.access_token).await;

    let disable = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/users/{}/disabled", member.user_id),
            Some(&owner.access_token),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(disable.status, 200, "{}", disable.body);
    assert_eq!(disable.body["disabled"], true);
    assert_eq!(ws.ended(Duration::from_secs(1)).await, Ended::Closed(4005));
    let login = app.login("member", PASSWORD).await;
    assert_eq!((login.status, login.code()), (403, "account_disabled"));

    let enable = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/users/{}/disabled", member.user_id),
            Some(&owner.access_token),
            Some(json!({ "disabled": false })),
        )
        .await;
    assert_eq!(enable.status, 200, "{}", enable.body);
    assert_eq!(app.login("member", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn the_owner_names_admins_who_can_then_administer() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let helper = app.register("helper").await;
    let promote = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/users/{}/role", helper.user_id),
            Some(&owner.access_token),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(promote.status, 200, "{}", promote.body);
    assert_eq!(
        app.get("/api/v1/admin/users", &helper.access_token)
            .await
            .status,
        200
    );

    // Admins cannot disable the owner.
    let refused = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/users/{}/disabled", owner.user_id),
            Some(&helper.access_token),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}

#[tokio::test]
async fn the_audit_log_records_security_events_with_ip_and_user_agent() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    assert_eq!(app.login("owner", "wrong password!").await.status, 401);
    assert_eq!(app.login("owner", PASSWORD).await.status, 200);

    let failed = app
        .get(
            "/api/v1/admin/audit-log?action=login_failed",
            &owner.access_token,
        )
        .await;
    assert_eq!(failed.status, 200, "{}", failed.body);
    let entries = failed.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    assert_eq!(entries[0]["user_agent"], "chatalot-tests/1");
    assert_eq!(entries[0]["target_id"], owner.user_id.to_string());

    let all = app
        .get("/api/v1/admin/audit-log?limit=2", &owner.access_token)
        .await;
    let page: Vec<_> = all.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(
        page,
        [json!("login_succeeded"), json!("login_failed")],
        "newest first"
    );
    let cursor = all.body["next_cursor"].as_str().unwrap();
    let older = app
        .get(
            &format!("/api/v1/admin/audit-log?limit=2&before={cursor}"),
            &owner.access_token,
        )
        .await;
    assert_eq!(older.body["entries"][0]["action"], "register");

    let by_actor = app
        .get(
            &format!("/api/v1/admin/audit-log?actor_id={}", owner.user_id),
            &owner.access_token,
        )
        .await;
    assert!(by_actor.body["entries"].as_array().unwrap().len() >= 2);

    let bad_filter = app
        .get(
            "/api/v1/admin/audit-log?action=nonsense",
            &owner.access_token,
        )
        .await;
    assert_eq!(
        (bad_filter.status, bad_filter.code()),
        (400, "invalid_request")
    );
}
