//! Instance settings: a single row created by the migration.

use super::{OrInternal, enums};
use chatalot_shared::{ApiError, contracts::auth::RegistrationMode};
use sqlx::PgConnection;

pub async fn registration_mode(conn: &mut PgConnection) -> Result<RegistrationMode, ApiError> {
    let name: String = sqlx::query_scalar("select registration_mode from instance_settings")
        .fetch_one(conn)
        .await
        .or_internal("reading the registration mode")?;
    enums::parse_mode(&name)
}

/// Sets the registration mode and returns the previous one (row-locked, so concurrent changes
/// each see the mode they replaced).
pub async fn replace_registration_mode(
    conn: &mut PgConnection,
    mode: RegistrationMode,
) -> Result<RegistrationMode, ApiError> {
    let previous: String =
        sqlx::query_scalar("select registration_mode from instance_settings for update")
            .fetch_one(&mut *conn)
            .await
            .or_internal("locking the instance settings")?;
    sqlx::query("update instance_settings set registration_mode = $1, updated_at = now()")
        .bind(enums::mode_name(mode))
        .execute(conn)
        .await
        .or_internal("updating the registration mode")?;
    enums::parse_mode(&previous)
}
