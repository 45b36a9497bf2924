//! The `devices` table: who owns which device, and its identity key.

use super::violated_unique_constraint;
use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_shared::{ApiError, contracts::keys::Device, db::OrInternal};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored device, with what only the service needs (the owning session).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub name: String,
    pub identity_key: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

impl DeviceRow {
    pub fn to_contract(&self) -> Device {
        Device {
            device_id: self.device_id,
            user_id: self.user_id,
            name: self.name.clone(),
            identity_key: STANDARD.encode(&self.identity_key),
            created_at: self.created_at,
        }
    }
}

const COLUMNS: &str = "device_id, user_id, session_id, name, identity_key, created_at";

/// Serialises device registrations of one user until the transaction ends, so the per-user
/// device cap holds under concurrent registrations.
pub async fn lock_user(conn: &mut PgConnection, user_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind(user_id)
        .execute(conn)
        .await
        .or_internal("locking a user's devices")?;
    Ok(())
}

pub async fn count_for_user(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, ApiError> {
    sqlx::query_scalar("select count(*) from devices where user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
        .or_internal("counting a user's devices")
}

/// Stores a new device; a session that already owns one is `invalid_request`.
pub async fn insert(
    conn: &mut PgConnection,
    user_id: Uuid,
    session_id: Uuid,
    name: &str,
    identity_key: &[u8],
) -> Result<DeviceRow, ApiError> {
    sqlx::query_as::<_, DeviceRow>(&format!(
        "insert into devices (device_id, user_id, session_id, name, identity_key) \
         values ($1, $2, $3, $4, $5) returning {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(session_id)
    .bind(name)
    .bind(identity_key)
    .fetch_one(conn)
    .await
    .map_err(|err| match violated_unique_constraint(&err) {
        Some("devices_session_id_key") => ApiError::invalid_request(
            "this session already has a device; remove it before registering another",
        ),
        _ => ApiError::internal(anyhow::Error::new(err).context("inserting a device")),
    })
}

/// A device; with `for_update`, its row stays locked until the transaction ends (so key
/// changes of one device happen one at a time).
pub async fn get(
    conn: &mut PgConnection,
    device_id: Uuid,
    for_update: bool,
) -> Result<Option<DeviceRow>, ApiError> {
    let lock = if for_update { " for update" } else { "" };
    sqlx::query_as::<_, DeviceRow>(&format!(
        "select {COLUMNS} from devices where device_id = $1{lock}"
    ))
    .bind(device_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a device")
}

/// A user's devices, oldest first.
pub async fn list_for_user(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<Device>, ApiError> {
    let rows = sqlx::query_as::<_, DeviceRow>(&format!(
        "select {COLUMNS} from devices where user_id = $1 order by created_at, device_id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing a user's devices")?;
    Ok(rows.iter().map(DeviceRow::to_contract).collect())
}

/// Removes a device and (by cascade) its keys; false when it was already gone.
pub async fn delete(conn: &mut PgConnection, device_id: Uuid) -> Result<bool, ApiError> {
    let result = sqlx::query("delete from devices where device_id = $1")
        .bind(device_id)
        .execute(conn)
        .await
        .or_internal("deleting a device")?;
    Ok(result.rows_affected() > 0)
}

/// Marks the device as told that its one-time prekeys are low, if fewer than `threshold`
/// remain and it has not been told since its last restock. Returns the number remaining when
/// this call set the mark (the caller then sends `keys_low`), so concurrent claims send it once.
pub async fn mark_keys_low(
    conn: &mut PgConnection,
    device_id: Uuid,
    threshold: u32,
) -> Result<Option<i64>, ApiError> {
    sqlx::query_scalar(
        "update devices d set keys_low_notified = true \
           from (select count(*) as n from one_time_prekeys where device_id = $1) r \
          where d.device_id = $1 and not d.keys_low_notified and r.n < $2 \
         returning r.n",
    )
    .bind(device_id)
    .bind(i64::from(threshold))
    .fetch_optional(conn)
    .await
    .or_internal("marking a device's prekeys low")
}

/// Clears the low mark once the stock is back at `threshold` or more.
pub async fn clear_keys_low_if_restocked(
    conn: &mut PgConnection,
    device_id: Uuid,
    threshold: u32,
) -> Result<(), ApiError> {
    sqlx::query(
        "update devices set keys_low_notified = false \
          where device_id = $1 and keys_low_notified \
            and (select count(*) from one_time_prekeys where device_id = $1) >= $2",
    )
    .bind(device_id)
    .bind(i64::from(threshold))
    .execute(conn)
    .await
    .or_internal("clearing a device's low-prekeys mark")?;
    Ok(())
}
