//! PostgreSQL: one pool per service, confined to the service's own schema, and the service's
//! migrations run at start-up under an advisory lock so replicas starting together do not race.

use crate::config::DatabaseConfig;
use anyhow::Context;
use sqlx::{
    Connection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
};
use std::{str::FromStr, time::Duration};

/// Connects to the database with `search_path` set to `schema`, creates the schema if needed and
/// applies `migrator`. Unqualified table names in the service's SQL resolve to its own schema.
pub async fn connect(
    config: &DatabaseConfig,
    schema: &'static str,
    migrator: &Migrator,
) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(config.url.expose())
        .context("database.url is not a valid PostgreSQL URL")?
        .options([("search_path", schema)]);

    let mut conn = PgConnection::connect_with(&options).await.context(
        "cannot connect to PostgreSQL (database.url); is it running and does the database exist?",
    )?;
    let lock_key = migration_lock_key(schema);
    sqlx::query("select pg_advisory_lock($1)")
        .bind(lock_key)
        .execute(&mut conn)
        .await
        .context("taking the migration lock")?;
    let migrated = async {
        sqlx::query(&format!("create schema if not exists {schema}"))
            .execute(&mut conn)
            .await
            .with_context(|| format!("creating schema {schema}"))?;
        migrator
            .run(&mut conn)
            .await
            .with_context(|| format!("running the {schema} migrations"))
    }
    .await;
    let unlocked = sqlx::query("select pg_advisory_unlock($1)")
        .bind(lock_key)
        .execute(&mut conn)
        .await;
    migrated?;
    unlocked.context("releasing the migration lock")?;
    conn.close().await.ok();

    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("opening the PostgreSQL pool")
}

/// A stable advisory-lock key per schema (FNV-1a, so it does not change between builds).
fn migration_lock_key(schema: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"chatalot-migrations:".iter().chain(schema.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Whether `err` means the database could not be reached or the connection was lost (a restart,
/// a failover, a network cut) rather than a failure of the statement itself: the same request
/// may succeed a moment later. SQLSTATE class 08 is "connection exception"; 57P01 to 57P03 are
/// "admin shutdown", "crash shutdown" and "cannot connect now".
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Turns a database failure into a client error, logging it once with what was being done:
/// `service_unavailable` (503, which clients retry with the same idempotency key) when the
/// database was out of reach ([`is_unavailable`]), the generic `internal` error otherwise.
pub trait OrInternal<T> {
    fn or_internal(self, doing: &'static str) -> Result<T, crate::error::ApiError>;
}

impl<T> OrInternal<T> for Result<T, sqlx::Error> {
    fn or_internal(self, doing: &'static str) -> Result<T, crate::error::ApiError> {
        self.map_err(|err| {
            if is_unavailable(&err) {
                crate::error::ApiError::database_unavailable(anyhow::Error::new(err).context(doing))
            } else {
                crate::error::ApiError::internal(anyhow::Error::new(err).context(doing))
            }
        })
    }
}

/// True when the pool can run a query (for `/readyz`).
pub async fn is_ready(pool: &PgPool) -> bool {
    sqlx::query("select 1").execute(pool).await.is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_differ_per_schema_and_are_stable() {
        assert_ne!(
            super::migration_lock_key("auth"),
            super::migration_lock_key("message")
        );
        assert_eq!(
            super::migration_lock_key("auth"),
            super::migration_lock_key("auth")
        );
    }
}
