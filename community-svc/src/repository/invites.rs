//! Community invite codes.

use super::{OrInternal, count};
use crate::domain::{InviteCode, InviteExpiry, InviteMaxUses, invite::InviteState};
use chatalot_shared::{ApiError, contracts::community::CommunityInvite};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "code, community_id, created_by, max_uses, uses, expires_at, created_at, revoked_at, \
         (expires_at is not null and expires_at <= now()) as expired"
    };
}

/// An invite as stored, with whether it has expired by the database clock.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invite {
    pub code: String,
    pub community_id: Uuid,
    pub created_by: Uuid,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expired: bool,
}

impl Invite {
    pub fn state(&self) -> InviteState {
        InviteState {
            revoked: self.revoked_at.is_some(),
            expired: self.expired,
            exhausted: self.max_uses.is_some_and(|max| self.uses >= max),
        }
    }

    pub fn to_contract(&self) -> CommunityInvite {
        CommunityInvite {
            code: self.code.clone(),
            community_id: self.community_id,
            created_by: self.created_by,
            max_uses: self.max_uses.map(count),
            uses: count(self.uses),
            expires_at: self.expires_at,
            created_at: self.created_at,
        }
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    code: &InviteCode,
    community_id: Uuid,
    created_by: Uuid,
    max_uses: Option<InviteMaxUses>,
    expiry: Option<InviteExpiry>,
) -> Result<Invite, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "insert into invites (code, community_id, created_by, max_uses, expires_at) \
         values ($1, $2, $3, $4, now() + make_interval(secs => $5)) returning ",
        columns!()
    ))
    .bind(code.as_str())
    .bind(community_id)
    .bind(created_by)
    .bind(max_uses.map(InviteMaxUses::get))
    .bind(expiry.map(InviteExpiry::as_secs_f64))
    .fetch_one(conn)
    .await
    .or_internal("inserting an invite")
}

/// Takes one use of `code` if it is still valid, in one conditional update: people racing for
/// the last use cannot both get it. `None` when the code is unknown, revoked, expired or used
/// up ([`find`] tells which).
pub async fn consume(
    conn: &mut PgConnection,
    code: &InviteCode,
) -> Result<Option<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "update invites set uses = uses + 1 \
         where code = $1 and revoked_at is null \
         and (max_uses is null or uses < max_uses) \
         and (expires_at is null or expires_at > now()) \
         returning ",
        columns!()
    ))
    .bind(code.as_str())
    .fetch_optional(conn)
    .await
    .or_internal("consuming an invite")
}

pub async fn find(conn: &mut PgConnection, code: &InviteCode) -> Result<Option<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "select ",
        columns!(),
        " from invites where code = $1"
    ))
    .bind(code.as_str())
    .fetch_optional(conn)
    .await
    .or_internal("loading an invite")
}

/// The community's invites that have not been revoked (expired and used-up ones included, so
/// managers see them), newest first.
pub async fn list_unrevoked(
    conn: &mut PgConnection,
    community_id: Uuid,
) -> Result<Vec<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "select ",
        columns!(),
        " from invites where community_id = $1 and revoked_at is null \
         order by created_at desc, code"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
    .or_internal("listing invites")
}

/// Revokes `code`; `None` if it is unknown, of another community, or already revoked.
pub async fn revoke(
    conn: &mut PgConnection,
    community_id: Uuid,
    code: &InviteCode,
) -> Result<Option<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "update invites set revoked_at = now() \
         where code = $1 and community_id = $2 and revoked_at is null returning ",
        columns!()
    ))
    .bind(code.as_str())
    .bind(community_id)
    .fetch_optional(conn)
    .await
    .or_internal("revoking an invite")
}
