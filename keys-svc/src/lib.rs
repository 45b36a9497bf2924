//! The keys service. It owns devices, identity keys, signed prekeys, one-time prekeys and sender-key distribution records for end-to-end encryption.
//!
//! So far it is the runtime skeleton: it connects to NATS and PostgreSQL (schema `keys`, its own
//! migrations under `migrations/`), registers with NATS service discovery, reports readiness on
//! the admin port, and drains on shutdown. Its operations arrive with their own issues.

use chatalot_shared::{
    config::Config, process::Readiness, rpc::RpcRouter, runtime::ServiceRuntime, subjects::Service,
};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A running replica of the keys service.
pub struct KeysService {
    runtime: ServiceRuntime,
}

impl KeysService {
    /// Connects NATS and the database and applies this service's migrations.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let runtime = ServiceRuntime::connect(config, readiness, Service::Keys, &MIGRATOR).await?;
        Ok(Self { runtime })
    }

    /// Serves requests until `shutdown` is cancelled, then drains.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let runtime = self.runtime.clone();
        RpcRouter::new(Service::Keys, self.runtime)
            .serve(runtime.nats.clone(), &runtime.subjects, shutdown)
            .await
    }
}
