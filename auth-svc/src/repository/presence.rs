//! The status each user chose, and their custom status.

use super::OrInternal;
use crate::domain::ValidCustomStatus;
use chatalot_shared::{
    ApiError,
    contracts::presence::{ChosenStatus, CustomStatus, PresenceSettings, StoredPresenceSettings},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// An expired custom status reads as none.
macro_rules! columns {
    () => {
        "user_id, status, \
         case when custom_expires_at is null or custom_expires_at > now() \
              then custom_text end as custom_text, \
         case when custom_expires_at > now() then custom_expires_at end as custom_expires_at, \
         version"
    };
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    user_id: Uuid,
    status: String,
    custom_text: Option<String>,
    custom_expires_at: Option<DateTime<Utc>>,
    version: i64,
}

impl TryFrom<SettingsRow> for StoredPresenceSettings {
    type Error = ApiError;

    fn try_from(row: SettingsRow) -> Result<Self, ApiError> {
        let status = ChosenStatus::parse(&row.status).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "unknown presence status {:?} in the database",
                row.status
            ))
        })?;
        Ok(Self {
            user_id: row.user_id,
            settings: PresenceSettings {
                status,
                custom_status: row.custom_text.map(|text| CustomStatus {
                    text,
                    expires_at: row.custom_expires_at,
                }),
            },
            version: row.version,
        })
    }
}

/// The stored choices of `user_ids`; users who never chose are left out.
pub async fn find_many(
    conn: &mut PgConnection,
    user_ids: &[Uuid],
) -> Result<Vec<StoredPresenceSettings>, ApiError> {
    let rows = sqlx::query_as::<_, SettingsRow>(concat!(
        "select ",
        columns!(),
        " from presence_settings where user_id = any($1)"
    ))
    .bind(user_ids)
    .fetch_all(conn)
    .await
    .or_internal("loading presence settings")?;
    rows.into_iter().map(TryFrom::try_from).collect()
}

/// Replaces the choice of `user_id`, incrementing its version.
pub async fn upsert(
    conn: &mut PgConnection,
    user_id: Uuid,
    status: ChosenStatus,
    custom: Option<&ValidCustomStatus>,
) -> Result<StoredPresenceSettings, ApiError> {
    let row = sqlx::query_as::<_, SettingsRow>(concat!(
        "insert into presence_settings as p (user_id, status, custom_text, custom_expires_at) \
         values ($1, $2, $3, $4) \
         on conflict (user_id) do update set status = excluded.status, \
             custom_text = excluded.custom_text, custom_expires_at = excluded.custom_expires_at, \
             version = p.version + 1, updated_at = now() \
         returning ",
        columns!()
    ))
    .bind(user_id)
    .bind(status.as_str())
    .bind(custom.map(ValidCustomStatus::text))
    .bind(custom.and_then(ValidCustomStatus::expires_at))
    .fetch_one(conn)
    .await
    .or_internal("saving presence settings")?;
    row.try_into()
}
