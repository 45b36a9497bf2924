//! [`ApiError`] as an HTTP response: the status of its code, the error as JSON body, and the
//! rate-limit headers when it carries them.

use axum::{
    Json,
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chatalot_shared::error::{ApiError, ErrorCode};

/// An [`ApiError`] on its way out over HTTP.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl HttpError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message))
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let rate_limit = self.0.rate_limit.clone();
        let mut response = (status, Json(self.0)).into_response();
        if let Some(limit) = rate_limit {
            let headers = response.headers_mut();
            let mut set = |name: &'static str, value: u64| {
                headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
            };
            set("x-ratelimit-limit", u64::from(limit.limit));
            set("x-ratelimit-remaining", u64::from(limit.remaining));
            set("x-ratelimit-reset", limit.reset_secs);
            if limit.remaining == 0 {
                set("retry-after", limit.reset_secs);
            }
        }
        response
    }
}
