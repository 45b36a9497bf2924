//! Signed and one-time prekeys of devices.

use super::{key_id_from_db, violated_unique_constraint};
use crate::domain::{ParsedSignedPreKey, PublicKey};
use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_shared::{
    ApiError,
    contracts::keys::{OneTimePreKey, SignedPreKey},
    db::OrInternal,
};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Stores `key` as the device's current signed prekey (the caller supersedes the previous one
/// first). A key id still stored for the device is `invalid_request`.
pub async fn insert_signed(
    conn: &mut PgConnection,
    device_id: Uuid,
    key: &ParsedSignedPreKey,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into signed_prekeys (device_id, key_id, public_key, signature) \
         values ($1, $2, $3, $4)",
    )
    .bind(device_id)
    .bind(i64::from(key.key_id))
    .bind(key.public_key.encoded().as_slice())
    .bind(key.signature.0.as_slice())
    .execute(conn)
    .await
    .map_err(|err| match violated_unique_constraint(&err) {
        Some("signed_prekeys_pkey") => ApiError::invalid_request(format!(
            "signed prekey key_id {} is already used by this device",
            key.key_id
        )),
        _ => ApiError::internal(anyhow::Error::new(err).context("inserting a signed prekey")),
    })?;
    Ok(())
}

/// Marks the device's current signed prekey as superseded (kept for the grace period).
pub async fn supersede_current_signed(
    conn: &mut PgConnection,
    device_id: Uuid,
) -> Result<(), ApiError> {
    sqlx::query(
        "update signed_prekeys set superseded_at = now() \
          where device_id = $1 and superseded_at is null",
    )
    .bind(device_id)
    .execute(conn)
    .await
    .or_internal("superseding a signed prekey")?;
    Ok(())
}

/// Deletes the device's signed prekeys superseded more than `grace` ago.
pub async fn delete_expired_signed(
    conn: &mut PgConnection,
    device_id: Uuid,
    grace: Duration,
) -> Result<u64, ApiError> {
    let result = sqlx::query(
        "delete from signed_prekeys \
          where device_id = $1 and superseded_at < now() - make_interval(secs => $2)",
    )
    .bind(device_id)
    .bind(grace.as_secs_f64())
    .execute(conn)
    .await
    .or_internal("deleting expired signed prekeys")?;
    Ok(result.rows_affected())
}

/// The device's current signed prekey.
pub async fn current_signed(
    conn: &mut PgConnection,
    device_id: Uuid,
) -> Result<Option<SignedPreKey>, ApiError> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "select key_id, public_key, signature from signed_prekeys \
          where device_id = $1 and superseded_at is null",
    )
    .bind(device_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a signed prekey")?;
    Ok(row.map(|(key_id, public_key, signature)| SignedPreKey {
        key_id: key_id_from_db(key_id),
        public_key: STANDARD.encode(public_key),
        signature: STANDARD.encode(signature),
    }))
}

/// Stores one-time prekeys; a key id already stored for the device is `invalid_request`.
pub async fn insert_one_time(
    conn: &mut PgConnection,
    device_id: Uuid,
    keys: &[(u32, PublicKey)],
) -> Result<(), ApiError> {
    if keys.is_empty() {
        return Ok(());
    }
    let key_ids: Vec<i64> = keys.iter().map(|(id, _)| i64::from(*id)).collect();
    let public_keys: Vec<Vec<u8>> = keys.iter().map(|(_, k)| k.encoded().to_vec()).collect();
    sqlx::query(
        "insert into one_time_prekeys (device_id, key_id, public_key) \
         select $1, key_id, public_key from unnest($2::bigint[], $3::bytea[]) \
                as t(key_id, public_key)",
    )
    .bind(device_id)
    .bind(&key_ids)
    .bind(&public_keys)
    .execute(conn)
    .await
    .map_err(|err| match violated_unique_constraint(&err) {
        Some("one_time_prekeys_pkey") => ApiError::invalid_request(
            "one_time_prekeys: a key_id is already stored for this device",
        ),
        _ => ApiError::internal(anyhow::Error::new(err).context("inserting one-time prekeys")),
    })?;
    Ok(())
}

pub async fn count_one_time(conn: &mut PgConnection, device_id: Uuid) -> Result<u32, ApiError> {
    let count: i64 =
        sqlx::query_scalar("select count(*) from one_time_prekeys where device_id = $1")
            .bind(device_id)
            .fetch_one(conn)
            .await
            .or_internal("counting one-time prekeys")?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Takes the device's lowest unused one-time prekey out of the store. `skip locked` makes
/// concurrent claims take different keys instead of waiting for (and then missing) the same
/// row; a claim that finds every remaining row locked gets none, like an empty store.
pub async fn claim_one_time(
    conn: &mut PgConnection,
    device_id: Uuid,
) -> Result<Option<OneTimePreKey>, ApiError> {
    let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "delete from one_time_prekeys \
          where (device_id, key_id) = ( \
                select device_id, key_id from one_time_prekeys where device_id = $1 \
                 order by key_id limit 1 for update skip locked) \
         returning key_id, public_key",
    )
    .bind(device_id)
    .fetch_optional(conn)
    .await
    .or_internal("claiming a one-time prekey")?;
    Ok(row.map(|(key_id, public_key)| OneTimePreKey {
        key_id: key_id_from_db(key_id),
        public_key: STANDARD.encode(public_key),
    }))
}
