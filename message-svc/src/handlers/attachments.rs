//! Attachments: the records of files whose bytes the gateways keep in the object store.
//!
//! A gateway stores an upload, then registers it here (`register_attachment`); the record
//! belongs to its uploader until a message links it (`repository::attachments::link`, called by
//! the message areas). Before streaming bytes a gateway asks `authorize_download`. Gateways also
//! sweep: `claim_orphan_attachments` hands out uploads no message linked within
//! `attachments.orphan_grace_secs`, the gateway deletes their bytes and then calls
//! `forget_attachments`.

use crate::{
    repository::attachments::{self as repo, Placement},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        attachments::{
            Attachment, AttachmentUploaded, AuthorizeDownloadRequest, ClaimOrphansRequest,
            DownloadGrant, ForgetAttachmentsRequest, Orphans, RegisterAttachmentRequest,
        },
        community::ChannelAccessRequest,
        permissions::Permission,
    },
    events,
    rpc::{CallerContext, RpcRouter},
};
use std::time::Duration;

/// A claim that was never confirmed (its sweeper stopped) is handed out again after this long.
const RECLAIM_AFTER: Duration = Duration::from_secs(3600);
/// The most orphans one claim returns.
const MAX_CLAIM: u32 = 1000;
/// Longest file name in bytes (the gateway cuts names to this).
const MAX_FILENAME_BYTES: usize = 255;

/// Adds this area's operations.
pub fn routes(router: RpcRouter<AppState>) -> RpcRouter<AppState> {
    router
        .route::<RegisterAttachmentRequest, _, _>(register_attachment)
        .route::<AuthorizeDownloadRequest, _, _>(authorize_download)
        .route::<ClaimOrphansRequest, _, _>(claim_orphan_attachments)
        .route::<ForgetAttachmentsRequest, _, _>(forget_attachments)
}

/// Records an upload the gateway has stored, as the caller's, and tells the caller's other
/// connections about it.
async fn register_attachment(
    state: AppState,
    ctx: CallerContext,
    req: RegisterAttachmentRequest,
) -> Result<Attachment, ApiError> {
    let caller = ctx.require_caller()?;
    check_registration(&req)?;
    let mut conn = state.connection().await?;
    let attachment = repo::insert(&mut conn, caller.user_id, &req).await?;
    drop(conn);
    tracing::info!(
        attachment_id = %attachment.attachment_id,
        user_id = %caller.user_id,
        size_bytes = attachment.size_bytes,
        content_type = %attachment.content_type,
        "attachment uploaded"
    );
    let event = AttachmentUploaded {
        attachment: attachment.clone(),
    };
    events::publish_to_user(&state.nats, &state.subjects, caller.user_id, &event).await;
    Ok(attachment)
}

/// What a gateway must have done before registering: a server-chosen key for this id, a
/// cleaned name, a detected type.
fn check_registration(req: &RegisterAttachmentRequest) -> Result<(), ApiError> {
    if req.storage_key != format!("attachments/{}", req.attachment_id) {
        return Err(ApiError::invalid_request(
            "storage_key must be attachments/<attachment_id>",
        ));
    }
    if req.filename.is_empty()
        || req.filename.len() > MAX_FILENAME_BYTES
        || req.filename.chars().any(|c| c.is_control() || c == '"')
    {
        return Err(ApiError::invalid_request(
            "filename must be 1 to 255 bytes without control characters or quotes",
        ));
    }
    if req.content_type.is_empty() || req.content_type.len() > 255 {
        return Err(ApiError::invalid_request(
            "content_type must be 1 to 255 bytes",
        ));
    }
    if i64::try_from(req.size_bytes).is_err() || req.size_bytes == 0 {
        return Err(ApiError::invalid_request("size_bytes is out of range"));
    }
    Ok(())
}

/// The caller may download an unlinked upload of their own, or an attachment of a message in a
/// channel they can view or a conversation they are in. Anything else is `not_found`, so
/// attachment ids reveal nothing.
async fn authorize_download(
    state: AppState,
    ctx: CallerContext,
    req: AuthorizeDownloadRequest,
) -> Result<DownloadGrant, ApiError> {
    let caller = ctx.require_caller()?;
    let not_found = || ApiError::not_found("attachment");
    let mut conn = state.connection().await?;
    let stored = repo::find_live(&mut conn, req.attachment_id)
        .await?
        .ok_or_else(not_found)?;
    let allowed = match stored.placement {
        Placement::Unlinked { uploader_id } => uploader_id == caller.user_id,
        Placement::Conversation { conversation_id } => {
            repo::is_conversation_member(&mut conn, conversation_id, caller.user_id).await?
                == Some(true)
        }
        Placement::Channel { channel_id } => {
            drop(conn);
            let access = state
                .rpc
                .call(
                    &ctx,
                    &ChannelAccessRequest {
                        user_id: caller.user_id,
                        channel_id,
                    },
                )
                .await?;
            access.permissions.contains(Permission::ViewChannel)
        }
    };
    if !allowed {
        return Err(not_found());
    }
    Ok(DownloadGrant {
        attachment: stored.attachment,
        storage_key: stored.storage_key,
    })
}

/// Hands a sweeping gateway unlinked uploads older than the grace period; they can no longer be
/// linked or downloaded from now on.
async fn claim_orphan_attachments(
    state: AppState,
    _ctx: CallerContext,
    req: ClaimOrphansRequest,
) -> Result<Orphans, ApiError> {
    let limit = req.limit.clamp(1, MAX_CLAIM);
    let mut conn = state.connection().await?;
    let orphans = repo::claim_orphans(
        &mut conn,
        state.attachment_orphan_grace,
        RECLAIM_AFTER,
        limit,
    )
    .await?;
    Ok(Orphans { orphans })
}

/// Deletes the records of claimed orphans whose bytes the gateway has deleted.
async fn forget_attachments(
    state: AppState,
    _ctx: CallerContext,
    req: ForgetAttachmentsRequest,
) -> Result<Empty, ApiError> {
    if req.attachment_ids.len() > MAX_CLAIM as usize {
        return Err(ApiError::invalid_request(
            "at most 1000 attachment ids at once",
        ));
    }
    let mut conn = state.connection().await?;
    let forgotten = repo::forget_orphans(&mut conn, &req.attachment_ids).await?;
    tracing::info!(forgotten, "orphaned attachments deleted");
    Ok(Empty {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn registration() -> RegisterAttachmentRequest {
        let attachment_id = Uuid::now_v7();
        RegisterAttachmentRequest {
            attachment_id,
            storage_key: format!("attachments/{attachment_id}"),
            filename: "photo.png".into(),
            content_type: "image/png".into(),
            size_bytes: 10,
            width: Some(3),
            height: Some(2),
        }
    }

    #[test]
    fn a_clean_registration_passes() {
        assert!(check_registration(&registration()).is_ok());
    }

    #[test]
    fn keys_names_and_sizes_are_checked() {
        let mut other_key = registration();
        other_key.storage_key = "attachments/../../etc/passwd".into();
        let mut quoted = registration();
        quoted.filename = "a\"b".into();
        let mut long = registration();
        long.filename = "x".repeat(256);
        let mut empty = registration();
        empty.size_bytes = 0;
        let mut huge = registration();
        huge.size_bytes = u64::MAX;
        for req in [other_key, quoted, long, empty, huge] {
            assert!(check_registration(&req).is_err(), "{req:?}");
        }
    }
}
