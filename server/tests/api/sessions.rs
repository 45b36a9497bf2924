//! Sessions: listing, revoking (closing live WebSockets on every gateway), logging out everywhere.

use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn sessions_are_listed_with_device_and_client_details() {
    let app = spawn_app().await;
    let first = app.register("kate").await;
    let login = app
        .post(
            "/api/v1/auth/login",
            json!({ "username": "kate", "password": PASSWORD, "device_name": "laptop" }),
        )
        .await;
    assert_eq!(login.status, 200);

    let list = app.get("/api/v1/sessions", &first.access_token).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let sessions = list.body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let laptop = sessions
        .iter()
        .find(|s| s["device_name"] == "laptop")
        .unwrap();
    assert_eq!(laptop["current"], false);
    assert_eq!(laptop["ip"], "127.0.0.1");
    assert_eq!(laptop["user_agent"], "chatalot-tests/1");
    let current = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["session_id"], first.session_id.to_string());
}

#[tokio::test]
async fn revoking_a_session_closes_its_websocket_on_another_gateway_within_a_second() {
    let app = spawn_app().await;
    let other_gateway = app.env.start_gateway().await;
    let phone = app.register("leo").await;
    let laptop = Session::from_json(&app.login("leo", PASSWORD).await.body);

    let mut laptop_ws = WsClient::identified(&other_gateway.ws_url(), &laptop.access_token).await;
    let mut phone_ws = WsClient::identified(&other_gateway.ws_url(), &phone.access_token).await;

    let started = Instant::now();
    let revoke = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/sessions/{}", laptop.session_id),
            Some(&phone.access_token),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.body);
    assert_eq!(
        laptop_ws.ended(Duration::from_secs(1)).await,
        Ended::Closed(4005)
    );
    assert!(started.elapsed() < Duration::from_millis(1500));

    // The other session is untouched; the revoked token is refused by both gateways.
    phone_ws.send_json(json!({ "op": "heartbeat" })).await;
    assert_eq!(phone_ws.next_json().await["op"], "heartbeat_ack");
    let via_other = send(
        &app.http,
        reqwest::Method::GET,
        &other_gateway.url("/api/v1/users/@me"),
        Some(&laptop.access_token),
        None,
    )
    .await;
    assert_eq!(
        (via_other.status, via_other.code()),
        (401, "session_revoked")
    );
    assert_eq!(
        app.get("/api/v1/users/@me", &laptop.access_token)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn another_users_session_cannot_be_revoked() {
    let app = spawn_app().await;
    let mallory = app.register("mallory").await;
    let victim = app.register("victim").await;
    let reply = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/sessions/{}", victim.session_id),
            Some(&mallory.access_token),
            None,
        )
        .await;
    assert_eq!((reply.status, reply.code()), (404, "not_found"));
    assert_eq!(
        app.get("/api/v1/users/@me", &victim.access_token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn logout_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let first = app.register("nina").await;
    let second = Session::from_json(&app.login("nina", PASSWORD).await.body);
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &second.access_token).await;
    let reply = app
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/logout-all",
            Some(&first.access_token),
            None,
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_eq!(ws.ended(Duration::from_secs(1)).await, Ended::Closed(4005));
    for session in [&first, &second] {
        let refresh = app
            .post(
                "/api/v1/auth/refresh",
                json!({ "refresh_token": session.refresh_token }),
            )
            .await;
        assert_eq!(refresh.status, 401);
    }
}
