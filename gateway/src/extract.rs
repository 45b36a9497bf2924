//! Request extractors that turn every bad input into an [`ApiError`] with a stable code: JSON
//! bodies, query strings, path parameters, and the caller's identity.

use crate::{error::HttpError, state::AppState};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request},
    http::{StatusCode, header, request::Parts},
};
use chatalot_shared::{error::ErrorCode, rpc::CallerContext};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// A JSON body: 415 without a JSON content type, 413 when too large, `invalid_json` when not
/// JSON, `invalid_request` when JSON of the wrong shape (unknown fields included).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(HttpError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                HttpError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            } else {
                HttpError::new(
                    ErrorCode::InvalidRequest,
                    "the request body could not be read",
                )
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON object, telling syntax errors from shape errors. Only objects are accepted:
/// serde would also fill a struct from an array of its fields in order.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(HttpError::new(
            ErrorCode::InvalidRequest,
            "the body must be a JSON object",
        ));
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        use serde_json::error::Category;
        let code = match err.classify() {
            Category::Data => ErrorCode::InvalidRequest,
            Category::Syntax | Category::Eof | Category::Io => ErrorCode::InvalidJson,
        };
        HttpError::new(code, err.to_string())
    })?;
    integral_floats_to_integers(&mut value);
    serde_json::from_value(value)
        .map_err(|err| HttpError::new(ErrorCode::InvalidRequest, err.to_string()))
}

/// JSON has one number type: `5.0` is the integer 5 (JSON Schema's `integer` accepts it too),
/// but serde refuses it for an integer field. Rewrites such numbers as integers.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() < 9.0e15
            {
                // Exact: integral and below 2^53.
                #[expect(clippy::cast_possible_truncation, reason = "integral and below 2^53")]
                let integer = float as i64;
                *value = Value::from(integer);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Query parameters; `invalid_request` when they do not fit.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| HttpError::new(ErrorCode::InvalidRequest, rejection.body_text()))
    }
}

/// Path parameters; `invalid_request` when they do not parse (a malformed id, say).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| HttpError::new(ErrorCode::InvalidRequest, rejection.body_text()))
    }
}

/// The request's context without requiring authentication (register, login, public reads).
pub struct Anonymous(pub CallerContext);

/// The request's context with a verified access token (401 otherwise).
pub struct Authenticated(pub CallerContext);

impl FromRequestParts<AppState> for Anonymous {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Anonymous(base_context(parts)))
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                HttpError::new(
                    ErrorCode::MissingToken,
                    "send the access token as Authorization: Bearer <token>",
                )
            })?;
        let caller = app.authenticate(token)?;
        let mut ctx = base_context(parts);
        ctx.caller = Some(caller);
        Ok(Authenticated(ctx))
    }
}

/// Request id, client address and user agent. The client IP is the TCP peer; behind a reverse
/// proxy every request would show the proxy (see docs/architecture.md, "Client addresses").
fn base_context(parts: &Parts) -> CallerContext {
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(512).collect());
    CallerContext {
        request_id,
        caller: None,
        client_ip,
        user_agent,
    }
}

/// The id of the current request, set by the request-id middleware and echoed as `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);
