//! Login throttling, kept in Redis so it holds across gateways.

use crate::helpers::*;

#[tokio::test]
async fn login_attempts_per_ip_are_limited_across_gateways() {
    let app = spawn_app_with(|config| config.auth.login_ip_limit = 4).await;
    let second = app.env.start_gateway().await;
    app.register("tina").await;

    for attempt in 0..4 {
        let url = if attempt % 2 == 0 {
            app.url("/api/v1/auth/login")
        } else {
            second.url("/api/v1/auth/login")
        };
        let body = serde_json::json!({ "username": "tina", "password": "wrong password" });
        let reply = send(&app.http, reqwest::Method::POST, &url, None, Some(body)).await;
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.body);
    }
    let limited = send(
        &app.http,
        reqwest::Method::POST,
        &second.url("/api/v1/auth/login"),
        None,
        Some(serde_json::json!({ "username": "tina", "password": PASSWORD })),
    )
    .await;
    assert_eq!(
        (limited.status, limited.code()),
        (429, "rate_limited"),
        "{}",
        limited.body
    );
    let header = |name: &str| {
        limited
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after: u64 = header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(header("x-ratelimit-limit").as_deref(), Some("4"));
    assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert!(header("x-ratelimit-reset").is_some());
}

#[tokio::test]
async fn failed_logins_per_account_are_limited() {
    let app = spawn_app_with(|config| config.auth.login_account_limit = 3).await;
    app.register("uma").await;
    for _ in 0..3 {
        assert_eq!(app.login("uma", "wrong password").await.status, 401);
    }
    // Even the right password is refused until the window passes.
    let limited = app.login("UMA", PASSWORD).await;
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    // Other accounts are not affected.
    app.register("victor").await;
    assert_eq!(app.login("victor", PASSWORD).await.status, 200);
}
