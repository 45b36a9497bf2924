//! The status a user chose (online, idle, dnd, invisible) and their custom status. Gateways
//! compute what others see from it in Redis; keeping it here means it survives Redis.

use super::caller::authenticate;
use crate::{domain::ValidCustomStatus, repository::presence, state::AppState};
use chatalot_shared::{
    ApiError,
    contracts::presence::{
        GetPresenceSettingsRequest, MAX_USERS_PER_REQUEST, PresenceSettings, PresenceSettingsList,
        PresenceSettingsOfRequest, SetPresenceSettingsRequest, StoredPresenceSettings,
    },
    rpc::CallerContext,
};
use chrono::Utc;
use uuid::Uuid;

/// The caller's choice (the default when they never chose).
pub async fn get_presence_settings(
    state: AppState,
    ctx: CallerContext,
    _req: GetPresenceSettingsRequest,
) -> Result<StoredPresenceSettings, ApiError> {
    let mut conn = state.connection().await?;
    let caller = authenticate(&mut conn, &ctx).await?;
    let found = presence::find_many(&mut conn, &[caller.user_id]).await?;
    Ok(found
        .into_iter()
        .next()
        .unwrap_or_else(|| default_for(caller.user_id)))
}

/// Replaces the caller's choice. The gateway that called updates the cache and tells others.
pub async fn set_presence_settings(
    state: AppState,
    ctx: CallerContext,
    req: SetPresenceSettingsRequest,
) -> Result<StoredPresenceSettings, ApiError> {
    let custom = req
        .settings
        .custom_status
        .as_ref()
        .map(|custom| ValidCustomStatus::parse(custom, Utc::now()))
        .transpose()?;
    let mut conn = state.connection().await?;
    let caller = authenticate(&mut conn, &ctx).await?;
    let stored = presence::upsert(
        &mut conn,
        caller.user_id,
        req.settings.status,
        custom.as_ref(),
    )
    .await?;
    tracing::debug!(user_id = %caller.user_id, version = stored.version, "presence settings changed");
    Ok(stored)
}

/// The choices of some users, for gateways (not routed to clients).
pub async fn presence_settings_of(
    state: AppState,
    _ctx: CallerContext,
    req: PresenceSettingsOfRequest,
) -> Result<PresenceSettingsList, ApiError> {
    if req.user_ids.len() > MAX_USERS_PER_REQUEST {
        return Err(ApiError::invalid_request(format!(
            "at most {MAX_USERS_PER_REQUEST} user ids per request"
        )));
    }
    let mut conn = state.connection().await?;
    let mut found = presence::find_many(&mut conn, &req.user_ids).await?;
    let known: std::collections::HashSet<Uuid> = found.iter().map(|s| s.user_id).collect();
    found.extend(
        req.user_ids
            .iter()
            .filter(|id| !known.contains(id))
            .map(|id| default_for(*id)),
    );
    Ok(PresenceSettingsList { settings: found })
}

fn default_for(user_id: Uuid) -> StoredPresenceSettings {
    StoredPresenceSettings {
        user_id,
        settings: PresenceSettings::default(),
        version: 0,
    }
}
