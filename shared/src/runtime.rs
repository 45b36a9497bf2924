//! What a service process connects to before it serves requests: its own NATS client, its
//! PostgreSQL pool (its own schema, migrated), and the readiness checks for both.

use crate::{
    config::Config,
    db,
    process::{Readiness, connect_nats},
    subjects::{Service, Subjects},
};
use sqlx::{PgPool, migrate::Migrator};
use std::time::Duration;

/// The connections of one service replica.
#[derive(Clone)]
pub struct ServiceRuntime {
    pub nats: async_nats::Client,
    pub db: PgPool,
    pub subjects: Subjects,
}

impl ServiceRuntime {
    /// Connects NATS and the database (schema named after the service, `migrator` applied) and
    /// registers both as readiness checks.
    pub async fn connect(
        config: &Config,
        readiness: &Readiness,
        service: Service,
        migrator: &Migrator,
    ) -> anyhow::Result<Self> {
        let name = service.name();
        let nats = connect_nats(&config.nats, &format!("{name}-svc")).await?;
        readiness.add_nats(&nats);
        let db = db::connect(&config.database, name, migrator).await?;
        let pool = db.clone();
        readiness.add("postgres", move || {
            let pool = pool.clone();
            async move { db::is_ready(&pool).await }
        });
        Ok(Self {
            nats,
            db,
            subjects: Subjects::new(config.nats.namespace.clone()),
        })
    }
}

/// How long a stopping replica waits to hand its last events to NATS.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The last steps of a stopping service replica, after it stopped serving: hand events the last
/// requests published to NATS (bounded, because with NATS down a flush would wait for a
/// reconnect that may never come), then close the database pool.
pub async fn finish(nats: &async_nats::Client, db: &PgPool) {
    match tokio::time::timeout(FLUSH_TIMEOUT, nats.flush()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %err, "flushing NATS on shutdown"),
        Err(_) => tracing::warn!("NATS flush on shutdown timed out; pending events dropped"),
    }
    db.close().await;
}
