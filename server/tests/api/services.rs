//! Every service starts, connects, answers health checks, registers with NATS service discovery
//! and shuts down cleanly; the OpenAPI document covers every REST route.

use crate::helpers::*;
use chatalot_shared::process::{Readiness, serve_admin};
use std::{net::SocketAddr, time::Duration};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn skeleton_services_start_report_ready_and_stop_cleanly() {
    let env = TestEnv::new().await;
    let readiness = Readiness::default();
    let shutdown = CancellationToken::new();
    let admin = serve_admin(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        readiness.clone(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let config = &env.config;
    let community = chatalot_community::CommunityService::build(config, &readiness)
        .await
        .unwrap();
    let message = chatalot_message::MessageService::build(config, &readiness)
        .await
        .unwrap();
    let keys = chatalot_keys::KeysService::build(config, &readiness)
        .await
        .unwrap();
    let signal = chatalot_signal::SignalService::build(config, &readiness)
        .await
        .unwrap();
    let tasks = vec![
        tokio::spawn(community.run_until_stopped(shutdown.clone())),
        tokio::spawn(message.run_until_stopped(shutdown.clone())),
        tokio::spawn(keys.run_until_stopped(shutdown.clone())),
        tokio::spawn(signal.run_until_stopped(shutdown.clone())),
    ];

    let http = http_client();
    let ready = send(
        &http,
        reqwest::Method::GET,
        &format!("http://{admin}/readyz"),
        None,
        None,
    )
    .await;
    assert_eq!(ready.status, 200);
    let health = send(
        &http,
        reqwest::Method::GET,
        &format!("http://{admin}/healthz"),
        None,
        None,
    )
    .await;
    assert_eq!(health.status, 200);

    // Each service answers NATS service discovery.
    let nats = async_nats::connect(&env.config.nats.url).await.unwrap();
    for name in ["community", "message", "keys", "signal"] {
        let found = eventually(Duration::from_secs(3), || {
            let nats = nats.clone();
            async move {
                let reply = nats
                    .request(format!("$SRV.PING.chatalot-{name}"), "".into())
                    .await;
                reply.is_ok_and(|m| {
                    String::from_utf8_lossy(&m.payload).contains(&format!("chatalot-{name}"))
                })
            }
        })
        .await;
        assert!(found, "chatalot-{name} does not answer $SRV.PING");
    }

    let metrics = send(
        &http,
        reqwest::Method::GET,
        &format!("http://{admin}/metrics"),
        None,
        None,
    )
    .await;
    assert_eq!(metrics.status, 200);

    assert!(
        tasks.iter().all(|task| !task.is_finished()),
        "a service stopped before shutdown"
    );
    shutdown.cancel();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("stopped in time")
            .unwrap()
            .expect("stopped cleanly");
    }
}

#[tokio::test]
async fn readiness_fails_while_a_dependency_is_missing() {
    let readiness = Readiness::default();
    readiness.add("always-down", || async { false });
    let shutdown = CancellationToken::new();
    let admin = serve_admin(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        readiness,
        shutdown.clone(),
    )
    .await
    .unwrap();
    let reply = send(
        &http_client(),
        reqwest::Method::GET,
        &format!("http://{admin}/readyz"),
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, 503);
    shutdown.cancel();
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_covers_every_route() {
    let app = spawn_app().await;
    let reply = app
        .send(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.body["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        reply.body["openapi"]
    );
    let paths = reply.body["paths"].as_object().unwrap();
    let expected = [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/logout-all", "post"),
        ("/api/v1/sessions", "get"),
        ("/api/v1/sessions/{session_id}", "delete"),
        ("/api/v1/users/@me", "get"),
        ("/api/v1/users/@me", "patch"),
        ("/api/v1/users/@me/password", "put"),
        ("/api/v1/instance", "get"),
        ("/api/v1/instance", "patch"),
        ("/api/v1/instance/invites", "post"),
        ("/api/v1/instance/invites", "get"),
        ("/api/v1/instance/invites/{code}", "delete"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users/{user_id}/disabled", "put"),
        ("/api/v1/admin/users/{user_id}/role", "put"),
        ("/api/v1/admin/audit-log", "get"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        operations,
        expected.len(),
        "an operation is documented but not expected here"
    );
    // Every route the router serves answers something other than route_not_found.
    for (path, method) in expected {
        let path = path
            .replace("{session_id}", &uuid::Uuid::nil().to_string())
            .replace("{user_id}", &uuid::Uuid::nil().to_string())
            .replace("{code}", "x");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let reply = app.send(method.clone(), &path, None, None).await;
        assert_ne!(
            reply.code(),
            "route_not_found",
            "{method} {path} is documented but not routed"
        );
        assert_ne!(
            reply.code(),
            "method_not_allowed",
            "{method} {path} is documented but not routed"
        );
    }
}
