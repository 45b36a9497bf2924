//! Attachments: files uploaded through the gateway (stored with `object_store`), described
//! and authorised by message-svc.

use super::{Event, rpc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A stored file as clients see it (inside messages and after an upload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub attachment_id: Uuid,
    /// The name the uploader gave, cleaned; the stored object's name is chosen by the server.
    pub filename: String,
    /// Detected from the file's first bytes, never taken from the client.
    pub content_type: String,
    pub size_bytes: u64,
    /// Images only.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub created_at: DateTime<Utc>,
}

/// Records a file the gateway has just stored (service to service). The attachment belongs to
/// the uploader until a message links it; unlinked ones are deleted after a while.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterAttachmentRequest {
    pub attachment_id: Uuid,
    /// Where the bytes are in the object store.
    pub storage_key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// "May the caller download this attachment, and where is it?" (service to service: the
/// gateway asks before streaming the bytes). `not_found` when the caller cannot see the
/// channel or conversation of its message (or it is someone else's unlinked upload).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeDownloadRequest {
    pub attachment_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadGrant {
    pub attachment: Attachment,
    pub storage_key: String,
}

/// Attachments that were never linked to a message and are older than the grace period
/// (service to service: the gateway deletes their bytes, then confirms).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimOrphansRequest {
    /// At most this many.
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Orphans {
    /// (attachment id, storage key) pairs now marked for deletion.
    pub orphans: Vec<OrphanAttachment>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrphanAttachment {
    pub attachment_id: Uuid,
    pub storage_key: String,
}

/// Forgets attachments whose bytes have been deleted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgetAttachmentsRequest {
    pub attachment_ids: Vec<Uuid>,
}

/// Sent to the uploader only (no one else can see an unlinked upload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentUploaded {
    pub attachment: Attachment,
}

impl Event for AttachmentUploaded {
    const NAME: &'static str = "attachment_uploaded";
}

rpc! {
    RegisterAttachmentRequest => Attachment, Message, "register_attachment";
    AuthorizeDownloadRequest => DownloadGrant, Message, "authorize_download";
    ClaimOrphansRequest => Orphans, Message, "claim_orphan_attachments";
    ForgetAttachmentsRequest => super::Empty, Message, "forget_attachments";
}
