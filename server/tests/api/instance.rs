//! The instance: first account becomes owner, registration modes, registration invites.

use crate::helpers::*;
use serde_json::{Value, json};

async fn set_mode(app: &TestApp, owner: &Session, mode: &str) {
    let reply = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/instance",
            Some(&owner.access_token),
            Some(json!({ "registration_mode": mode })),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["registration_mode"], mode);
}

async fn create_invite(app: &TestApp, owner: &Session, body: Value) -> String {
    let reply = app
        .send(
            reqwest::Method::POST,
            "/api/v1/instance/invites",
            Some(&owner.access_token),
            Some(body),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["code"].as_str().unwrap().to_string()
}

fn register_body(username: &str, code: Option<&str>) -> Value {
    json!({ "username": username, "password": PASSWORD, "invite_code": code })
}

#[tokio::test]
async fn the_first_account_becomes_owner_and_the_next_are_members() {
    let app = spawn_app().await;
    let owner = app.register("first").await;
    let member = app.register("second").await;
    assert_eq!(
        app.get("/api/v1/users/@me", &owner.access_token).await.body["role"],
        "owner"
    );
    assert_eq!(
        app.get("/api/v1/users/@me", &member.access_token)
            .await
            .body["role"],
        "member"
    );

    let refused = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/instance",
            Some(&member.access_token),
            Some(json!({ "registration_mode": "closed" })),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
}

#[tokio::test]
async fn closed_registration_refuses_new_accounts() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    set_mode(&app, &owner, "closed").await;
    let reply = app
        .post("/api/v1/auth/register", register_body("late", None))
        .await;
    assert_eq!((reply.status, reply.code()), (403, "registration_closed"));
    let public = app
        .send(reqwest::Method::GET, "/api/v1/instance", None, None)
        .await;
    assert_eq!(public.body["registration_mode"], "closed");
}

#[tokio::test]
async fn invite_only_registration_checks_the_code() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    set_mode(&app, &owner, "invite_only").await;

    let missing = app
        .post("/api/v1/auth/register", register_body("user1", None))
        .await;
    assert_eq!((missing.status, missing.code()), (400, "invite_required"));
    let unknown = app
        .post(
            "/api/v1/auth/register",
            register_body("user1", Some("no-such-code")),
        )
        .await;
    assert_eq!((unknown.status, unknown.code()), (400, "invite_invalid"));

    let once = create_invite(&app, &owner, json!({ "max_uses": 1 })).await;
    let used = app
        .post("/api/v1/auth/register", register_body("user1", Some(&once)))
        .await;
    assert_eq!(used.status, 201, "{}", used.body);
    let exhausted = app
        .post("/api/v1/auth/register", register_body("user2", Some(&once)))
        .await;
    assert_eq!(
        (exhausted.status, exhausted.code()),
        (400, "invite_exhausted")
    );

    // An expired code: created valid, then its expiry moved into the past in the database.
    let expiring = create_invite(&app, &owner, json!({ "expires_in_secs": 3600 })).await;
    let db = sqlx::PgPool::connect(app.env.config.database.url.expose())
        .await
        .unwrap();
    sqlx::query("update auth.registration_invites set expires_at = now() - interval '1 second' where code = $1")
        .bind(&expiring)
        .execute(&db)
        .await
        .unwrap();
    let expired = app
        .post(
            "/api/v1/auth/register",
            register_body("user3", Some(&expiring)),
        )
        .await;
    assert_eq!((expired.status, expired.code()), (400, "invite_expired"));
    let users: i64 = sqlx::query_scalar("select count(*) from auth.users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(users, 2, "only the owner and user1 exist");

    let bad_expiry = app
        .send(
            reqwest::Method::POST,
            "/api/v1/instance/invites",
            Some(&owner.access_token),
            Some(json!({ "expires_in_secs": 60 })),
        )
        .await;
    assert_eq!(
        (bad_expiry.status, bad_expiry.code()),
        (422, "invalid_expiry")
    );
}

#[tokio::test]
async fn concurrent_registrations_racing_for_the_last_uses_of_an_invite() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    set_mode(&app, &owner, "invite_only").await;
    let code = create_invite(&app, &owner, json!({ "max_uses": 3 })).await;

    let attempts = (0..10).map(|i| {
        let body = register_body(&format!("racer{i}"), Some(&code));
        let url = app.url("/api/v1/auth/register");
        let http = app.http.clone();
        async move { send(&http, reqwest::Method::POST, &url, None, Some(body)).await }
    });
    let replies = futures::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let exhausted = replies
        .iter()
        .filter(|r| r.code() == "invite_exhausted")
        .count();
    assert_eq!((created, exhausted), (3, 7));

    let invites = app
        .get("/api/v1/instance/invites", &owner.access_token)
        .await;
    let invite = invites.body["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code.as_str())
        .unwrap()
        .clone();
    assert_eq!(invite["uses"], 3);
}

#[tokio::test]
async fn a_revoked_invite_no_longer_works() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    set_mode(&app, &owner, "invite_only").await;
    let code = create_invite(&app, &owner, json!({})).await;
    let revoke = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/instance/invites/{code}"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.body);
    let reply = app
        .post("/api/v1/auth/register", register_body("late", Some(&code)))
        .await;
    assert_eq!((reply.status, reply.code()), (400, "invite_invalid"));
}
