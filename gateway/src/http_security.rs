//! What the gateway tells browsers about every response, and which web origins may use it.
//!
//! - Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (invite
//!   links and channel paths never leak to other sites), a `Permissions-Policy` that allows the
//!   camera, microphone and screen capture to the app itself and nothing else, and a
//!   `Content-Security-Policy`: [`API_CSP`] for the API, the web client's own (built by
//!   `web::WebClient` from the inline scripts of its `index.html`) for everything else. A response
//!   that already carries a policy (attachment downloads' sandbox) keeps it. Framing is refused
//!   (`frame-ancestors 'none'`, `X-Frame-Options: DENY`). `Strict-Transport-Security` only when
//!   `gateway.hsts_max_age_secs` is set, which an operator does behind TLS.
//! - Origins: the public URL's origin plus `gateway.allowed_origins`, and the desktop app's web
//!   view ([`DESKTOP_APP_ORIGINS`]) unless `gateway.allow_desktop_app` is off. Those get CORS
//!   answers (the API takes bearer tokens, never cookies, so no credentials mode); any other
//!   origin gets no
//!   CORS headers, so browsers keep its scripts out. A WebSocket upgrade whose `Origin` (every
//!   browser sends one) is neither allowed nor the gateway's own (its `Host`) is refused with 403
//!   `forbidden`: another site's page cannot open a socket in its visitor's name. Native clients
//!   send no `Origin` and are let through.

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::Arc;

/// The policy of API responses: JSON only, nothing to run or embed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

const PERMISSIONS_POLICY: &str = "camera=(self), microphone=(self), display-capture=(self), \
     geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), midi=(), interest-cohort=()";

/// The origins of the desktop app's (Tauri) web view: `tauri://localhost` on Linux and macOS,
/// `http://tauri.localhost` on Windows. It calls the API with bearer tokens and opens the
/// WebSocket like the web client, so allowing it hands out no ambient credential.
pub const DESKTOP_APP_ORIGINS: [&str; 2] = ["tauri://localhost", "http://tauri.localhost"];

/// The security settings every response is given.
#[derive(Debug, Clone)]
pub struct HttpSecurity {
    origins: Arc<Vec<String>>,
    hsts: Option<HeaderValue>,
    web_csp: Option<HeaderValue>,
}

impl HttpSecurity {
    /// `public_url` is what users open (its origin is always allowed); `allowed_origins` are
    /// more origins (`https://chat.example.com`) allowed to call the API from a browser;
    /// `allow_desktop_app` adds [`DESKTOP_APP_ORIGINS`].
    pub fn new(
        public_url: &str,
        allowed_origins: &[String],
        allow_desktop_app: bool,
        hsts_max_age_secs: u64,
        web_csp: Option<String>,
    ) -> Self {
        let desktop: &[&str] = if allow_desktop_app {
            &DESKTOP_APP_ORIGINS
        } else {
            &[]
        };
        let mut origins: Vec<String> = allowed_origins
            .iter()
            .map(String::as_str)
            .chain(desktop.iter().copied())
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        if let Some(origin) = origin_of(public_url) {
            origins.push(origin);
        }
        let hsts = (hsts_max_age_secs > 0)
            .then(|| HeaderValue::try_from(format!("max-age={hsts_max_age_secs}")).ok())
            .flatten();
        Self {
            origins: Arc::new(origins),
            hsts,
            web_csp: web_csp.and_then(|csp| HeaderValue::try_from(csp).ok()),
        }
    }

    /// True when a request from `origin` may use the gateway from a browser.
    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        self.origins.contains(&origin)
    }

    /// The `Origin` header, unless it is absent (not a browser), allowed, or the origin of the
    /// gateway itself as the browser reached it (`Host`: the page came from here, whatever
    /// name or address the user typed).
    pub fn refused_origin<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        let origin = headers.get(header::ORIGIN)?;
        let Ok(origin) = origin.to_str() else {
            return Some("(not text)");
        };
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let same_host = origin
            .split_once("://")
            .zip(host)
            .is_some_and(|((_, authority), host)| authority.eq_ignore_ascii_case(host));
        (!same_host && !self.allows(origin)).then_some(origin)
    }
}

/// The origin (`scheme://host[:port]`) of a URL, lower-cased, if it has one.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// The middleware: answers CORS preflights and adds the headers to every response.
pub async fn secure(
    State(security): State<HttpSecurity>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| security.allows(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let is_api = request.uri().path().starts_with("/api/");
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight && is_api {
        preflight_response(origin.is_some())
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Some(origin) = origin.filter(|_| is_api) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id, retry-after, etag, content-disposition"),
        );
    }
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = match (&security.web_csp, is_api) {
            (Some(web), false) => web.clone(),
            _ => HeaderValue::from_static(API_CSP),
        };
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if let Some(hsts) = &security.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}

/// The answer to a CORS preflight: allowed origins may send any method the API has with the
/// headers clients use; others get a bare 204 (no CORS headers, so the browser stops there).
fn preflight_response(allowed: bool) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if allowed {
        let headers = response.headers_mut();
        set(
            headers,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, PUT, PATCH, DELETE",
        );
        set(
            headers,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "authorization, content-type, if-none-match, range, x-request-id",
        );
        set(headers, header::ACCESS_CONTROL_MAX_AGE, "600");
    }
    response
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn origins_are_compared_by_scheme_host_and_port() {
        let security = HttpSecurity::new(
            "https://Chat.Example.com/app",
            &["http://localhost:5173/".to_string()],
            false,
            0,
            None,
        );
        assert!(security.allows("https://chat.example.com"));
        assert!(security.allows("http://localhost:5173"));
        assert!(!security.allows("http://chat.example.com"));
        assert!(!security.allows("https://chat.example.com:8443"));
        assert!(!security.allows("https://evil.example"));
        assert!(!security.allows("null"));
        assert!(!security.allows("tauri://localhost"));
    }

    #[test]
    fn the_desktop_app_is_allowed_only_when_configured() {
        let with = HttpSecurity::new("https://chat.example.com", &[], true, 0, None);
        assert!(with.allows("tauri://localhost"));
        assert!(with.allows("http://tauri.localhost"));
        assert!(!with.allows("https://tauri.localhost"));
        assert!(!with.allows("tauri://evil.example"));
        let without = HttpSecurity::new("https://chat.example.com", &[], false, 0, None);
        assert!(!without.allows("tauri://localhost"));
        assert!(!without.allows("http://tauri.localhost"));
    }

    #[test]
    fn a_websocket_origin_must_be_allowed_or_the_gateway_itself() {
        let security = HttpSecurity::new("http://localhost:8080", &[], true, 0, None);
        let headers = |origin: &str, host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            headers
        };
        assert_eq!(security.refused_origin(&HeaderMap::new()), None);
        let public = headers("http://localhost:8080", "127.0.0.1:8080");
        assert_eq!(security.refused_origin(&public), None);
        let lan = headers("http://192.168.1.5:8080", "192.168.1.5:8080");
        assert_eq!(security.refused_origin(&lan), None);
        let foreign = headers("https://evil.example", "192.168.1.5:8080");
        assert_eq!(
            security.refused_origin(&foreign),
            Some("https://evil.example")
        );
    }

    #[test]
    fn an_origin_needs_a_scheme_and_a_host() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/x?y"),
            Some("http://127.0.0.1:8080".into())
        );
        assert_eq!(origin_of("localhost:8080"), None);
        assert_eq!(origin_of("http:///path"), None);
    }
}
