//! The community API: communities, their groups and channels, roles and permission overwrites,
//! members and moderation, and community invites. Every handler forwards to community-svc, which
//! decides what the caller may do; the gateway only parses input and maps answers.
//!
//! Ids in the path always win over ids in a body: bodies carry `community_id`, `group_id`, ...
//! with `#[serde(default)]` so clients may leave them out, and the handler sets them from the
//! path, so a body can never aim an action at another object than the URL names.
//!
//! Layout: [`community`] (create, read, update, delete, transfer, discover, views),
//! [`groups`], [`channels`], [`roles`], [`overwrites`], [`members`] (join, leave, nicknames,
//! role assignment), [`moderation`] (kick, ban, timeout, warnings, audit log) and [`invites`].

pub mod channels;
pub mod community;
pub mod groups;
pub mod invites;
pub mod members;
pub mod moderation;
pub mod overwrites;
pub mod roles;

use crate::{error::HttpError, extract::parse_json};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
};
use chatalot_shared::error::ErrorCode;
use serde::de::DeserializeOwned;

type ApiResult<T> = Result<T, HttpError>;

/// An optional JSON body (moderation reasons): an empty body, with or without a content type,
/// is `None`, as is JSON `null`; any other must be JSON and is parsed like
/// [`crate::extract::ApiJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
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
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !content_type.as_deref().is_some_and(is_json_mime) {
            return Err(HttpError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        // The document declares the body nullable, so JSON `null` is "no body" too.
        if bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(None));
        }
        parse_json(&bytes).map(|value| OptionalJson(Some(value)))
    }
}

/// `application/json` or `application/<anything>+json`, parameters ignored.
fn is_json_mime(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::is_json_mime;

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json_mime("application/json"));
        assert!(is_json_mime("Application/JSON; charset=utf-8"));
        assert!(is_json_mime("application/merge-patch+json"));
        assert!(!is_json_mime("text/plain"));
        assert!(!is_json_mime(""));
    }
}
