//! The built web client (`gateway.web_root`), served at `/` as a single-page app: files as they
//! are, and `index.html` for any other path so deep links (`/app/c/...`, `/invite/CODE`) open
//! the app. Content-hashed assets are cached for a year; the shell, the manifest and the
//! service worker are revalidated on every load so an upgrade reaches clients at once.

use axum::{
    Router,
    http::{HeaderValue, Request, header},
    middleware::{self, Next},
    response::Response,
};
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
