//! Attachments: files uploaded and downloaded through the gateway, kept in an object store
//! (`attachments.store`: a local directory or an S3-compatible bucket). message-svc keeps their
//! records and decides who may see them; the gateway only moves bytes.
//!
//! Flow: an upload streams into the store under a server-chosen key (`attachments/<id>`), is
//! typed from its first bytes and registered with message-svc as the caller's. A message links
//! it; one never linked is swept after `attachments.orphan_grace_secs`. A download asks
//! message-svc first, then streams from the store.
//!
//! Layout: [`storage`] (the object store), [`upload`] and [`download`] (the REST handlers),
//! [`sniffing`] (types and image sizes from magic bytes), [`filenames`] (cleaning names and
//! `Content-Disposition`), [`sweeper`] (deleting orphans).

pub mod download;
pub mod filenames;
pub mod sniffing;
pub mod storage;
pub mod sweeper;
pub mod upload;

use chatalot_shared::config::AttachmentsConfig;
use std::time::Duration;
use storage::AttachmentStore;

/// What attachment handlers share: the store and the limits. Cheap to clone.
#[derive(Clone)]
pub struct Attachments {
    pub store: AttachmentStore,
    /// Largest accepted file (`attachments.max_bytes`).
    pub max_bytes: u64,
    /// How often this gateway sweeps orphans (`attachments.sweep_interval_secs`).
    pub sweep_interval: Duration,
}

impl Attachments {
    /// Opens the configured store (creating a local directory if needed).
    pub fn open(config: &AttachmentsConfig) -> anyhow::Result<Self> {
        Ok(Self {
            store: AttachmentStore::open(config)?,
            max_bytes: config.max_bytes,
            sweep_interval: config.sweep_interval(),
        })
    }
}
