//! Security headers on every response, CORS limited to allowed origins, and the WebSocket
//! `Origin` check (`gateway/src/http_security.rs`).

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};

const ALLOWED: &str = "https://chat.example.com";
const FOREIGN: &str = "https://evil.example";

fn assert_common_headers(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(headers["x-frame-options"], "DENY", "{what}");
    let permissions = headers["permissions-policy"].to_str().unwrap();
    assert!(
        permissions.contains("camera=(self)"),
        "{what}: {permissions}"
    );
    assert!(
        permissions.contains("geolocation=()"),
        "{what}: {permissions}"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_the_web_client_its_policy() {
    let root = std::env::temp_dir().join(format!("chatalot-csp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&root).unwrap();
    let boot = "\n\t__boot({ env: {} });\n";
    std::fs::write(
        root.join("index.html"),
        format!("<script src=\"/_app/start.js\"></script><script>{boot}</script>"),
    )
    .unwrap();
    let served = root.clone();
    let app = spawn_app_with(move |config| config.gateway.web_root = Some(served)).await;
    let http = reqwest::Client::new();

    for path in [
        "/api/v1/openapi.json",
        "/api/v1/no-such-route",
        "/api/v1/users/@me",
    ] {
        let response = http.get(app.url(path)).send().await.unwrap();
        assert_common_headers(&response, path);
        assert_eq!(
            response.headers()["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
        assert!(!response.headers().contains_key("strict-transport-security"));
    }
    let page = http.get(app.url("/app/settings")).send().await.unwrap();
    assert_common_headers(&page, "the web client");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let hash = STANDARD.encode(Sha256::digest(boot.as_bytes()));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(csp.contains("object-src 'none'"), "{csp}");
    std::fs::remove_dir_all(root).ok();
}

#[tokio::test]
async fn hsts_is_sent_only_when_configured() {
    let app = spawn_app_with(|config| config.gateway.hsts_max_age_secs = 31_536_000).await;
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn cors_answers_only_allowed_origins() {
    let app =
        spawn_app_with(|config| config.gateway.allowed_origins = vec![ALLOWED.to_string()]).await;
    let http = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, app.url("/api/v1/users/@me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight(ALLOWED).await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(allowed.headers()["access-control-allow-origin"], ALLOWED);
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("DELETE"), "{methods}");
    let foreign = preflight(FOREIGN).await.unwrap();
    assert!(
        !foreign
            .headers()
            .contains_key("access-control-allow-origin")
    );
    assert!(
        !foreign
            .headers()
            .contains_key("access-control-allow-methods")
    );

    let user = app.register("corsuser").await;
    for (origin, expected) in [(ALLOWED, Some(ALLOWED)), (FOREIGN, None)] {
        let response = http
            .get(app.url("/api/v1/users/@me"))
            .bearer_auth(&user.access_token)
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let allow = response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(allow.as_deref(), expected, "{origin}");
    }
}

/// Opens `/ws` with an `Origin`: the HTTP status of the refusal, or `None` when it upgraded.
async fn ws_refusal(url: &str, origin: Option<&str>) -> Option<u16> {
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_str(origin).unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Some(response.status().as_u16())
        }
        Err(err) => panic!("unexpected WebSocket error: {err}"),
    }
}

#[tokio::test]
async fn a_websocket_from_another_sites_page_is_refused_and_others_keep_working() {
    let app =
        spawn_app_with(|config| config.gateway.allowed_origins = vec![ALLOWED.to_string()]).await;
    let url = app.gateway.ws_url();
    let user = app.register("originuser").await;
    let mut bystander = WsClient::identified(&url, &user.access_token).await;

    assert_eq!(ws_refusal(&url, Some(FOREIGN)).await, Some(403));
    assert_eq!(ws_refusal(&url, Some("null")).await, Some(403));
    assert_eq!(
        ws_refusal(&url, None).await,
        None,
        "native clients send no Origin"
    );
    assert_eq!(ws_refusal(&url, Some(ALLOWED)).await, None);
    // The page the gateway served itself: its origin is the gateway's own address.
    let own = app.url("").trim_end_matches('/').to_string();
    assert_eq!(ws_refusal(&url, Some(&own)).await, None);

    bystander
        .send_json(serde_json::json!({ "op": "heartbeat" }))
        .await;
    while bystander.next_json().await["op"] != "heartbeat_ack" {}
}

const DESKTOP: &str = "tauri://localhost";
const DESKTOP_WINDOWS: &str = "http://tauri.localhost";

/// A CORS preflight for `GET /users/@me` from `origin`: the `access-control-allow-origin` it got.
async fn preflight_allows(app: &TestApp, origin: &str) -> Option<String> {
    let response = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/users/@me"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "{origin}");
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn the_desktop_app_may_use_the_api_and_the_websocket_by_default() {
    let app = spawn_app().await;
    assert!(app.env.config.gateway.allow_desktop_app, "on by default");
    let url = app.gateway.ws_url();
    for origin in [DESKTOP, DESKTOP_WINDOWS] {
        assert_eq!(
            preflight_allows(&app, origin).await.as_deref(),
            Some(origin)
        );
        assert_eq!(ws_refusal(&url, Some(origin)).await, None, "{origin}");
    }
    // A real call from the app's web view: bearer token, the origin echoed.
    let user = app.register("desktopuser").await;
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/users/@me"))
        .bearer_auth(&user.access_token)
        .header("origin", DESKTOP)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], DESKTOP);
    // Look-alikes and other sites stay out.
    for origin in [FOREIGN, "tauri://evil.example", "https://tauri.localhost"] {
        assert_eq!(preflight_allows(&app, origin).await, None, "{origin}");
        assert_eq!(ws_refusal(&url, Some(origin)).await, Some(403), "{origin}");
    }
}

#[tokio::test]
async fn without_allow_desktop_app_the_desktop_origins_are_refused() {
    let app = spawn_app_with(|config| config.gateway.allow_desktop_app = false).await;
    let url = app.gateway.ws_url();
    for origin in [DESKTOP, DESKTOP_WINDOWS, FOREIGN] {
        assert_eq!(preflight_allows(&app, origin).await, None, "{origin}");
        assert_eq!(ws_refusal(&url, Some(origin)).await, Some(403), "{origin}");
    }
    assert_eq!(
        ws_refusal(&url, None).await,
        None,
        "native clients still connect"
    );
}
