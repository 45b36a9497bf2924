//! Permission overwrites on groups and channels, for roles and members.

use super::{OrInternal, bits, permission_set};
use chatalot_shared::{
    ApiError,
    contracts::{
        community::{Overwrite, OverwriteSubject, OverwriteTarget},
        permissions::PermissionSet,
    },
};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "community_id, group_id, channel_id, role_id, user_id, allow_bits, deny_bits"
    };
}

#[derive(sqlx::FromRow)]
struct OverwriteRow {
    community_id: Uuid,
    group_id: Option<Uuid>,
    channel_id: Option<Uuid>,
    role_id: Option<Uuid>,
    user_id: Option<Uuid>,
    allow_bits: i64,
    deny_bits: i64,
}

impl TryFrom<OverwriteRow> for Overwrite {
    type Error = ApiError;

    fn try_from(row: OverwriteRow) -> Result<Self, ApiError> {
        // The table's check constraints make exactly one of each pair non-null.
        let target = match (row.group_id, row.channel_id) {
            (Some(group_id), None) => OverwriteTarget::Group(group_id),
            (None, Some(channel_id)) => OverwriteTarget::Channel(channel_id),
            _ => {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "overwrite without one target"
                )));
            }
        };
        let subject = match (row.role_id, row.user_id) {
            (Some(role_id), None) => OverwriteSubject::Role(role_id),
            (None, Some(user_id)) => OverwriteSubject::Member(user_id),
            _ => {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "overwrite without one subject"
                )));
            }
        };
        Ok(Overwrite {
            community_id: row.community_id,
            target,
            subject,
            allow: permission_set(row.allow_bits),
            deny: permission_set(row.deny_bits),
        })
    }
}

fn convert(rows: Vec<OverwriteRow>) -> Result<Vec<Overwrite>, ApiError> {
    rows.into_iter().map(Overwrite::try_from).collect()
}

/// `(group_id, channel_id)` columns of a target.
fn target_columns(target: OverwriteTarget) -> (Option<Uuid>, Option<Uuid>) {
    match target {
        OverwriteTarget::Group(id) => (Some(id), None),
        OverwriteTarget::Channel(id) => (None, Some(id)),
    }
}

/// `(role_id, user_id)` columns of a subject.
fn subject_columns(subject: OverwriteSubject) -> (Option<Uuid>, Option<Uuid>) {
    match subject {
        OverwriteSubject::Role(id) => (Some(id), None),
        OverwriteSubject::Member(id) => (None, Some(id)),
    }
}

/// Every overwrite of several communities.
pub async fn list_many(
    conn: &mut PgConnection,
    community_ids: &[Uuid],
) -> Result<Vec<Overwrite>, ApiError> {
    let rows = sqlx::query_as::<_, OverwriteRow>(concat!(
        "select ",
        columns!(),
        " from overwrites where community_id = any($1) order by overwrite_id"
    ))
    .bind(community_ids)
    .fetch_all(conn)
    .await
    .or_internal("listing overwrites")?;
    convert(rows)
}

/// The overwrites on one group or channel.
pub async fn list_on(
    conn: &mut PgConnection,
    target: OverwriteTarget,
) -> Result<Vec<Overwrite>, ApiError> {
    let (group_id, channel_id) = target_columns(target);
    let rows = sqlx::query_as::<_, OverwriteRow>(concat!(
        "select ",
        columns!(),
        " from overwrites where group_id = $1 or channel_id = $2 order by overwrite_id"
    ))
    .bind(group_id)
    .bind(channel_id)
    .fetch_all(conn)
    .await
    .or_internal("listing overwrites")?;
    convert(rows)
}

/// The overwrites on a channel and on its group (what one channel answer needs).
pub async fn list_for_channel(
    conn: &mut PgConnection,
    group_id: Uuid,
    channel_id: Uuid,
) -> Result<Vec<Overwrite>, ApiError> {
    let rows = sqlx::query_as::<_, OverwriteRow>(concat!(
        "select ",
        columns!(),
        " from overwrites where group_id = $1 or channel_id = $2"
    ))
    .bind(group_id)
    .bind(channel_id)
    .fetch_all(conn)
    .await
    .or_internal("loading a channel's overwrites")?;
    convert(rows)
}

pub async fn find(
    conn: &mut PgConnection,
    target: OverwriteTarget,
    subject: OverwriteSubject,
) -> Result<Option<Overwrite>, ApiError> {
    let (group_id, channel_id) = target_columns(target);
    let (role_id, user_id) = subject_columns(subject);
    sqlx::query_as::<_, OverwriteRow>(concat!(
        "select ",
        columns!(),
        " from overwrites where coalesce(group_id, channel_id) = coalesce($1, $2) \
         and coalesce(role_id, user_id) = coalesce($3, $4)"
    ))
    .bind(group_id)
    .bind(channel_id)
    .bind(role_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading an overwrite")?
    .map(Overwrite::try_from)
    .transpose()
}

/// Creates or replaces the overwrite of `subject` on `target`. The caller has checked that
/// both belong to `community_id`; the foreign keys check it again.
pub async fn upsert(
    conn: &mut PgConnection,
    community_id: Uuid,
    target: OverwriteTarget,
    subject: OverwriteSubject,
    allow: PermissionSet,
    deny: PermissionSet,
) -> Result<Overwrite, ApiError> {
    let (group_id, channel_id) = target_columns(target);
    let (role_id, user_id) = subject_columns(subject);
    sqlx::query_as::<_, OverwriteRow>(concat!(
        "insert into overwrites (overwrite_id, community_id, group_id, channel_id, role_id, \
         user_id, allow_bits, deny_bits) values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict ((coalesce(group_id, channel_id)), (coalesce(role_id, user_id))) \
         do update set allow_bits = excluded.allow_bits, deny_bits = excluded.deny_bits \
         returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(community_id)
    .bind(group_id)
    .bind(channel_id)
    .bind(role_id)
    .bind(user_id)
    .bind(bits(allow))
    .bind(bits(deny))
    .fetch_one(conn)
    .await
    .or_internal("saving an overwrite")?
    .try_into()
}

/// Deletes the overwrite; false if there was none.
pub async fn delete(
    conn: &mut PgConnection,
    target: OverwriteTarget,
    subject: OverwriteSubject,
) -> Result<bool, ApiError> {
    let (group_id, channel_id) = target_columns(target);
    let (role_id, user_id) = subject_columns(subject);
    let deleted = sqlx::query(
        "delete from overwrites where coalesce(group_id, channel_id) = coalesce($1, $2) \
         and coalesce(role_id, user_id) = coalesce($3, $4)",
    )
    .bind(group_id)
    .bind(channel_id)
    .bind(role_id)
    .bind(user_id)
    .execute(conn)
    .await
    .or_internal("deleting an overwrite")?;
    Ok(deleted.rows_affected() > 0)
}
