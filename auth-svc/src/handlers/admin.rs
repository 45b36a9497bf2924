//! Administration of accounts and the audit log. Every operation checks the caller's role in
//! the database, so a demotion takes effect at once, not when the access token expires.

use super::caller::authenticate;
use crate::{
    domain::PageLimit,
    notify,
    repository::{
        OrInternal,
        audit::{self, Filter, NewEntry},
        enums, sessions, users,
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::auth::{
        AdminUserView, AuditAction, AuditLogPage, InstanceRole, ListUsersRequest,
        QueryAuditLogRequest, SetUserDisabledRequest, SetUserRoleRequest, UserList,
    },
    rpc::CallerContext,
};
use serde_json::json;

/// Accounts in creation order, a page at a time.
pub async fn list_users(
    state: AppState,
    ctx: CallerContext,
    req: ListUsersRequest,
) -> Result<UserList, ApiError> {
    let limit = PageLimit::parse(req.limit)?;
    let mut conn = state.connection().await?;
    authenticate(&mut conn, &ctx).await?.require_admin()?;
    let users = users::list_page(&mut conn, req.after, limit.as_i64()).await?;
    let next_cursor = full_page_cursor(&users, limit, |user| user.user_id);
    Ok(UserList {
        users: users.iter().map(users::User::admin_view).collect(),
        next_cursor,
    })
}

/// Disables an account (ending all its sessions at once) or enables it again. Nobody can
/// disable the owner, and an administrator cannot lock themself out.
pub async fn set_user_disabled(
    state: AppState,
    ctx: CallerContext,
    req: SetUserDisabledRequest,
) -> Result<AdminUserView, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    caller.require_admin()?;
    let target = users::find_for_update(&mut tx, req.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if req.disabled && target.role == InstanceRole::Owner {
        return Err(ApiError::forbidden(
            "the owner's account cannot be disabled",
        ));
    }
    if req.disabled && target.user_id == caller.user_id {
        return Err(ApiError::forbidden("you cannot disable your own account"));
    }
    let was_disabled = target.is_disabled();
    let updated = users::set_disabled(&mut tx, target.user_id, req.disabled)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let revoked = if req.disabled {
        sessions::revoke_all(&mut tx, target.user_id, None, "user_disabled").await?
    } else {
        Vec::new()
    };
    if was_disabled != req.disabled {
        let action = if req.disabled {
            AuditAction::UserDisabled
        } else {
            AuditAction::UserEnabled
        };
        let entry = NewEntry::new(action, &ctx)
            .actor(caller.user_id)
            .target(target.user_id)
            .details(json!({ "username": target.username, "sessions_revoked": revoked.len() }));
        audit::record(&mut tx, entry).await?;
    }
    tx.commit()
        .await
        .or_internal("committing a user's disabled state")?;
    notify::sessions_revoked(&state, target.user_id, revoked).await;
    Ok(updated.admin_view())
}

/// Makes an account admin or member (owner only). Ownership cannot be granted and the owner's
/// own role cannot change, so the instance always has exactly one owner.
pub async fn set_user_role(
    state: AppState,
    ctx: CallerContext,
    req: SetUserRoleRequest,
) -> Result<AdminUserView, ApiError> {
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    caller.require_owner()?;
    if req.role == InstanceRole::Owner {
        return Err(ApiError::invalid_request(
            "the owner role cannot be granted",
        ));
    }
    let target = users::find_for_update(&mut tx, req.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if target.user_id == caller.user_id || target.role == InstanceRole::Owner {
        return Err(ApiError::invalid_request(
            "the owner's own role cannot be changed",
        ));
    }
    let updated = users::set_role(&mut tx, target.user_id, req.role)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if target.role != req.role {
        let entry = NewEntry::new(AuditAction::UserRoleChanged, &ctx)
            .actor(caller.user_id)
            .target(target.user_id)
            .details(json!({
                "username": target.username,
                "from": enums::role_name(target.role),
                "to": enums::role_name(req.role),
            }));
        audit::record(&mut tx, entry).await?;
    }
    tx.commit().await.or_internal("committing a role change")?;
    Ok(updated.admin_view())
}

/// Audit entries, newest first, filtered by action, actor and target.
pub async fn query_audit_log(
    state: AppState,
    ctx: CallerContext,
    req: QueryAuditLogRequest,
) -> Result<AuditLogPage, ApiError> {
    let limit = PageLimit::parse(req.limit)?;
    let mut conn = state.connection().await?;
    authenticate(&mut conn, &ctx).await?.require_admin()?;
    let filter = Filter {
        action: req.action,
        actor_id: req.actor_id,
        target_id: req.target_id,
        before: req.before,
    };
    let entries = audit::query(&mut conn, &filter, limit.as_i64()).await?;
    let next_cursor = full_page_cursor(&entries, limit, |entry| entry.entry_id);
    Ok(AuditLogPage {
        entries,
        next_cursor,
    })
}

/// The id of the last item when the page is full (there may be more); `None` otherwise.
fn full_page_cursor<T>(
    items: &[T],
    limit: PageLimit,
    id: impl Fn(&T) -> uuid::Uuid,
) -> Option<uuid::Uuid> {
    let full = usize::try_from(limit.get()).is_ok_and(|limit| items.len() >= limit);
    if full { items.last().map(id) } else { None }
}
