//! `GET /api/v1/attachments/{attachment_id}` (the bytes, with range requests) and `.../meta`
//! (the description). message-svc decides who may see an attachment; the gateway then streams
//! the bytes from the object store with headers that keep browsers from reinterpreting them.

use super::filenames;
use crate::{
    error::HttpError,
    extract::{ApiPath, Authenticated},
    state::AppState,
};
use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chatalot_shared::{
    contracts::attachments::{Attachment, AuthorizeDownloadRequest, DownloadGrant},
    error::ApiError,
    rpc::CallerContext,
};
use futures::TryStreamExt;
use std::ops::Range;
use uuid::Uuid;

/// Image types browsers may show in place; anything else (SVG included: it can run scripts) is
/// always a download.
const INLINE_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
];

/// Downloads an attachment. Supports single byte ranges (`Range: bytes=a-b`, `bytes=a-`,
/// `bytes=-n`; 206 with `Content-Range`, 416 when unsatisfiable) and `If-Range` with the ETag.
#[utoipa::path(get, path = "/attachments/{attachment_id}", tag = "attachments", security(("bearer" = [])),
    params(("attachment_id" = Uuid, Path, description = "The attachment"),
        ("Range" = Option<String>, Header, description = "One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`")),
    responses((status = 200, description = "The file, typed from its bytes (`Content-Type` is its detected type, `application/octet-stream` when unknown)", content_type = "*/*", body = inline(super::upload::FileBytes)),
        (status = 206, description = "The requested range (`Content-Range` says which)", content_type = "*/*", body = inline(super::upload::FileBytes)),
        (status = 404, description = "No such attachment, or the caller may not see it", body = ApiError),
        (status = 416, description = "The range starts past the end (`Content-Range: bytes */<size>`)"),
        (status = "4XX", description = "Not authenticated, a malformed id, or not found", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn download_attachment(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(attachment_id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let grant = authorize(&app, &ctx, attachment_id).await?;
    let attachment = grant.attachment;
    let size = attachment.size_bytes;
    let etag = format!("\"{attachment_id}\"");
    let header_str = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    // Contents never change, so the id is a strong validator; a stale If-Range gets it all.
    let range_header = match header_str(header::IF_RANGE) {
        Some(validator) if validator.trim() != etag => None,
        _ => header_str(header::RANGE),
    };
    let range = match parse_range(range_header, size) {
        ByteRange::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            set(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            set(&mut response, header::ACCEPT_RANGES, "bytes");
            return Ok(response);
        }
        ByteRange::Full => None,
        ByteRange::Partial(range) => Some(range),
    };
    let span = range.clone().unwrap_or(0..size);
    let stream = app
        .attachments
        .store
        .read(&grant.storage_key, span.clone())
        .await?
        .inspect_err(
            move |err| tracing::warn!(%attachment_id, error = %err, "attachment stream broken"),
        );

    let mut response = Body::from_stream(stream).into_response();
    if let Some(range) = &range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let last = range.end - 1;
        set(
            &mut response,
            header::CONTENT_RANGE,
            &format!("bytes {}-{last}/{size}", range.start),
        );
    }
    let content_type = if attachment.content_type == "text/plain" {
        "text/plain; charset=utf-8"
    } else {
        attachment.content_type.as_str()
    };
    let disposition = if INLINE_TYPES.contains(&attachment.content_type.as_str()) {
        "inline"
    } else {
        "attachment"
    };
    set(&mut response, header::CONTENT_TYPE, content_type);
    set(
        &mut response,
        header::CONTENT_LENGTH,
        &(span.end - span.start).to_string(),
    );
    set(
        &mut response,
        header::CONTENT_DISPOSITION,
        &filenames::content_disposition(disposition, &attachment.filename),
    );
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    set(&mut response, header::ETAG, &etag);
    set(&mut response, header::CACHE_CONTROL, "private");
    set(&mut response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Even if a browser opens a file itself, it runs nothing from it.
    set(
        &mut response,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox",
    );
    Ok(response)
}

/// Describes an attachment (name, type, size, image dimensions).
#[utoipa::path(get, path = "/attachments/{attachment_id}/meta", tag = "attachments", security(("bearer" = [])),
    params(("attachment_id" = Uuid, Path, description = "The attachment")),
    responses((status = 200, description = "The attachment", body = Attachment),
        (status = 404, description = "No such attachment, or the caller may not see it", body = ApiError),
        (status = "4XX", description = "Not authenticated, a malformed id, or not found", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn attachment_meta(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(attachment_id): ApiPath<Uuid>,
) -> Result<Json<Attachment>, HttpError> {
    Ok(Json(authorize(&app, &ctx, attachment_id).await?.attachment))
}

async fn authorize(
    app: &AppState,
    ctx: &CallerContext,
    attachment_id: Uuid,
) -> Result<DownloadGrant, HttpError> {
    Ok(app
        .rpc
        .call(ctx, &AuthorizeDownloadRequest { attachment_id })
        .await?)
}

/// Values here are built from ASCII the server controls; one that is not a valid header value
/// is left out rather than failing the download.
fn set(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// No range, or one this server ignores (another unit, several ranges, bad syntax):
    /// RFC 9110 lets a server answer those with the whole file.
    Full,
    Partial(Range<u64>),
    /// Starts past the end (or asks for the last 0 bytes): 416.
    Unsatisfiable,
}

/// Parses one `bytes=` range against `size` (RFC 9110 section 14.1.2).
pub fn parse_range(header: Option<&str>, size: u64) -> ByteRange {
    let Some(header) = header else {
        return ByteRange::Full;
    };
    let Some((unit, spec)) = header.trim().split_once('=') else {
        return ByteRange::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Full;
    };
    // Digits only; a number too large for u64 is as good as infinite.
    let number = |text: &str| -> Option<u64> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(text.parse().unwrap_or(u64::MAX))
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // bytes=-n: the last n bytes.
        return match number(last) {
            None => ByteRange::Full,
            Some(0) => ByteRange::Unsatisfiable,
            Some(_) if size == 0 => ByteRange::Unsatisfiable,
            Some(suffix) => ByteRange::Partial(size - suffix.min(size)..size),
        };
    }
    let Some(start) = number(first) else {
        return ByteRange::Full;
    };
    // bytes=a- runs to the end; bytes=a-b includes b and is cut at the end.
    let end = if last.is_empty() {
        size
    } else {
        match number(last) {
            Some(last) if last >= start => last.saturating_add(1).min(size),
            _ => return ByteRange::Full,
        }
    };
    if start >= size {
        ByteRange::Unsatisfiable
    } else {
        ByteRange::Partial(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::{ByteRange::*, parse_range};

    #[test]
    fn single_ranges_are_served() {
        assert_eq!(parse_range(None, 10), Full);
        assert_eq!(parse_range(Some("bytes=0-0"), 10), Partial(0..1));
        assert_eq!(parse_range(Some("bytes=2-5"), 10), Partial(2..6));
        assert_eq!(parse_range(Some("bytes=2-"), 10), Partial(2..10));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Partial(7..10));
        assert_eq!(parse_range(Some("bytes=-30"), 10), Partial(0..10));
        assert_eq!(parse_range(Some("bytes=5-99"), 10), Partial(5..10));
        assert_eq!(
            parse_range(Some("Bytes = 5-99999999999999999999999"), 10),
            Partial(5..10)
        );
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(parse_range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=10-20"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 10), Unsatisfiable);
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 10),
            Unsatisfiable
        );
    }

    #[test]
    fn other_ranges_get_the_whole_file() {
        for header in [
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
            "bytes",
        ] {
            assert_eq!(parse_range(Some(header), 10), Full, "{header}");
        }
    }
}
