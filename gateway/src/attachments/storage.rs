//! The object store behind attachments: a local directory or an S3-compatible bucket, chosen by
//! `attachments.store`, reached through the `object_store` crate so the rest of the gateway does
//! not care which.

use anyhow::Context;
use bytes::Bytes;
use chatalot_shared::{ApiError, config::AttachmentsConfig};
use futures::{StreamExt, stream::BoxStream};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path, prefix::PrefixStore,
};
use std::{ops::Range, sync::Arc};
use uuid::Uuid;

/// Part size of multipart uploads to a local directory: small, so an upload holds little memory.
const LOCAL_PART_BYTES: usize = 1024 * 1024;
/// Part size of multipart uploads to S3: the smallest S3 accepts (but for the last part).
const S3_PART_BYTES: usize = 5 * 1024 * 1024;

/// Where attachment bytes live. Cheap to clone.
#[derive(Clone)]
pub struct AttachmentStore {
    store: Arc<dyn ObjectStore>,
    /// Bytes buffered before a part is written.
    part_bytes: usize,
    /// Parts written at once by one upload; with `part_bytes` it bounds an upload's memory.
    parts_in_flight: usize,
}

impl AttachmentStore {
    /// Opens the configured store; a local directory is created if missing.
    pub fn open(config: &AttachmentsConfig) -> anyhow::Result<Self> {
        match config.s3_bucket() {
            Some((bucket, prefix)) => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(&config.s3_region)
                    .with_allow_http(config.s3_allow_http);
                if !config.s3_endpoint.is_empty() {
                    builder = builder.with_endpoint(&config.s3_endpoint);
                }
                if !config.s3_access_key_id.is_empty() {
                    builder = builder
                        .with_access_key_id(config.s3_access_key_id.expose())
                        .with_secret_access_key(config.s3_secret_access_key.expose());
                }
                let s3 = builder.build().with_context(|| {
                    format!("attachments.store: cannot use the S3 bucket {bucket}")
                })?;
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix))
                };
                tracing::info!(bucket, prefix, "attachments stored in S3");
                // S3 parts are large: one in flight while the next fills keeps it at ~10 MiB.
                Ok(Self::new(store, S3_PART_BYTES, 1))
            }
            None => {
                let dir = std::path::Path::new(&config.store);
                std::fs::create_dir_all(dir).with_context(|| {
                    format!(
                        "attachments.store: cannot create the directory {}",
                        dir.display()
                    )
                })?;
                let local = LocalFileSystem::new_with_prefix(dir)
                    .with_context(|| {
                        format!(
                            "attachments.store: cannot use the directory {}",
                            dir.display()
                        )
                    })?
                    .with_automatic_cleanup(true);
                tracing::info!(dir = %dir.display(), "attachments stored in a local directory");
                Ok(Self::new(Arc::new(local), LOCAL_PART_BYTES, 2))
            }
        }
    }

    fn new(store: Arc<dyn ObjectStore>, part_bytes: usize, parts_in_flight: usize) -> Self {
        Self {
            store,
            part_bytes,
            parts_in_flight,
        }
    }

    /// Starts writing a new object; the caller must `finish` or `abort` the writer.
    pub async fn begin_upload(&self, key: &str) -> Result<Upload, ApiError> {
        let upload = self
            .store
            .put_multipart(&Path::from(key))
            .await
            .map_err(|err| internal(err, "starting an attachment upload"))?;
        Ok(Upload {
            writer: WriteMultipart::new_with_chunk_size(upload, self.part_bytes),
            parts_in_flight: self.parts_in_flight,
        })
    }

    /// Streams `range` of an object; `not_found` when its bytes are missing.
    pub async fn read(
        &self,
        key: &str,
        range: Range<u64>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>, ApiError> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        match self.store.get_opts(&Path::from(key), options).await {
            Ok(result) => Ok(result.into_stream().boxed()),
            Err(object_store::Error::NotFound { .. }) => {
                tracing::warn!(key, "an attachment's bytes are missing from the store");
                Err(ApiError::not_found("attachment"))
            }
            Err(err) => Err(internal(err, "reading an attachment")),
        }
    }

    /// Deletes an object; one that is already gone counts as deleted.
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

/// An object being written part by part; at most `parts_in_flight` parts plus one filling part
/// are held in memory.
pub struct Upload {
    writer: WriteMultipart,
    parts_in_flight: usize,
}

impl Upload {
    /// Adds bytes, first waiting while too many parts are being written (back pressure on the
    /// client instead of buffering).
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), ApiError> {
        self.writer
            .wait_for_capacity(self.parts_in_flight)
            .await
            .map_err(|err| internal(err, "writing an attachment part"))?;
        self.writer.put(chunk);
        Ok(())
    }

    /// Writes the last part and makes the object visible.
    pub async fn finish(self) -> Result<(), ApiError> {
        self.writer
            .finish()
            .await
            .map(drop)
            .map_err(|err| internal(err, "completing an attachment upload"))
    }

    /// Drops what was written so far.
    pub async fn abort(self) {
        if let Err(err) = self.writer.abort().await {
            tracing::warn!(error = %err, "aborting an attachment upload");
        }
    }
}

/// The object key of an attachment: chosen by the server, never from the client's file name.
pub fn storage_key(attachment_id: Uuid) -> String {
    format!("attachments/{attachment_id}")
}

fn internal(err: object_store::Error, doing: &'static str) -> ApiError {
    ApiError::internal(anyhow::Error::new(err).context(doing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::secret::Secret;

    #[test]
    fn an_s3_bucket_is_configured_without_contacting_it() {
        let config = AttachmentsConfig {
            store: "s3://media/chat".into(),
            s3_endpoint: "http://127.0.0.1:9000".into(),
            s3_allow_http: true,
            s3_access_key_id: Secret::new("id"),
            s3_secret_access_key: Secret::new("secret"),
            ..AttachmentsConfig::default()
        };
        let store = AttachmentStore::open(&config).map_err(|e| e.to_string());
        assert_eq!(store.map(|s| s.part_bytes), Ok(S3_PART_BYTES));
    }

    #[test]
    fn a_local_directory_is_created() {
        let dir = std::env::temp_dir().join(format!("chatalot-store-{}", Uuid::new_v4()));
        let config = AttachmentsConfig {
            store: dir.display().to_string(),
            ..AttachmentsConfig::default()
        };
        assert!(AttachmentStore::open(&config).is_ok());
        assert!(dir.is_dir());
        let _ = std::fs::remove_dir_all(dir);
    }
}
