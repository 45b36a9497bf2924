//! Deletes uploads that no message linked within `attachments.orphan_grace_secs`. Every gateway
//! sweeps every `attachments.sweep_interval_secs`; message-svc hands each orphan to one sweeper
//! only (`claim_orphan_attachments`), the sweeper deletes the bytes and then the records
//! (`forget_attachments`). A record whose bytes could not be deleted is handed out again later.

use super::storage::AttachmentStore;
use chatalot_shared::{
    ApiError,
    contracts::attachments::{ClaimOrphansRequest, ForgetAttachmentsRequest},
    rpc::{CallerContext, RpcClient},
};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Orphans claimed per request.
const BATCH: u32 = 100;
/// Batches per sweep at most, so one sweep ends even if uploads keep arriving.
const MAX_BATCHES: usize = 50;

/// Sweeps every `interval` until `shutdown`.
pub fn spawn(
    rpc: RpcClient,
    store: AttachmentStore,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // The first sweep waits one interval: at start-up message-svc may not be up yet.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticks.tick() => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                swept = sweep(&rpc, &store) => match swept {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "orphaned attachments swept"),
                    Err(err) => tracing::warn!(error = %err, "attachment sweep failed; retrying later"),
                },
            }
        }
        tracing::debug!("attachment sweeper stopped");
    })
}

/// One sweep: claims orphans batch by batch, deletes their bytes, forgets their records.
/// Returns how many were deleted.
pub async fn sweep(rpc: &RpcClient, store: &AttachmentStore) -> Result<usize, ApiError> {
    let ctx = CallerContext {
        request_id: format!("attachment-sweep-{}", uuid::Uuid::new_v4()),
        ..CallerContext::default()
    };
    let mut deleted_total = 0;
    for _ in 0..MAX_BATCHES {
        let claimed = rpc
            .call(&ctx, &ClaimOrphansRequest { limit: BATCH })
            .await?;
        let count = claimed.orphans.len();
        let mut deleted = Vec::with_capacity(count);
        for orphan in claimed.orphans {
            // Keys come from message-svc's records; never delete outside attachments/.
            if !orphan.storage_key.starts_with("attachments/") {
                tracing::warn!(key = %orphan.storage_key, "refusing to sweep an unexpected key");
                continue;
            }
            match store.delete(&orphan.storage_key).await {
                Ok(()) => deleted.push(orphan.attachment_id),
                Err(err) => {
                    tracing::warn!(attachment_id = %orphan.attachment_id, error = %err,
                        "orphaned attachment not deleted; it is retried later");
                }
            }
        }
        deleted_total += deleted.len();
        if !deleted.is_empty() {
            rpc.call(
                &ctx,
                &ForgetAttachmentsRequest {
                    attachment_ids: deleted,
                },
            )
            .await?;
        }
        if count < BATCH as usize {
            break;
        }
    }
    Ok(deleted_total)
}
