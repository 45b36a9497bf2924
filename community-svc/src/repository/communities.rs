//! Communities.

use super::{OrInternal, count, enums};
use crate::domain::{CommunityName, Description, IconRef, WelcomeMessage};
use chatalot_shared::{
    ApiError,
    contracts::community::{Community, CommunityVisibility},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "community_id, name, description, icon_ref, welcome_message, visibility, owner_id, \
         member_count, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct CommunityRow {
    community_id: Uuid,
    name: String,
    description: String,
    icon_ref: Option<String>,
    welcome_message: Option<String>,
    visibility: String,
    owner_id: Uuid,
    member_count: i32,
    created_at: DateTime<Utc>,
}

impl TryFrom<CommunityRow> for Community {
    type Error = ApiError;

    fn try_from(row: CommunityRow) -> Result<Self, ApiError> {
        Ok(Community {
            visibility: enums::parse("community visibility", &row.visibility)?,
            community_id: row.community_id,
            name: row.name,
            description: row.description,
            icon_ref: row.icon_ref,
            welcome_message: row.welcome_message,
            owner_id: row.owner_id,
            member_count: count(row.member_count),
            created_at: row.created_at,
        })
    }
}

fn convert(rows: Vec<CommunityRow>) -> Result<Vec<Community>, ApiError> {
    rows.into_iter().map(Community::try_from).collect()
}

/// Inserts a community without members (the owner joins in the same transaction).
pub async fn insert(
    conn: &mut PgConnection,
    community_id: Uuid,
    name: &CommunityName,
    description: Option<&Description>,
    visibility: CommunityVisibility,
    owner_id: Uuid,
) -> Result<Community, ApiError> {
    sqlx::query_as::<_, CommunityRow>(concat!(
        "insert into communities (community_id, name, description, visibility, owner_id) \
         values ($1, $2, $3, $4, $5) returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(name.as_str())
    .bind(description.map_or("", Description::as_str))
    .bind(enums::name(visibility))
    .bind(owner_id)
    .fetch_one(conn)
    .await
    .or_internal("inserting a community")?
    .try_into()
}

pub async fn find(
    conn: &mut PgConnection,
    community_id: Uuid,
) -> Result<Option<Community>, ApiError> {
    sqlx::query_as::<_, CommunityRow>(concat!(
        "select ",
        columns!(),
        " from communities where community_id = $1"
    ))
    .bind(community_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a community")?
    .map(Community::try_from)
    .transpose()
}

/// Loads the community and locks its row until the transaction ends. Every change to a
/// community's contents takes this lock first, so changes to one community happen one at a time:
/// a join cannot slip past a concurrent ban, two role moves cannot interleave their renumbering,
/// and a hierarchy check cannot race the role change that would void it. (`no key update` does
/// not block inserts that merely reference the row.)
pub async fn lock(
    conn: &mut PgConnection,
    community_id: Uuid,
) -> Result<Option<Community>, ApiError> {
    sqlx::query_as::<_, CommunityRow>(concat!(
        "select ",
        columns!(),
        " from communities where community_id = $1 for no key update"
    ))
    .bind(community_id)
    .fetch_optional(conn)
    .await
    .or_internal("locking a community")?
    .map(Community::try_from)
    .transpose()
}

/// The communities among `community_ids`, in no particular order.
pub async fn find_many(
    conn: &mut PgConnection,
    community_ids: &[Uuid],
) -> Result<Vec<Community>, ApiError> {
    let rows = sqlx::query_as::<_, CommunityRow>(concat!(
        "select ",
        columns!(),
        " from communities where community_id = any($1)"
    ))
    .bind(community_ids)
    .fetch_all(conn)
    .await
    .or_internal("loading communities")?;
    convert(rows)
}

/// The fields an update changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Changes {
    pub name: Option<CommunityName>,
    pub description: Option<Description>,
    pub icon_ref: Option<IconRef>,
    pub welcome_message: Option<WelcomeMessage>,
    pub visibility: Option<CommunityVisibility>,
}

pub async fn update(
    conn: &mut PgConnection,
    community_id: Uuid,
    changes: &Changes,
) -> Result<Community, ApiError> {
    sqlx::query_as::<_, CommunityRow>(concat!(
        "update communities set \
         name = coalesce($2, name), \
         description = coalesce($3, description), \
         icon_ref = case when $4 then $5 else icon_ref end, \
         welcome_message = case when $6 then $7 else welcome_message end, \
         visibility = coalesce($8, visibility) \
         where community_id = $1 returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(changes.name.as_ref().map(CommunityName::as_str))
    .bind(changes.description.as_ref().map(Description::as_str))
    .bind(changes.icon_ref.is_some())
    .bind(changes.icon_ref.as_ref().and_then(IconRef::value))
    .bind(changes.welcome_message.is_some())
    .bind(
        changes
            .welcome_message
            .as_ref()
            .and_then(WelcomeMessage::value),
    )
    .bind(changes.visibility.map(enums::name))
    .fetch_one(conn)
    .await
    .or_internal("updating a community")?
    .try_into()
}

pub async fn set_owner(
    conn: &mut PgConnection,
    community_id: Uuid,
    owner_id: Uuid,
) -> Result<Community, ApiError> {
    sqlx::query_as::<_, CommunityRow>(concat!(
        "update communities set owner_id = $2 where community_id = $1 returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(owner_id)
    .fetch_one(conn)
    .await
    .or_internal("transferring a community")?
    .try_into()
}

/// Adds `delta` (negative when members leave) to the member count.
pub async fn count_members(
    conn: &mut PgConnection,
    community_id: Uuid,
    delta: i32,
) -> Result<(), ApiError> {
    sqlx::query("update communities set member_count = member_count + $2 where community_id = $1")
        .bind(community_id)
        .bind(delta)
        .execute(conn)
        .await
        .or_internal("counting members")?;
    Ok(())
}

/// Deletes the community and, by cascade, everything in it.
pub async fn delete(conn: &mut PgConnection, community_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from communities where community_id = $1")
        .bind(community_id)
        .execute(conn)
        .await
        .or_internal("deleting a community")?;
    Ok(())
}

/// Public communities whose name contains `pattern` (an `ilike` pattern), after `after`, in id
/// order (ids are UUIDv7, so oldest first).
pub async fn discover(
    conn: &mut PgConnection,
    pattern: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Community>, ApiError> {
    let rows = sqlx::query_as::<_, CommunityRow>(concat!(
        "select ",
        columns!(),
        " from communities where visibility = 'public' \
         and ($1::text is null or name ilike $1) \
         and ($2::uuid is null or community_id > $2) \
         order by community_id limit $3"
    ))
    .bind(pattern)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
    .or_internal("discovering communities")?;
    convert(rows)
}
