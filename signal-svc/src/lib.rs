//! The signal service. It owns voice and video call state, the WebRTC signaling relay and ICE/TURN configuration.
//!
//! So far it is the runtime skeleton: it connects to NATS and PostgreSQL (schema `signal`, its own
//! migrations under `migrations/`), registers with NATS service discovery, reports readiness on
//! the admin port, and drains on shutdown. Its operations arrive with their own issues.

use chatalot_shared::{
    config::Config, process::Readiness, rpc::RpcRouter, runtime::ServiceRuntime, subjects::Service,
};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A running replica of the signal service.
pub struct SignalService {
    runtime: ServiceRuntime,
}

impl SignalService {
    /// Connects NATS and the database and applies this service's migrations.
    pub async fn build(config: &Config, readiness: &Readiness) -> anyhow::Result<Self> {
        let runtime =
            ServiceRuntime::connect(config, readiness, Service::Signal, &MIGRATOR).await?;
        Ok(Self { runtime })
    }

    /// Serves requests until `shutdown` is cancelled, then drains.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let runtime = self.runtime.clone();
        RpcRouter::new(Service::Signal, self.runtime)
            .serve(runtime.nats.clone(), &runtime.subjects, shutdown)
            .await
    }
}
