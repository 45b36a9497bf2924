//! The built web client (`gateway.web_root`), served at `/` as a single-page app: files as they
//! are, and `index.html` for any other path so deep links (`/app/c/...`, `/invite/CODE`) open
//! the app. Content-hashed assets are cached for a year; the shell, the manifest and the
//! service worker are revalidated on every load so an upgrade reaches clients at once.

use anyhow::Context;
use axum::{
    Router,
    http::{HeaderValue, Request, header},
    middleware::{self, Next},
    response::Response,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// A router serving `web_root` (to be used as the fallback of the API router).
pub fn router(web_root: &Path) -> Router {
    let files = ServeDir::new(web_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(ServeFile::new(web_root.join("index.html")));
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_control))
}

async fn cache_control(request: Request<axum::body::Body>, next: Next) -> Response {
    let immutable = request.uri().path().starts_with("/_app/immutable/");
    let mut response = next.run(request).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// The web client's Content-Security-Policy: its own scripts (the files, WebAssembly, and the
/// inline start-up scripts of `index.html` by hash), inline styles (Svelte's `style:`), images
/// and media from itself or `blob:`, connections (REST and WebSocket) to itself, nothing
/// embedded and no framing. Read once at start-up; a rebuilt client needs a restart.
pub fn content_security_policy(web_root: &Path) -> anyhow::Result<String> {
    let index = web_root.join("index.html");
    let html = std::fs::read_to_string(&index)
        .with_context(|| format!("reading {} (gateway.web_root)", index.display()))?;
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for script in inline_scripts(&html) {
        let digest = Sha256::digest(script.as_bytes());
        scripts.push_str(&format!(" 'sha256-{}'", STANDARD.encode(digest)));
    }
    Ok(format!(
        "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' blob: data:; media-src 'self' blob:; font-src 'self'; \
         connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ))
}

/// The contents of the `<script>` elements without a `src`, exactly as written.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let open_tag = &after[..open_end];
        let body_and_rest = &after[open_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else {
            break;
        };
        if !open_tag.contains("src=") {
            found.push(&body_and_rest[..close]);
        }
        rest = &body_and_rest[close..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = "<head><script src=\"/a.js\"></script><script>\n\tboot();\n</script>\
                    <script type=\"module\">x()</script></head>";
        assert_eq!(inline_scripts(html), ["\n\tboot();\n", "x()"]);
        assert!(inline_scripts("<script>unterminated").is_empty());
    }
}
