//! Roles (`manage_roles`, within the hierarchy: a non-owner only touches roles below their own
//! highest role and only grants permissions they hold).

use super::{
    changes,
    standing::{Access, Actor},
};
use crate::{
    domain::{RoleColor, RoleName, RolePosition, order},
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        roles::{self, NewRole},
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::{
            CommunityAuditAction, CreateRoleRequest, DeleteRoleRequest, ListRolesRequest, Role,
            RoleList, UpdateRoleRequest,
        },
        permissions::{Permission, PermissionSet},
    },
    rpc::CallerContext,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// The community's roles, lowest first (members only).
pub async fn list_roles(
    state: AppState,
    ctx: CallerContext,
    req: ListRolesRequest,
) -> Result<RoleList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let actor = Actor::load(&mut conn, req.community_id, caller.user_id, Access::Read).await?;
    Ok(RoleList { roles: actor.roles })
}

/// The ids of the actor's community's roles, lowest first.
fn current_order(actor: &Actor) -> Vec<Uuid> {
    actor.roles.iter().map(|r| r.role_id).collect()
}

/// Refuses an order that would put `role_id` at or above the actor's highest role (unless the
/// actor is the owner). Checked on the final order, since placing a role shifts the others.
fn check_placement(actor: &Actor, new_order: &[Uuid], role_id: Uuid) -> Result<(), ApiError> {
    if actor.is_owner() {
        return Ok(());
    }
    let highest = actor
        .roles
        .iter()
        .filter(|r| actor.member.role_ids.contains(&r.role_id))
        .max_by_key(|r| r.position)
        .map(|r| r.role_id);
    let index = |id| new_order.iter().position(|x| *x == id);
    match (index(role_id), highest.and_then(index)) {
        (Some(role), Some(own)) if role < own => Ok(()),
        _ => Err(ApiError::forbidden(
            "a role must be placed below your highest role",
        )),
    }
}

/// Creates a role just above `@everyone`, or at `position`; the roles from there up move one
/// up.
pub async fn create_role(
    state: AppState,
    ctx: CallerContext,
    req: CreateRoleRequest,
) -> Result<Role, ApiError> {
    let caller = ctx.require_caller()?;
    let name = RoleName::parse(&req.name)?;
    let color = req.color.map(RoleColor::parse).transpose()?;
    let permissions = req.permissions.unwrap_or(PermissionSet::EMPTY);
    let position = req.position.map(RolePosition::parse).transpose()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageRoles)?;
    actor.require_grantable(permissions)?;
    let role_id = Uuid::now_v7();
    let current = current_order(&actor);
    let new_order = order::move_to(&current, role_id, position.map_or(1, RolePosition::index));
    check_placement(&actor, &new_order, role_id)?;
    roles::insert(
        &mut tx,
        NewRole {
            role_id,
            community_id: req.community_id,
            name: name.as_str(),
            color: color.map_or(0, RoleColor::get),
            // Provisional and free (positions are 0..n-1); renumbered at once.
            position: i32::try_from(current.len()).unwrap_or(i32::MAX),
            permissions,
        },
    )
    .await?;
    let mut changed = roles::renumber(&mut tx, req.community_id, &new_order).await?;
    let all = roles::list(&mut tx, req.community_id).await?;
    let role = all
        .into_iter()
        .find(|r| r.role_id == role_id)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a new role vanished")))?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::RoleCreated,
        actor.user_id(),
    )
    .target(role_id)
    .details(json!({
        "name": role.name,
        "color": role.color,
        "position": role.position,
        "permissions": role.permissions,
    }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a new role")?;
    changed.retain(|r| r.role_id != role_id);
    changed.insert(0, role.clone());
    notify::roles_changed(&state, &changed).await;
    Ok(role)
}

/// Changes the fields present. `@everyone` keeps its name and position.
pub async fn update_role(
    state: AppState,
    ctx: CallerContext,
    req: UpdateRoleRequest,
) -> Result<Role, ApiError> {
    let caller = ctx.require_caller()?;
    let name = req.name.as_deref().map(RoleName::parse).transpose()?;
    let color = req.color.map(RoleColor::parse).transpose()?;
    let position = req.position.map(RolePosition::parse).transpose()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageRoles)?;
    let before = actor.role(req.role_id)?.clone();
    if before.is_everyone && req.name.is_some() {
        return Err(ApiError::invalid_request(
            "the @everyone role cannot be renamed",
        ));
    }
    if before.is_everyone && req.position.is_some() {
        return Err(ApiError::invalid_request(
            "the @everyone role cannot be moved",
        ));
    }
    actor.require_role_below(&before)?;
    if let Some(permissions) = req.permissions {
        actor.require_grantable(permissions.difference(before.permissions))?;
    }
    roles::update(
        &mut tx,
        before.role_id,
        name.as_ref().map(RoleName::as_str),
        color.map(RoleColor::get),
        req.permissions,
    )
    .await?;
    let mut changed = Vec::new();
    if let Some(position) = position {
        let new_order = order::move_to(&current_order(&actor), before.role_id, position.index());
        check_placement(&actor, &new_order, before.role_id)?;
        changed = roles::renumber(&mut tx, req.community_id, &new_order).await?;
    }
    let after = roles::list(&mut tx, req.community_id)
        .await?
        .into_iter()
        .find(|r| r.role_id == before.role_id)
        .ok_or_else(|| ApiError::not_found("role"))?;
    let details = changes::diff(&before, &after);
    if details.is_empty() {
        return Ok(after);
    }
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::RoleUpdated,
        actor.user_id(),
    )
    .target(after.role_id)
    .details(Value::Object(details));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a role update")?;
    changed.retain(|r| r.role_id != after.role_id);
    changed.insert(0, after.clone());
    notify::roles_changed(&state, &changed).await;
    Ok(after)
}

/// Deletes a role (never `@everyone`); members lose it and its overwrites go with it.
pub async fn delete_role(
    state: AppState,
    ctx: CallerContext,
    req: DeleteRoleRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let actor = Actor::load(&mut tx, req.community_id, caller.user_id, Access::Write).await?;
    actor.require(Permission::ManageRoles)?;
    let role = actor.role(req.role_id)?.clone();
    if role.is_everyone {
        return Err(ApiError::invalid_request(
            "the @everyone role cannot be deleted",
        ));
    }
    actor.require_role_below(&role)?;
    roles::delete(&mut tx, role.role_id).await?;
    let remaining: Vec<Uuid> = current_order(&actor)
        .into_iter()
        .filter(|id| *id != role.role_id)
        .collect();
    let moved = roles::renumber(&mut tx, req.community_id, &remaining).await?;
    let entry = NewEntry::new(
        req.community_id,
        CommunityAuditAction::RoleDeleted,
        actor.user_id(),
    )
    .target(role.role_id)
    .details(json!({ "name": role.name, "permissions": role.permissions }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a role deletion")?;
    notify::role_deleted(&state, req.community_id, role.role_id).await;
    notify::roles_changed(&state, &moved).await;
    Ok(Empty {})
}
