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
    // Built, but the process has not said it finished starting: not ready yet.
    let starting = send(
        &http,
        reqwest::Method::GET,
        &format!("http://{admin}/readyz"),
        None,
        None,
    )
    .await;
    assert_eq!(starting.status, 503);
    readiness.mark_started();
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
    readiness.mark_started();
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
        ("/api/v1/communities", "post"),
        ("/api/v1/communities/discover", "get"),
        ("/api/v1/users/@me/communities", "get"),
        ("/api/v1/communities/{community_id}", "get"),
        ("/api/v1/communities/{community_id}", "patch"),
        ("/api/v1/communities/{community_id}", "delete"),
        ("/api/v1/communities/{community_id}/transfer", "post"),
        ("/api/v1/communities/{community_id}/view", "get"),
        ("/api/v1/communities/{community_id}/groups", "post"),
        ("/api/v1/communities/{community_id}/groups/order", "put"),
        (
            "/api/v1/communities/{community_id}/groups/{group_id}",
            "patch",
        ),
        (
            "/api/v1/communities/{community_id}/groups/{group_id}",
            "delete",
        ),
        ("/api/v1/communities/{community_id}/channels", "post"),
        (
            "/api/v1/communities/{community_id}/channels/{channel_id}",
            "patch",
        ),
        (
            "/api/v1/communities/{community_id}/channels/{channel_id}",
            "delete",
        ),
        ("/api/v1/communities/{community_id}/roles", "get"),
        ("/api/v1/communities/{community_id}/roles", "post"),
        (
            "/api/v1/communities/{community_id}/roles/{role_id}",
            "patch",
        ),
        (
            "/api/v1/communities/{community_id}/roles/{role_id}",
            "delete",
        ),
        (
            "/api/v1/communities/{community_id}/groups/{group_id}/overwrites",
            "get",
        ),
        (
            "/api/v1/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}",
            "put",
        ),
        (
            "/api/v1/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}",
            "delete",
        ),
        (
            "/api/v1/communities/{community_id}/channels/{channel_id}/overwrites",
            "get",
        ),
        (
            "/api/v1/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}",
            "put",
        ),
        (
            "/api/v1/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}",
            "delete",
        ),
        ("/api/v1/communities/{community_id}/join", "post"),
        ("/api/v1/communities/{community_id}/leave", "post"),
        ("/api/v1/communities/{community_id}/members", "get"),
        (
            "/api/v1/communities/{community_id}/members/{user_id}",
            "get",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}",
            "patch",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}/roles/{role_id}",
            "put",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}/roles/{role_id}",
            "delete",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}/kick",
            "post",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}/timeout",
            "put",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}/warnings",
            "post",
        ),
        (
            "/api/v1/communities/{community_id}/members/{user_id}/warnings",
            "get",
        ),
        ("/api/v1/communities/{community_id}/bans", "get"),
        ("/api/v1/communities/{community_id}/bans/{user_id}", "put"),
        (
            "/api/v1/communities/{community_id}/bans/{user_id}",
            "delete",
        ),
        ("/api/v1/communities/{community_id}/audit-log", "get"),
        ("/api/v1/communities/{community_id}/invites", "post"),
        ("/api/v1/communities/{community_id}/invites", "get"),
        (
            "/api/v1/communities/{community_id}/invites/{code}",
            "delete",
        ),
        ("/api/v1/invites/{code}", "get"),
        ("/api/v1/invites/{code}/accept", "post"),
        ("/api/v1/channels/{channel_id}/messages", "post"),
        ("/api/v1/channels/{channel_id}/messages", "get"),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}",
            "patch",
        ),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}",
            "delete",
        ),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}/edits",
            "get",
        ),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}/forward",
            "post",
        ),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            "put",
        ),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            "delete",
        ),
        (
            "/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            "get",
        ),
        (
            "/api/v1/channels/{channel_id}/threads/{root_id}/messages",
            "get",
        ),
        ("/api/v1/channels/{channel_id}/pins", "get"),
        ("/api/v1/channels/{channel_id}/pins/{message_id}", "put"),
        ("/api/v1/channels/{channel_id}/pins/{message_id}", "delete"),
        ("/api/v1/channels/{channel_id}/read", "put"),
        ("/api/v1/channels/{channel_id}/read", "get"),
        ("/api/v1/communities/{community_id}/read", "post"),
        ("/api/v1/channels/{channel_id}/typing", "post"),
        ("/api/v1/search/messages", "get"),
        ("/api/v1/conversations", "post"),
        ("/api/v1/conversations", "get"),
        ("/api/v1/conversations/{conversation_id}", "get"),
        ("/api/v1/conversations/{conversation_id}", "patch"),
        ("/api/v1/conversations/{conversation_id}/members", "post"),
        (
            "/api/v1/conversations/{conversation_id}/members/@me",
            "delete",
        ),
        ("/api/v1/conversations/{conversation_id}/messages", "post"),
        ("/api/v1/conversations/{conversation_id}/messages", "get"),
        ("/api/v1/conversations/{conversation_id}/read", "put"),
        ("/api/v1/conversations/{conversation_id}/receipts", "get"),
        ("/api/v1/users/@me/settings/read-receipts", "get"),
        ("/api/v1/users/@me/settings/read-receipts", "put"),
        ("/api/v1/users/@me/blocks", "get"),
        ("/api/v1/users/@me/blocks/{user_id}", "put"),
        ("/api/v1/users/@me/blocks/{user_id}", "delete"),
        ("/api/v1/attachments", "post"),
        ("/api/v1/attachments/{attachment_id}", "get"),
        ("/api/v1/attachments/{attachment_id}/meta", "get"),
        ("/api/v1/devices", "post"),
        ("/api/v1/devices/{device_id}", "delete"),
        ("/api/v1/devices/{device_id}/signed-prekey", "put"),
        ("/api/v1/devices/{device_id}/one-time-prekeys", "post"),
        ("/api/v1/devices/{device_id}/one-time-prekeys/count", "get"),
        ("/api/v1/devices/{device_id}/bundle", "get"),
        ("/api/v1/users/{user_id}/devices", "get"),
        ("/api/v1/users/@me/presence", "get"),
        ("/api/v1/users/@me/presence", "put"),
        ("/api/v1/channels/{channel_id}/call", "get"),
        (
            "/api/v1/channels/{channel_id}/call/participants/{user_id}",
            "delete",
        ),
        ("/api/v1/conversations/{conversation_id}/call", "get"),
        ("/api/v1/calls/ice-servers", "get"),
        ("/api/v1/push/vapid-public-key", "get"),
        ("/api/v1/push/subscriptions", "post"),
        ("/api/v1/push/subscriptions", "get"),
        ("/api/v1/push/subscriptions", "delete"),
        ("/api/v1/users/@me/notification-levels", "get"),
        ("/api/v1/channels/{channel_id}/notification-level", "put"),
        ("/api/v1/channels/{channel_id}/notification-level", "delete"),
        (
            "/api/v1/conversations/{conversation_id}/notification-level",
            "put",
        ),
        (
            "/api/v1/conversations/{conversation_id}/notification-level",
            "delete",
        ),
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
    // Each operation has a unique id (client generators name functions after it), a success
    // answer and the error schema for 503; every one that can refuse its input or caller (all
    // but the public instance settings) the error schema for 4XX; a body where it takes one.
    let mut operation_ids = std::collections::HashSet::new();
    for (path, method) in expected {
        let operation = &paths[path][method];
        let id = operation["operationId"].as_str().unwrap();
        assert!(
            operation_ids.insert(id),
            "{method} {path}: operationId {id} is not unique"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{method} {path}: no success response"
        );
        let statuses: &[&str] = if (path, method) == ("/api/v1/instance", "get") {
            &["503"]
        } else {
            &["4XX", "503"]
        };
        for &status in statuses {
            assert_eq!(
                responses
                    .get(status)
                    .map(|r| &r["content"]["application/json"]["schema"]["$ref"]),
                Some(&serde_json::json!("#/components/schemas/ApiError")),
                "{method} {path}: {status} without the error schema"
            );
        }
        if path.starts_with("/api/v1/communities") && matches!(method, "post" | "put" | "patch") {
            let bodiless = path.ends_with("/join")
                || path.ends_with("/leave")
                || path.ends_with("/read")
                || path.contains("/roles/{role_id}") && path.contains("/members/");
            assert_eq!(
                operation.get("requestBody").is_some(),
                !bodiless,
                "{method} {path}: request body documented wrongly"
            );
        }
        // Uploads take the raw file, not JSON.
        if (path, method) == ("/api/v1/attachments", "post") {
            let content = &operation["requestBody"]["content"];
            assert_eq!(
                content["application/octet-stream"]["schema"]["format"], "binary",
                "{method} {path}: the file body is not documented as binary"
            );
            assert!(content.get("application/json").is_none());
        }
    }
    // Every schema reference resolves.
    fn refs<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&reply.body, &mut found);
    let schemas = reply.body["components"]["schemas"].as_object().unwrap();
    for target in found {
        let name = target.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "dangling reference {target}");
    }
    // Every route the router serves answers something other than route_not_found.
    for (path, method) in expected {
        let path = path
            .replace("{session_id}", &uuid::Uuid::nil().to_string())
            .replace("{user_id}", &uuid::Uuid::nil().to_string())
            .replace("{code}", "x")
            .replace("{message_id}", &uuid::Uuid::nil().to_string())
            .replace("{root_id}", &uuid::Uuid::nil().to_string())
            .replace("{emoji}", "%F0%9F%91%8D")
            .replace("{attachment_id}", &uuid::Uuid::nil().to_string())
            .replace("{conversation_id}", &uuid::Uuid::nil().to_string())
            .replace("{community_id}", &uuid::Uuid::nil().to_string())
            .replace("{group_id}", &uuid::Uuid::nil().to_string())
            .replace("{channel_id}", &uuid::Uuid::nil().to_string())
            .replace("{role_id}", &uuid::Uuid::nil().to_string())
            .replace("{subject_kind}", "role")
            .replace("{subject_id}", &uuid::Uuid::nil().to_string());
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
