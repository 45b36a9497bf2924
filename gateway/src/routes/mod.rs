//! The REST API under `/api/v1`: each handler parses its input, forwards it over NATS to the
//! owning service and maps the answer. The OpenAPI document is generated from these handlers.

pub mod accounts;
pub mod admin;
pub mod instance;

use crate::{error::HttpError, extract::RequestId, state::AppState};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::HeaderValue,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{delete, get, post, put},
};
use chatalot_shared::error::ErrorCode;
use prometheus::{HistogramVec, register_histogram_vec};
use std::{sync::LazyLock, time::Instant};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The OpenAPI 3.1 document of the public API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Chatalot API", description = "The public API of a Chatalot instance.", license(name = "GPL-3.0-or-later")),
    paths(
        accounts::register, accounts::login, accounts::refresh, accounts::logout, accounts::logout_all,
        accounts::list_sessions, accounts::revoke_session, accounts::get_me, accounts::update_me,
        accounts::change_password,
        instance::get_instance, instance::update_instance, instance::create_invite,
        instance::list_invites, instance::revoke_invite,
        admin::list_users, admin::set_disabled, admin::set_role, admin::audit_log,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, login, tokens and sessions"),
        (name = "users", description = "The caller's own account"),
        (name = "instance", description = "Instance settings and registration invites"),
        (name = "admin", description = "Account administration and the audit log"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every REST route, the OpenAPI document and the JSON fallbacks.
pub fn api_router(max_body_bytes: usize) -> Router<AppState> {
    let api = Router::new()
        .route("/auth/register", post(accounts::register))
        .route("/auth/login", post(accounts::login))
        .route("/auth/refresh", post(accounts::refresh))
        .route("/auth/logout", post(accounts::logout))
        .route("/auth/logout-all", post(accounts::logout_all))
        .route("/sessions", get(accounts::list_sessions))
        .route("/sessions/{session_id}", delete(accounts::revoke_session))
        .route(
            "/users/@me",
            get(accounts::get_me).patch(accounts::update_me),
        )
        .route("/users/@me/password", put(accounts::change_password))
        .route(
            "/instance",
            get(instance::get_instance).patch(instance::update_instance),
        )
        .route(
            "/instance/invites",
            post(instance::create_invite).get(instance::list_invites),
        )
        .route("/instance/invites/{code}", delete(instance::revoke_invite))
        .route("/admin/users", get(admin::list_users))
        .route("/admin/users/{user_id}/disabled", put(admin::set_disabled))
        .route("/admin/users/{user_id}/role", put(admin::set_role))
        .route("/admin/audit-log", get(admin::audit_log))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .nest("/api/v1", api)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn(observe))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            HttpError::new(ErrorCode::Internal, "internal server error").into_response()
        }))
}

async fn route_not_found() -> HttpError {
    HttpError::new(ErrorCode::RouteNotFound, "no such route")
}

async fn method_not_allowed() -> HttpError {
    HttpError::new(
        ErrorCode::MethodNotAllowed,
        "this route does not accept this method",
    )
}

static HTTP_SECONDS: LazyLock<Option<HistogramVec>> = LazyLock::new(|| {
    register_histogram_vec!(
        "chatalot_http_request_seconds",
        "Gateway REST requests by route, method and status",
        &["route", "method", "status"]
    )
    .ok()
});

/// Gives each request an id (echoed as `X-Request-Id`), records its duration by route (never
/// the raw path), and logs failures once.
async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let mut response = next.run(request).await;
    let status = response.status();
    if let Some(histogram) = HTTP_SECONDS.as_ref() {
        histogram
            .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    if status.is_server_error() {
        tracing::warn!(%request_id, %route, %method, status = status.as_u16(), "request failed");
    } else {
        tracing::debug!(%request_id, %route, %method, status = status.as_u16(), "request");
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
