//! Roles. Positions are distinct per community (checked at commit) and kept compact by
//! [`renumber`].

use super::{OrInternal, bits, count, permission_set};
use chatalot_shared::{
    ApiError, contracts::community::Role, contracts::permissions::PermissionSet,
};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "roles.role_id, roles.community_id, roles.name, roles.color, roles.position, \
         roles.permissions"
    };
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    role_id: Uuid,
    community_id: Uuid,
    name: String,
    color: i32,
    position: i32,
    permissions: i64,
}

impl From<RoleRow> for Role {
    fn from(row: RoleRow) -> Self {
        Role {
            is_everyone: row.role_id == row.community_id,
            role_id: row.role_id,
            community_id: row.community_id,
            name: row.name,
            color: count(row.color),
            position: row.position,
            permissions: permission_set(row.permissions),
        }
    }
}

fn convert(rows: Vec<RoleRow>) -> Vec<Role> {
    rows.into_iter().map(Role::from).collect()
}

/// The community's roles, lowest first (`@everyone` at 0).
pub async fn list(conn: &mut PgConnection, community_id: Uuid) -> Result<Vec<Role>, ApiError> {
    let rows = sqlx::query_as::<_, RoleRow>(concat!(
        "select ",
        columns!(),
        " from roles where community_id = $1 order by position"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
    .or_internal("listing roles")?;
    Ok(convert(rows))
}

/// The roles of several communities, by community then position.
pub async fn list_many(
    conn: &mut PgConnection,
    community_ids: &[Uuid],
) -> Result<Vec<Role>, ApiError> {
    let rows = sqlx::query_as::<_, RoleRow>(concat!(
        "select ",
        columns!(),
        " from roles where community_id = any($1) order by community_id, position"
    ))
    .bind(community_ids)
    .fetch_all(conn)
    .await
    .or_internal("listing roles")?;
    Ok(convert(rows))
}

/// A new role. `position` is provisional: the caller renumbers right after.
pub struct NewRole<'a> {
    pub role_id: Uuid,
    pub community_id: Uuid,
    pub name: &'a str,
    pub color: i32,
    pub position: i32,
    pub permissions: PermissionSet,
}

pub async fn insert(conn: &mut PgConnection, new: NewRole<'_>) -> Result<Role, ApiError> {
    sqlx::query_as::<_, RoleRow>(concat!(
        "insert into roles (role_id, community_id, name, color, position, permissions) \
         values ($1, $2, $3, $4, $5, $6) returning ",
        columns!()
    ))
    .bind(new.role_id)
    .bind(new.community_id)
    .bind(new.name)
    .bind(new.color)
    .bind(new.position)
    .bind(bits(new.permissions))
    .fetch_one(conn)
    .await
    .or_internal("inserting a role")
    .map(Role::from)
}

/// Changes the fields given; `None` leaves a field as it is.
pub async fn update(
    conn: &mut PgConnection,
    role_id: Uuid,
    name: Option<&str>,
    color: Option<i32>,
    permissions: Option<PermissionSet>,
) -> Result<Role, ApiError> {
    sqlx::query_as::<_, RoleRow>(concat!(
        "update roles set name = coalesce($2, name), color = coalesce($3, color), \
         permissions = coalesce($4, permissions) where role_id = $1 returning ",
        columns!()
    ))
    .bind(role_id)
    .bind(name)
    .bind(color)
    .bind(permissions.map(bits))
    .fetch_one(conn)
    .await
    .or_internal("updating a role")
    .map(Role::from)
}

/// Deletes a role; its assignments and overwrites go with it (cascade).
pub async fn delete(conn: &mut PgConnection, role_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from roles where role_id = $1")
        .bind(role_id)
        .execute(conn)
        .await
        .or_internal("deleting a role")?;
    Ok(())
}

/// Gives the roles of `order` the positions 0, 1, 2, ... in one statement; returns the roles
/// whose position changed.
pub async fn renumber(
    conn: &mut PgConnection,
    community_id: Uuid,
    order: &[Uuid],
) -> Result<Vec<Role>, ApiError> {
    let rows = sqlx::query_as::<_, RoleRow>(concat!(
        "update roles set position = (o.n - 1)::integer \
         from unnest($2::uuid[]) with ordinality as o(role_id, n) \
         where roles.community_id = $1 and roles.role_id = o.role_id \
         and roles.position <> o.n - 1 returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(order)
    .fetch_all(conn)
    .await
    .or_internal("renumbering roles")?;
    Ok(convert(rows))
}
