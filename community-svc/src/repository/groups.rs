//! Groups (sections of a community). Positions are distinct per community (checked at commit)
//! and kept compact by [`renumber`].

use super::{OrInternal, enums};
use crate::domain::GroupName;
use chatalot_shared::{
    ApiError,
    contracts::community::{Group, GroupVisibility},
};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "groups.group_id, groups.community_id, groups.name, groups.visibility, groups.position"
    };
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    group_id: Uuid,
    community_id: Uuid,
    name: String,
    visibility: String,
    position: i32,
}

impl TryFrom<GroupRow> for Group {
    type Error = ApiError;

    fn try_from(row: GroupRow) -> Result<Self, ApiError> {
        Ok(Group {
            visibility: enums::parse("group visibility", &row.visibility)?,
            group_id: row.group_id,
            community_id: row.community_id,
            name: row.name,
            position: row.position,
        })
    }
}

fn convert(rows: Vec<GroupRow>) -> Result<Vec<Group>, ApiError> {
    rows.into_iter().map(Group::try_from).collect()
}

/// The community's groups in order.
pub async fn list(conn: &mut PgConnection, community_id: Uuid) -> Result<Vec<Group>, ApiError> {
    list_many(conn, &[community_id]).await
}

/// The groups of several communities, by community then position.
pub async fn list_many(
    conn: &mut PgConnection,
    community_ids: &[Uuid],
) -> Result<Vec<Group>, ApiError> {
    let rows = sqlx::query_as::<_, GroupRow>(concat!(
        "select ",
        columns!(),
        " from groups where community_id = any($1) order by community_id, position"
    ))
    .bind(community_ids)
    .fetch_all(conn)
    .await
    .or_internal("listing groups")?;
    convert(rows)
}

/// The group, if it is in `community_id` (a group of another community is not found).
pub async fn find(
    conn: &mut PgConnection,
    community_id: Uuid,
    group_id: Uuid,
) -> Result<Option<Group>, ApiError> {
    sqlx::query_as::<_, GroupRow>(concat!(
        "select ",
        columns!(),
        " from groups where group_id = $1 and community_id = $2"
    ))
    .bind(group_id)
    .bind(community_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a group")?
    .map(Group::try_from)
    .transpose()
}

/// Adds a group after the community's last one.
pub async fn insert(
    conn: &mut PgConnection,
    community_id: Uuid,
    name: &GroupName,
    visibility: GroupVisibility,
) -> Result<Group, ApiError> {
    sqlx::query_as::<_, GroupRow>(concat!(
        "insert into groups (group_id, community_id, name, visibility, position) \
         values ($1, $2, $3, $4, \
         (select coalesce(max(position) + 1, 0) from groups where community_id = $2)) \
         returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(community_id)
    .bind(name.as_str())
    .bind(enums::name(visibility))
    .fetch_one(conn)
    .await
    .or_internal("inserting a group")?
    .try_into()
}

pub async fn update(
    conn: &mut PgConnection,
    group_id: Uuid,
    name: Option<&GroupName>,
    visibility: Option<GroupVisibility>,
) -> Result<Group, ApiError> {
    sqlx::query_as::<_, GroupRow>(concat!(
        "update groups set name = coalesce($2, name), visibility = coalesce($3, visibility) \
         where group_id = $1 returning ",
        columns!()
    ))
    .bind(group_id)
    .bind(name.map(GroupName::as_str))
    .bind(visibility.map(enums::name))
    .fetch_one(conn)
    .await
    .or_internal("updating a group")?
    .try_into()
}

/// Deletes a group; its channels and overwrites go with it (cascade).
pub async fn delete(conn: &mut PgConnection, group_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from groups where group_id = $1")
        .bind(group_id)
        .execute(conn)
        .await
        .or_internal("deleting a group")?;
    Ok(())
}

/// Gives the groups of `order` the positions 0, 1, 2, ...; returns the groups that moved.
pub async fn renumber(
    conn: &mut PgConnection,
    community_id: Uuid,
    order: &[Uuid],
) -> Result<Vec<Group>, ApiError> {
    let rows = sqlx::query_as::<_, GroupRow>(concat!(
        "update groups set position = (o.n - 1)::integer \
         from unnest($2::uuid[]) with ordinality as o(group_id, n) \
         where groups.community_id = $1 and groups.group_id = o.group_id \
         and groups.position <> o.n - 1 returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(order)
    .fetch_all(conn)
    .await
    .or_internal("renumbering groups")?;
    convert(rows)
}
