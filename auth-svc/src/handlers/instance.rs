//! Instance settings and registration invites.

use super::caller::authenticate;
use crate::{
    domain::{InviteCode, InviteExpiry, InviteMaxUses},
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        enums, instance, invites,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        auth::{
            AuditAction, CreateRegistrationInviteRequest, GetInstanceRequest, InstanceSettings,
            ListRegistrationInvitesRequest, RegistrationInvite, RegistrationInviteList,
            RevokeRegistrationInviteRequest, UpdateInstanceRequest,
        },
    },
    rpc::CallerContext,
};
use serde_json::json;

/// The public settings; anyone may read them (the login page needs the registration mode).
pub async fn get_instance(
    state: AppState,
    _ctx: CallerContext,
    _req: GetInstanceRequest,
) -> Result<InstanceSettings, ApiError> {
    let mut conn = state.connection().await?;
    Ok(InstanceSettings {
        registration_mode: instance::registration_mode(&mut conn).await?,
    })
}

pub async fn update_instance(
    state: AppState,
    ctx: CallerContext,
    req: UpdateInstanceRequest,
) -> Result<InstanceSettings, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    caller.require_admin()?;
    let previous = instance::replace_registration_mode(&mut tx, req.registration_mode).await?;
    if previous != req.registration_mode {
        let entry = NewEntry::new(AuditAction::RegistrationModeChanged, &ctx)
            .actor(caller.user_id)
            .details(json!({
                "from": enums::mode_name(previous),
                "to": enums::mode_name(req.registration_mode),
            }));
        audit::record(&mut tx, entry).await?;
    }
    tx.commit()
        .await
        .or_internal("committing instance settings")?;
    Ok(InstanceSettings {
        registration_mode: req.registration_mode,
    })
}

pub async fn create_registration_invite(
    state: AppState,
    ctx: CallerContext,
    req: CreateRegistrationInviteRequest,
) -> Result<RegistrationInvite, ApiError> {
    let max_uses = InviteMaxUses::parse_optional(req.max_uses)?;
    let expiry = InviteExpiry::parse_optional(req.expires_in_secs)?;
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    caller.require_admin()?;
    let invite = invites::insert(
        &mut tx,
        &InviteCode::generate(),
        caller.user_id,
        max_uses,
        expiry,
    )
    .await?;
    let entry = NewEntry::new(AuditAction::RegistrationInviteCreated, &ctx)
        .actor(caller.user_id)
        .details(json!({
            "code": invite.code,
            "max_uses": invite.max_uses,
            "expires_at": invite.expires_at,
        }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a registration invite")?;
    Ok(invite.to_contract())
}

/// Invites not revoked, newest first (expired and used-up ones included, so admins see them).
pub async fn list_registration_invites(
    state: AppState,
    ctx: CallerContext,
    _req: ListRegistrationInvitesRequest,
) -> Result<RegistrationInviteList, ApiError> {
    let mut conn = state.connection().await?;
    authenticate(&mut conn, &ctx).await?.require_admin()?;
    let invites = invites::list_unrevoked(&mut conn).await?;
    Ok(RegistrationInviteList {
        invites: invites.iter().map(invites::Invite::to_contract).collect(),
    })
}

pub async fn revoke_registration_invite(
    state: AppState,
    ctx: CallerContext,
    req: RevokeRegistrationInviteRequest,
) -> Result<Empty, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    caller.require_admin()?;
    let Some(invite) = invites::revoke(&mut tx, &req.code).await? else {
        return Err(ApiError::not_found("invite"));
    };
    let entry = NewEntry::new(AuditAction::RegistrationInviteRevoked, &ctx)
        .actor(caller.user_id)
        .details(json!({ "code": invite.code, "uses": invite.uses }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing an invite revocation")?;
    Ok(Empty {})
}
