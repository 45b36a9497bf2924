//! Members and their roles.

use super::OrInternal;
use chatalot_shared::{
    ApiError,
    contracts::{auth::UserSummary, community::Member},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A member's columns, with their role ids (highest first) gathered in the same query.
macro_rules! columns {
    () => {
        "m.community_id, m.user_id, m.username, m.display_name, m.nickname, \
         array(select mr.role_id from member_roles mr join roles r on r.role_id = mr.role_id \
               where mr.community_id = m.community_id and mr.user_id = m.user_id \
               order by r.position desc) as role_ids, \
         m.joined_at, m.timed_out_until"
    };
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    community_id: Uuid,
    user_id: Uuid,
    username: String,
    display_name: String,
    nickname: Option<String>,
    role_ids: Vec<Uuid>,
    joined_at: DateTime<Utc>,
    timed_out_until: Option<DateTime<Utc>>,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Member {
            community_id: row.community_id,
            user_id: row.user_id,
            username: row.username,
            display_name: row.display_name,
            nickname: row.nickname,
            role_ids: row.role_ids,
            joined_at: row.joined_at,
            timed_out_until: row.timed_out_until,
        }
    }
}

fn convert(rows: Vec<MemberRow>) -> Vec<Member> {
    rows.into_iter().map(Member::from).collect()
}

pub async fn find(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Member>, ApiError> {
    let row = sqlx::query_as::<_, MemberRow>(concat!(
        "select ",
        columns!(),
        " from members m where m.community_id = $1 and m.user_id = $2"
    ))
    .bind(community_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a member")?;
    Ok(row.map(Member::from))
}

/// The members of `community_id` among `user_ids` (non-members are left out).
pub async fn find_many(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_ids: &[Uuid],
) -> Result<Vec<Member>, ApiError> {
    let rows = sqlx::query_as::<_, MemberRow>(concat!(
        "select ",
        columns!(),
        " from members m where m.community_id = $1 and m.user_id = any($2) order by m.user_id"
    ))
    .bind(community_id)
    .bind(user_ids)
    .fetch_all(conn)
    .await
    .or_internal("loading members")?;
    Ok(convert(rows))
}

/// Every membership of one user, in the order they joined.
pub async fn memberships_of(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<Member>, ApiError> {
    let rows = sqlx::query_as::<_, MemberRow>(concat!(
        "select ",
        columns!(),
        " from members m where m.user_id = $1 order by m.joined_at, m.community_id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing a user's memberships")?;
    Ok(convert(rows))
}

/// A page of members in user id order, optionally those whose username, display name or
/// nickname matches `pattern` (an `ilike` pattern).
pub async fn list_page(
    conn: &mut PgConnection,
    community_id: Uuid,
    pattern: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Member>, ApiError> {
    let rows = sqlx::query_as::<_, MemberRow>(concat!(
        "select ",
        columns!(),
        " from members m where m.community_id = $1 \
         and ($2::text is null or m.username ilike $2 or m.display_name ilike $2 \
              or m.nickname ilike $2) \
         and ($3::uuid is null or m.user_id > $3) \
         order by m.user_id limit $4"
    ))
    .bind(community_id)
    .bind(pattern)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
    .or_internal("listing members")?;
    Ok(convert(rows))
}

/// Every member's user id (to tell each of them when the community goes).
pub async fn user_ids(conn: &mut PgConnection, community_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    sqlx::query_scalar("select user_id from members where community_id = $1")
        .bind(community_id)
        .fetch_all(conn)
        .await
        .or_internal("listing member ids")
}

/// Adds `user` to the community with no roles but `@everyone`.
pub async fn insert(
    conn: &mut PgConnection,
    community_id: Uuid,
    user: &UserSummary,
) -> Result<Member, ApiError> {
    let row = sqlx::query_as::<_, MemberRow>(concat!(
        "insert into members as m (community_id, user_id, username, display_name) \
         values ($1, $2, $3, $4) returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(user.user_id)
    .bind(&user.username)
    .bind(&user.display_name)
    .fetch_one(conn)
    .await
    .or_internal("inserting a member")?;
    Ok(row.into())
}

/// Removes a member (their roles and member overwrites go with them); false if they were not one.
pub async fn delete(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
) -> Result<bool, ApiError> {
    let deleted = sqlx::query("delete from members where community_id = $1 and user_id = $2")
        .bind(community_id)
        .bind(user_id)
        .execute(conn)
        .await
        .or_internal("removing a member")?;
    Ok(deleted.rows_affected() > 0)
}

pub async fn set_nickname(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
    nickname: Option<&str>,
) -> Result<Member, ApiError> {
    let row = sqlx::query_as::<_, MemberRow>(concat!(
        "update members as m set nickname = $3 where m.community_id = $1 and m.user_id = $2 \
         returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(user_id)
    .bind(nickname)
    .fetch_one(conn)
    .await
    .or_internal("setting a nickname")?;
    Ok(row.into())
}

pub async fn set_timeout(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
    until: Option<DateTime<Utc>>,
) -> Result<Member, ApiError> {
    let row = sqlx::query_as::<_, MemberRow>(concat!(
        "update members as m set timed_out_until = $3 \
         where m.community_id = $1 and m.user_id = $2 returning ",
        columns!()
    ))
    .bind(community_id)
    .bind(user_id)
    .bind(until)
    .fetch_one(conn)
    .await
    .or_internal("setting a timeout")?;
    Ok(row.into())
}

/// Gives the member a role; false if they already had it.
pub async fn add_role(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
    role_id: Uuid,
) -> Result<bool, ApiError> {
    let inserted = sqlx::query(
        "insert into member_roles (community_id, user_id, role_id) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(community_id)
    .bind(user_id)
    .bind(role_id)
    .execute(conn)
    .await
    .or_internal("assigning a role")?;
    Ok(inserted.rows_affected() > 0)
}

/// Takes a role from the member; false if they did not have it.
pub async fn remove_role(
    conn: &mut PgConnection,
    community_id: Uuid,
    user_id: Uuid,
    role_id: Uuid,
) -> Result<bool, ApiError> {
    let deleted = sqlx::query(
        "delete from member_roles where community_id = $1 and user_id = $2 and role_id = $3",
    )
    .bind(community_id)
    .bind(user_id)
    .bind(role_id)
    .execute(conn)
    .await
    .or_internal("removing a role")?;
    Ok(deleted.rows_affected() > 0)
}

/// Copies a user's new username and display name into each of their memberships; returns the
/// memberships that changed.
pub async fn refresh_profile(
    conn: &mut PgConnection,
    user: &UserSummary,
) -> Result<Vec<Member>, ApiError> {
    let rows = sqlx::query_as::<_, MemberRow>(concat!(
        "update members as m set username = $2, display_name = $3 \
         where m.user_id = $1 and (m.username <> $2 or m.display_name <> $3) returning ",
        columns!()
    ))
    .bind(user.user_id)
    .bind(&user.username)
    .bind(&user.display_name)
    .fetch_all(conn)
    .await
    .or_internal("refreshing a member's profile")?;
    Ok(convert(rows))
}
