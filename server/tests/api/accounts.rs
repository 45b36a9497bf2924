//! Register, log in, refresh with rotation and reuse detection, log out, profile.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn register_then_login_and_read_own_profile() {
    let app = spawn_app().await;
    let session = app.register("Alice").await;

    let me = app.get("/api/v1/users/@me", &session.access_token).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["username"], "Alice");
    assert_eq!(me.body["display_name"], "Alice");

    let login = app.login("alice", PASSWORD).await;
    assert_eq!(
        login.status, 200,
        "usernames are case-insensitive at login: {}",
        login.body
    );
    let second = Session::from_json(&login.body);
    assert_eq!(second.user_id, session.user_id);
    assert_ne!(second.session_id, session.session_id);
}

#[tokio::test]
async fn usernames_are_unique_ignoring_case() {
    let app = spawn_app().await;
    app.register("bob").await;
    let reply = app
        .post(
            "/api/v1/auth/register",
            json!({ "username": "BOB", "password": PASSWORD }),
        )
        .await;
    assert_eq!((reply.status, reply.code()), (409, "username_taken"));
}

#[tokio::test]
async fn password_policy_is_enforced() {
    let app = spawn_app().await;
    for password in ["short", "password", "12345678", "x".repeat(129).as_str()] {
        let reply = app
            .post(
                "/api/v1/auth/register",
                json!({ "username": "carol", "password": password }),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "weak_password"),
            "{password}"
        );
    }
    // 64 characters are allowed and used in full (no truncation).
    let long = "a-long-passphrase-".repeat(4);
    let reply = app
        .post(
            "/api/v1/auth/register",
            json!({ "username": "carol", "password": long }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let truncated = &long[..long.len() - 1];
    assert_eq!(app.login("carol", truncated).await.status, 401);
    assert_eq!(app.login("carol", &long).await.status, 200);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("dave").await;
    let wrong = app.login("dave", "not the password").await;
    let unknown = app.login("nobody-here", "not the password").await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    assert_eq!(
        (unknown.status, unknown.code()),
        (401, "invalid_credentials")
    );
    assert_eq!(wrong.body["message"], unknown.body["message"]);
}

#[tokio::test]
async fn refresh_rotates_the_token_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let session = app.register("erin").await;

    let first = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let rotated = Session::from_json(&first.body);
    assert_eq!(rotated.session_id, session.session_id);
    assert_ne!(rotated.refresh_token, session.refresh_token);
    assert_eq!(
        app.get("/api/v1/users/@me", &rotated.access_token)
            .await
            .status,
        200
    );

    let second = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": rotated.refresh_token }),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let session = app.register("frank").await;
    let r1 = Session::from_json(
        &app.post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await
        .body,
    );
    let r2 = Session::from_json(
        &app.post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": r1.refresh_token }),
        )
        .await
        .body,
    );

    // The first token comes back after its successor was used: a stolen copy.
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await;
    assert_eq!(
        (reuse.status, reuse.code()),
        (401, "refresh_token_reused"),
        "{}",
        reuse.body
    );

    // The whole family is gone: the newest refresh token and the access tokens.
    let newest = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": r2.refresh_token }),
        )
        .await;
    assert_eq!(
        (newest.status, newest.code()),
        (401, "invalid_refresh_token")
    );
    let gateway_knows = eventually(Duration::from_secs(2), || async {
        app.get("/api/v1/users/@me", &r2.access_token).await.status == 401
    })
    .await;
    assert!(
        gateway_knows,
        "the revoked session's access token still works"
    );
}

#[tokio::test]
async fn a_lost_refresh_response_can_be_retried_once() {
    let app = spawn_app().await;
    let session = app.register("grace").await;
    let lost = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await;
    assert_eq!(lost.status, 200);

    // The client never saw `lost` and retries with the same token.
    let retry = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await;
    assert_eq!(
        retry.status, 200,
        "the retry of a lost response: {}",
        retry.body
    );
    let retried = Session::from_json(&retry.body);
    let next = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": retried.refresh_token }),
        )
        .await;
    assert_eq!(next.status, 200, "{}", next.body);

    // Only once: a third presentation is reuse.
    let third = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await;
    assert_eq!((third.status, third.code()), (401, "refresh_token_reused"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let session = app.register("heidi").await;
    let reply = app
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&session.access_token),
            None,
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": session.refresh_token }),
        )
        .await;
    assert_eq!(
        (refresh.status, refresh.code()),
        (401, "invalid_refresh_token")
    );
    let me = app.get("/api/v1/users/@me", &session.access_token).await;
    assert_eq!((me.status, me.code()), (401, "session_revoked"));
}

#[tokio::test]
async fn profile_update_reaches_the_users_websockets() {
    let app = spawn_app().await;
    let session = app.register("ivan").await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;

    let reply = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/users/@me",
            Some(&session.access_token),
            Some(json!({ "display_name": "Ivan the Tester" })),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["display_name"], "Ivan the Tester");

    let event = ws.next_json().await;
    assert_eq!(event["op"], "event");
    assert_eq!(event["t"], "user_updated");
    assert_eq!(event["d"]["user"]["display_name"], "Ivan the Tester");
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let first = app.register("judy").await;
    let second = Session::from_json(&app.login("judy", PASSWORD).await.body);

    let wrong = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/users/@me/password",
            Some(&first.access_token),
            Some(json!({ "current_password": "nope nope nope", "new_password": "another good passphrase" })),
        )
        .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));

    let changed = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/users/@me/password",
            Some(&first.access_token),
            Some(
                json!({ "current_password": PASSWORD, "new_password": "another good passphrase" }),
            ),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.body);

    assert_eq!(
        app.get("/api/v1/users/@me", &first.access_token)
            .await
            .status,
        200
    );
    let other = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": second.refresh_token }),
        )
        .await;
    assert_eq!(other.status, 401);
    assert_eq!(app.login("judy", PASSWORD).await.status, 401);
    assert_eq!(
        app.login("judy", "another good passphrase").await.status,
        200
    );
}
