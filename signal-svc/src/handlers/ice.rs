//! ICE servers for clients: the configured STUN servers, and the TURN servers with credentials
//! for the caller that expire after `calls.turn_credential_ttl_secs` (see `crate::turn`).

use crate::{state::AppState, turn};
use chatalot_shared::{
    ApiError,
    contracts::calls::{IceServer, IceServers, IceServersRequest},
    rpc::CallerContext,
};
use chrono::{DateTime, Utc};

pub async fn ice_servers(
    state: AppState,
    ctx: CallerContext,
    _req: IceServersRequest,
) -> Result<IceServers, ApiError> {
    let caller = ctx.require_caller()?;
    let config = &state.config;
    let mut ice_servers = Vec::new();
    if !config.stun_urls.is_empty() {
        ice_servers.push(IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    let mut expires_at = None;
    if !config.turn_urls.is_empty() {
        let credential = turn::credential(
            config.turn_secret.expose(),
            caller.user_id,
            Utc::now().timestamp(),
            config.turn_credential_ttl_secs,
        );
        expires_at = DateTime::from_timestamp(credential.expires_at, 0);
        ice_servers.push(IceServer {
            urls: config.turn_urls.clone(),
            username: Some(credential.username),
            credential: Some(credential.password),
        });
    }
    Ok(IceServers {
        ice_servers,
        expires_at,
    })
}
