//! The gateway serving the built web client (`gateway.web_root`) as a single-page app.

use crate::helpers::spawn_app_with;
use std::path::PathBuf;

/// A stand-in for web/build: the shell, one content-hashed asset and the service worker.
fn web_root() -> PathBuf {
    let root = std::env::temp_dir().join(format!("chatalot-test-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(root.join("_app/immutable")).expect("create the web root");
    std::fs::write(root.join("index.html"), "<title>Chatalot</title>").expect("write index.html");
    std::fs::write(root.join("_app/immutable/app.abc123.js"), "export {}").expect("write asset");
    std::fs::write(root.join("service-worker.js"), "self").expect("write the service worker");
    root
}

#[tokio::test]
async fn the_web_client_is_served_with_deep_links_and_cache_rules() {
    let root = web_root();
    let served = root.clone();
    let app = spawn_app_with(move |config| config.gateway.web_root = Some(served)).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(app.url(path)).send();

    // The shell at `/` and at any page of the app (deep links), revalidated on every load.
    for path in ["/", "/app/c/1/2", "/invite/AbC-12_x"] {
        let response = get(path).await.expect("GET");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        assert_eq!(
            response.text().await.expect("body"),
            "<title>Chatalot</title>"
        );
    }
    // Content-hashed assets are cached for a year; the service worker is not.
    let asset = get("/_app/immutable/app.abc123.js")
        .await
        .expect("GET asset");
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let worker = get("/service-worker.js").await.expect("GET service worker");
    assert_eq!(worker.status(), 200);
    assert_eq!(worker.headers()["cache-control"], "no-cache");
    // The API keeps its JSON errors: an unknown API path is not the web client.
    let api = get("/api/v1/no-such-thing")
        .await
        .expect("GET unknown API path");
    assert_eq!(api.status(), 404);
    let body: serde_json::Value = api.json().await.expect("a JSON error");
    assert_eq!(body["code"], "route_not_found");

    std::fs::remove_dir_all(root).ok();
}
