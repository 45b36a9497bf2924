//! Several gateways and service replicas, a replica stopping, and NATS going away and back.

use crate::{helpers::*, private_services::PrivateNats};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn sessions_work_across_gateways_and_survive_a_replica_stopping() {
    let env = TestEnv::new().await;
    let auth_a = env.start_auth().await;
    let _auth_b = env.start_auth().await;
    let gateway_a = env.start_gateway().await;
    let gateway_b = env.start_gateway().await;
    let http = http_client();

    let body = json!({ "username": "multi", "password": PASSWORD });
    let created = send(
        &http,
        reqwest::Method::POST,
        &gateway_a.url("/api/v1/auth/register"),
        None,
        Some(body),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let session = Session::from_json(&created.body);
    let me = send(
        &http,
        reqwest::Method::GET,
        &gateway_b.url("/api/v1/users/@me"),
        Some(&session.access_token),
        None,
    )
    .await;
    assert_eq!(
        me.status, 200,
        "a session from gateway A works on gateway B: {}",
        me.body
    );

    auth_a.stop().await;
    for i in 0..10 {
        let gateway = if i % 2 == 0 { &gateway_a } else { &gateway_b };
        let reply = send(
            &http,
            reqwest::Method::GET,
            &gateway.url("/api/v1/sessions"),
            Some(&session.access_token),
            None,
        )
        .await;
        assert_eq!(
            reply.status, 200,
            "request {i} after a replica stopped: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn without_nats_the_gateway_answers_503_in_time_and_recovers_by_itself() {
    let mut nats = PrivateNats::start(free_local_port());
    let mut env = TestEnv::new().await;
    env.config.nats.url = format!("nats://127.0.0.1:{}", nats.port);
    env.config.nats.request_timeout_ms = 1_000;
    let _auth = env.start_auth().await;
    let gateway = env.start_gateway().await;
    let http = http_client();
    let register = json!({ "username": "outage", "password": PASSWORD });
    let created = send(
        &http,
        reqwest::Method::POST,
        &gateway.url("/api/v1/auth/register"),
        None,
        Some(register),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let session = Session::from_json(&created.body);

    nats.kill();
    let started = Instant::now();
    let down = send(
        &http,
        reqwest::Method::GET,
        &gateway.url("/api/v1/sessions"),
        Some(&session.access_token),
        None,
    )
    .await;
    assert_eq!(
        (down.status, down.code()),
        (503, "service_unavailable"),
        "{}",
        down.body
    );
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "answered after {:?}",
        started.elapsed()
    );

    let port = nats.port;
    let _nats = PrivateNats::start(port);
    let recovered = eventually(Duration::from_secs(20), || async {
        send(
            &http,
            reqwest::Method::GET,
            &gateway.url("/api/v1/sessions"),
            Some(&session.access_token),
            None,
        )
        .await
        .status
            == 200
    })
    .await;
    assert!(
        recovered,
        "requests did not succeed again after NATS came back"
    );
}

#[tokio::test]
async fn a_missing_service_is_503_not_a_hang() {
    let env = TestEnv::new().await;
    let gateway = env.start_gateway().await;
    let started = Instant::now();
    let reply = send(
        &http_client(),
        reqwest::Method::POST,
        &gateway.url("/api/v1/auth/login"),
        None,
        Some(json!({ "username": "x", "password": "yyyyyyyy" })),
    )
    .await;
    assert_eq!((reply.status, reply.code()), (503, "service_unavailable"));
    assert!(started.elapsed() < Duration::from_secs(4));
}
