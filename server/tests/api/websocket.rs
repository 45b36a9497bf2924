//! The WebSocket protocol: hello, identify, ready, heartbeats and their timeout.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn hello_identify_ready_and_heartbeats() {
    let app = spawn_app().await;
    let session = app.register("wendy").await;
    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    let hello = ws.next_json().await;
    assert_eq!(hello["op"], "hello");
    assert_eq!(hello["d"]["heartbeat_interval_ms"], 30_000);
    ws.send_json(json!({ "op": "identify", "d": { "token": session.access_token } }))
        .await;
    let ready = ws.next_json().await;
    assert_eq!(ready["op"], "ready");
    assert_eq!(ready["d"]["user_id"], session.user_id.to_string());
    assert_eq!(ready["d"]["session_id"], session.session_id.to_string());
    for _ in 0..3 {
        ws.send_json(json!({ "op": "heartbeat" })).await;
        assert_eq!(ws.next_json().await["op"], "heartbeat_ack");
    }
}

#[tokio::test]
async fn silent_clients_are_dropped_after_the_heartbeat_timeout() {
    let app = spawn_app_with(|config| {
        config.gateway.heartbeat_interval_ms = 300;
        config.gateway.heartbeat_timeout_ms = 800;
        config.gateway.identify_timeout_ms = 800;
    })
    .await;
    let session = app.register("xena").await;

    let mut silent = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    assert_eq!(
        silent.ended(Duration::from_secs(3)).await,
        Ended::Closed(4006)
    );

    let mut never_identified = WsClient::connect(&app.gateway.ws_url()).await;
    never_identified.next_json().await;
    assert_eq!(
        never_identified.ended(Duration::from_secs(3)).await,
        Ended::Closed(4003)
    );

    // A client that keeps sending heartbeats stays.
    let mut alive = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        alive.send_json(json!({ "op": "heartbeat" })).await;
        assert_eq!(alive.next_json().await["op"], "heartbeat_ack");
    }
}

#[tokio::test]
async fn events_reach_every_connection_of_the_user_on_every_gateway() {
    let app = spawn_app().await;
    let other = app.env.start_gateway().await;
    let session = app.register("yara").await;
    let bystander = app.register("zoe").await;
    let mut here = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
    let mut there = WsClient::identified(&other.ws_url(), &session.access_token).await;
    let mut someone_else = WsClient::identified(&other.ws_url(), &bystander.access_token).await;

    let reply = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/users/@me",
            Some(&session.access_token),
            Some(json!({ "display_name": "Yara" })),
        )
        .await;
    assert_eq!(reply.status, 200);
    for ws in [&mut here, &mut there] {
        let event = ws.next_json().await;
        assert_eq!(
            (
                event["t"].as_str(),
                event["d"]["user"]["display_name"].as_str()
            ),
            (Some("user_updated"), Some("Yara"))
        );
    }
    // Nobody else receives it: the bystander's next frame is its own heartbeat ack.
    someone_else.send_json(json!({ "op": "heartbeat" })).await;
    assert_eq!(someone_else.next_json().await["op"], "heartbeat_ack");
}

#[tokio::test]
async fn a_draining_gateway_tells_clients_to_reconnect_elsewhere() {
    let app = spawn_app().await;
    let session = app.register("amir").await;
    let draining = app.env.start_gateway().await;
    let mut ws = WsClient::identified(&draining.ws_url(), &session.access_token).await;
    let stopped = tokio::spawn(draining.running.stop());
    assert_eq!(ws.ended(Duration::from_secs(3)).await, Ended::Closed(4009));
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .unwrap()
        .unwrap();
    // The client reconnects to the remaining gateway with the same token.
    WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_disconnected_not_buffered() {
    let app = spawn_app_with(|config| config.gateway.ws_outgoing_queue = 8).await;
    let session = app.register("slowpoke").await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;

    // Flood the user's event subject faster than anyone could read, while the client reads
    // nothing; socket buffers fill, then the bounded queue, then the gateway gives up on it.
    let nats = async_nats::connect(&app.env.config.nats.url).await.unwrap();
    let subject = format!(
        "{}.evt.user.{}.flood",
        app.env.config.nats.namespace, session.user_id
    );
    let frame = format!(
        "{{\"op\":\"event\",\"t\":\"flood\",\"d\":\"{}\"}}",
        "x".repeat(16 * 1024)
    );
    for _ in 0..2_000 {
        nats.publish(subject.clone(), frame.clone().into())
            .await
            .unwrap();
    }
    nats.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut received = 0;
    let ended = loop {
        match tokio::time::timeout(
            Duration::from_secs(5),
            futures::StreamExt::next(&mut ws.stream),
        )
        .await
        {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_)))) => received += 1,
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame)))) => {
                break frame.map(|f| u16::from(f.code));
            }
            Ok(Some(Ok(_))) => {}
            Ok(None) | Ok(Some(Err(_))) => break None,
            Err(_) => panic!("still open after {received} frames"),
        }
    };
    assert_eq!(ended, Some(4008), "after {received} frames");
    assert!(
        received < 2_000,
        "the client was not cut off: {received} frames"
    );
}

#[tokio::test]
async fn open_connections_are_counted_for_autoscaling() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let _ws = WsClient::identified(&app.gateway.ws_url(), &alice.access_token).await;
    // The gauge is process-wide (other tests' gateways count too): at least this connection.
    let metrics = chatalot_shared::telemetry::render_metrics();
    let open: f64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("chatalot_gateway_websocket_connections "))
        .and_then(|value| value.trim().parse().ok())
        .expect("the gauge is exported");
    assert!(open >= 1.0, "{open}");
}
