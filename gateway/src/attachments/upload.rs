//! `POST /api/v1/attachments`: the raw file is the request body. It is streamed chunk by chunk
//! into the object store (never held whole in memory), counted against `attachments.max_bytes`,
//! typed from its first bytes, and then registered with message-svc as the caller's.

use super::{filenames, sniffing, storage::Upload};
use crate::{
    error::HttpError,
    extract::{ApiQuery, Authenticated},
    state::AppState,
};
use axum::{
    Json,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use chatalot_shared::{
    contracts::attachments::{Attachment, RegisterAttachmentRequest},
    error::{ApiError, ErrorCode},
};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use utoipa::{
    IntoParams, ToSchema,
    openapi::{
        RefOr,
        schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type},
    },
};
use uuid::Uuid;

/// The query string of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as shown to others; cleaned (last path segment, no control characters or
    /// quotes, at most 255 bytes). `file` when missing.
    pub filename: Option<String>,
}

/// The raw bytes of a file, in the OpenAPI document (`type: string, format: binary`).
pub struct FileBytes;

impl utoipa::PartialSchema for FileBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes"))
            .into()
    }
}

impl ToSchema for FileBytes {}

/// Uploads a file. The body is the file itself; its `Content-Type` is ignored: the type is
/// detected from the bytes. Link the returned attachment to a message within
/// `attachments.orphan_grace_secs`, or it is deleted.
#[utoipa::path(post, path = "/attachments", tag = "attachments", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = inline(FileBytes), content_type = "application/octet-stream",
        description = "The file's bytes (any content type; it is detected from the bytes)"),
    responses((status = 201, description = "The stored attachment", body = Attachment),
        (status = 400, description = "An empty body or an interrupted upload", body = ApiError),
        (status = 413, description = "The file is larger than `attachments.max_bytes`", body = ApiError),
        (status = "4XX", description = "Not authenticated or invalid input", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn upload_attachment(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Attachment>), HttpError> {
    let max_bytes = app.attachments.max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes) {
        return Err(too_large(max_bytes));
    }
    let filename = filenames::clean(query.filename.as_deref());
    let mut body = body.into_data_stream();
    // Nothing is stored for an empty body.
    let first = loop {
        match body.next().await {
            None => {
                return Err(HttpError::new(
                    ErrorCode::InvalidRequest,
                    "the file is empty: send its bytes as the request body",
                ));
            }
            Some(Err(_)) => return Err(interrupted()),
            Some(Ok(chunk)) if chunk.is_empty() => continue,
            Some(Ok(chunk)) => break chunk,
        }
    };

    let attachment_id = Uuid::now_v7();
    let storage_key = super::storage::storage_key(attachment_id);
    let mut upload = app.attachments.store.begin_upload(&storage_key).await?;
    let received = match receive(first, &mut body, &mut upload, max_bytes).await {
        Ok(received) => received,
        Err(err) => {
            upload.abort().await;
            return Err(err);
        }
    };
    let detected = sniffing::detect(&received.head, received.size <= received.head.len() as u64);

    // Completing and registering run to the end even if the client goes away now, so a stored
    // object is always either registered (and later swept if unused) or deleted.
    let store = app.attachments.store.clone();
    let rpc = app.rpc.clone();
    let finished = tokio::spawn(async move {
        upload.finish().await?;
        let request = RegisterAttachmentRequest {
            attachment_id,
            storage_key: storage_key.clone(),
            filename,
            content_type: detected.content_type,
            size_bytes: received.size,
            width: detected.width,
            height: detected.height,
        };
        let registered = rpc.call(&ctx, &request).await;
        if registered.is_err()
            && let Err(err) = store.delete(&storage_key).await
        {
            tracing::warn!(key = %storage_key, error = %err, "an unregistered upload was not deleted");
        }
        registered
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(finished)))
}

/// The file's size and first bytes.
struct Received {
    size: u64,
    head: Vec<u8>,
}

/// Streams the body into `upload`, refusing it as soon as it passes `max_bytes` (a client may
/// send no `Content-Length`, or a false one).
async fn receive(
    first: Bytes,
    body: &mut (impl Stream<Item = Result<Bytes, axum::Error>> + Unpin),
    upload: &mut Upload,
    max_bytes: u64,
) -> Result<Received, HttpError> {
    let mut received = Received {
        size: 0,
        head: Vec::new(),
    };
    let mut next = Some(first);
    loop {
        let chunk = match next.take() {
            Some(chunk) => chunk,
            None => match body.next().await {
                None => return Ok(received),
                Some(Ok(chunk)) => chunk,
                Some(Err(_)) => return Err(interrupted()),
            },
        };
        received.size += chunk.len() as u64;
        if received.size > max_bytes {
            return Err(too_large(max_bytes));
        }
        let room = sniffing::HEAD_BYTES.saturating_sub(received.head.len());
        received
            .head
            .extend_from_slice(&chunk[..room.min(chunk.len())]);
        upload.write(chunk).await?;
    }
}

fn too_large(max_bytes: u64) -> HttpError {
    HttpError::new(
        ErrorCode::PayloadTooLarge,
        format!("the file is larger than the limit of {max_bytes} bytes"),
    )
}

fn interrupted() -> HttpError {
    HttpError::new(
        ErrorCode::InvalidRequest,
        "the upload was interrupted before the whole file arrived",
    )
}
