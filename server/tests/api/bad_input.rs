//! Bad input gets a clean 4xx (or WebSocket close code) with a stable error code, never a panic.

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chatalot_shared::contracts::auth::AccessClaims;
use futures::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{
    Message,
    protocol::frame::{
        Frame,
        coding::{Data, OpCode},
    },
};

async fn raw_post(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let response = app
        .http
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
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

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_rejected_with_stable_codes() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            400,
            "invalid_json",
        ),
        ("application/json", b"".to_vec(), 400, "invalid_json"),
        (
            "application/json",
            br#"{"username":"a","password":"b","admin":true}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"username":5,"password":"b"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"password":"only"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        // serde would fill a struct from an array of its fields; only objects are accepted.
        (
            "application/json",
            br#"["someone","a long passphrase"]"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "text/plain",
            br#"{"username":"a","password":"b"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "application/json",
            vec![b' '; 2 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let reply = raw_post(&app, "/api/v1/auth/register", content_type, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{}",
            reply.body
        );
    }
    let users: i64 = sqlx::query_scalar("select count(*) from auth.users")
        .fetch_one(
            &sqlx::PgPool::connect(app.env.config.database.url.expose())
                .await
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing half-written");
}

#[tokio::test]
async fn unknown_routes_methods_and_bad_ids_are_json_errors() {
    let app = spawn_app().await;
    let session = app.register("olga").await;
    let missing = app
        .get("/api/v1/no-such-thing", &session.access_token)
        .await;
    assert_eq!((missing.status, missing.code()), (404, "route_not_found"));
    let method = app.get("/api/v1/auth/login", &session.access_token).await;
    assert_eq!((method.status, method.code()), (405, "method_not_allowed"));
    let bad_id = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/sessions/not-a-uuid",
            Some(&session.access_token),
            None,
        )
        .await;
    assert_eq!((bad_id.status, bad_id.code()), (400, "invalid_request"));
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = spawn_app().await;
    let session = app.register("paul").await;
    let now = chrono::Utc::now().timestamp();
    let claims = expired_claims(&session);
    let expired = sign_access_token(&app, &claims);
    let wrong_audience = sign_access_token(
        &app,
        &AccessClaims {
            aud: "elsewhere".into(),
            exp: now + 600,
            ..claims.clone()
        },
    );

    let tampered = tampered_token(&session);

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&AccessClaims {
            exp: now + 600,
            ..claims.clone()
        })
        .unwrap(),
    );
    let alg_none = format!("{header}.{payload}.");

    for (token, code) in [
        (expired.as_str(), "token_expired"),
        (wrong_audience.as_str(), "invalid_token"),
        (tampered.as_str(), "invalid_token"),
        (alg_none.as_str(), "invalid_token"),
        ("garbage", "invalid_token"),
    ] {
        let reply = app.get("/api/v1/users/@me", token).await;
        assert_eq!((reply.status, reply.code()), (401, code), "{token}");
    }
    let none = app
        .send(reqwest::Method::GET, "/api/v1/users/@me", None, None)
        .await;
    assert_eq!((none.status, none.code()), (401, "missing_token"));

    // The same rules on the WebSocket.
    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    ws.next_json().await;
    ws.send_json(json!({ "op": "identify", "d": { "token": alg_none } }))
        .await;
    let error = ws.next_json().await;
    assert_eq!(
        (error["op"].as_str(), error["d"]["code"].as_str()),
        (Some("error"), Some("invalid_token"))
    );
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(4004));
}

#[tokio::test]
async fn oversized_websocket_messages_close_with_1009() {
    let app = spawn_app().await;
    let session = app.register("quinn").await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    let big = format!(
        "{{\"op\":\"heartbeat\",\"pad\":\"{}\"}}",
        "x".repeat(100 * 1024)
    );
    ws.stream.send(Message::Text(big.into())).await.unwrap();
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(1009));
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let app = spawn_app().await;
    let session = app.register("rita").await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    let frame = Frame::message(vec![0xff, 0xfe, 0xfd], OpCode::Data(Data::Text), true);
    ws.stream.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(1007));
}

#[tokio::test]
async fn commands_before_identify_and_unknown_commands_close_the_socket() {
    let app = spawn_app().await;
    let session = app.register("sam").await;

    let mut early = WsClient::connect(&app.gateway.ws_url()).await;
    early.next_json().await;
    early.send_json(json!({ "op": "heartbeat" })).await;
    assert_eq!(
        early.ended(Duration::from_secs(2)).await,
        Ended::Closed(4003)
    );

    let mut unknown = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    unknown.send_json(json!({ "op": "launch_missiles" })).await;
    assert_eq!(
        unknown.ended(Duration::from_secs(2)).await,
        Ended::Closed(4002)
    );

    let mut not_json = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    not_json
        .stream
        .send(Message::Text("{{{".into()))
        .await
        .unwrap();
    assert_eq!(
        not_json.ended(Duration::from_secs(2)).await,
        Ended::Closed(4002)
    );

    // The gateway keeps serving.
    assert_eq!(
        app.get("/api/v1/users/@me", &session.access_token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_flood_of_frames_is_rate_limited_then_closed_while_others_are_served() {
    let app = spawn_app_with(|config| {
        config.gateway.ws_frames_per_sec = 1;
        config.gateway.ws_frame_burst = 5;
    })
    .await;
    let flooder = app.register("flooder").await;
    let calm = app.register("calm").await;
    let url = app.gateway.ws_url();
    let mut bystander = WsClient::identified(&url, &calm.access_token).await;
    let mut ws = WsClient::identified(&url, &flooder.access_token).await;

    // The burst is answered; the next heartbeats get a rate_limited error each.
    for _ in 0..8 {
        ws.send_json(json!({ "op": "heartbeat" })).await;
    }
    let mut acks = 0;
    let mut refusals = Vec::new();
    while acks + refusals.len() < 8 {
        let frame = ws.next_frame().await;
        match frame["op"].as_str() {
            Some("heartbeat_ack") => acks += 1,
            Some("error") => refusals.push(frame["d"].clone()),
            _ => {}
        }
    }
    assert_eq!(acks, 5);
    assert_eq!(refusals.len(), 3);
    assert_eq!(refusals[0]["code"], "rate_limited", "{}", refusals[0]);
    assert_eq!(refusals[0]["rate_limit"]["limit"], 5);

    // Going on regardless ends the connection with 4010.
    for _ in 0..10 {
        if ws
            .stream
            .send(Message::Text(r#"{"op":"heartbeat"}"#.into()))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(4010));

    bystander.send_json(json!({ "op": "heartbeat" })).await;
    while bystander.next_frame().await["op"] != "heartbeat_ack" {}
}
