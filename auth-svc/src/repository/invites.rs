//! Registration invites.

use super::OrInternal;
use crate::domain::{InviteCode, InviteExpiry, InviteMaxUses};
use chatalot_shared::{ApiError, contracts::auth::RegistrationInvite};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "code, created_by, max_uses, uses, expires_at, created_at, revoked_at, \
         (expires_at is not null and expires_at <= now()) as expired"
    };
}

/// An invite as stored, with whether it has expired by the database clock.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invite {
    pub code: String,
    pub created_by: Uuid,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expired: bool,
}

impl Invite {
    pub fn is_exhausted(&self) -> bool {
        self.max_uses.is_some_and(|max| self.uses >= max)
    }

    pub fn to_contract(&self) -> RegistrationInvite {
        RegistrationInvite {
            code: self.code.clone(),
            created_by: self.created_by,
            max_uses: self.max_uses.and_then(|n| u32::try_from(n).ok()),
            uses: u32::try_from(self.uses).unwrap_or(0),
            expires_at: self.expires_at,
            created_at: self.created_at,
        }
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    code: &InviteCode,
    created_by: Uuid,
    max_uses: Option<InviteMaxUses>,
    expiry: Option<InviteExpiry>,
) -> Result<Invite, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "insert into registration_invites (code, created_by, max_uses, expires_at) \
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning ",
        columns!()
    ))
    .bind(code.as_str())
    .bind(created_by)
    .bind(max_uses.map(InviteMaxUses::get))
    .bind(expiry.map(InviteExpiry::as_secs_f64))
    .fetch_one(conn)
    .await
    .or_internal("inserting a registration invite")
}

/// Takes one use of `code` if it is still valid, in one conditional update: concurrent
/// registrations racing for the last use cannot both get it. `None` when the code is unknown,
/// revoked, expired or used up ([`find`] tells which).
pub async fn consume(
    conn: &mut PgConnection,
    code: &InviteCode,
) -> Result<Option<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "update registration_invites set uses = uses + 1 \
         where code = $1 and revoked_at is null \
         and (max_uses is null or uses < max_uses) \
         and (expires_at is null or expires_at > now()) \
         returning ",
        columns!()
    ))
    .bind(code.as_str())
    .fetch_optional(conn)
    .await
    .or_internal("consuming a registration invite")
}

pub async fn find(conn: &mut PgConnection, code: &str) -> Result<Option<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "select ",
        columns!(),
        " from registration_invites where code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await
    .or_internal("loading a registration invite")
}

/// Invites that have not been revoked (including expired and used-up ones), newest first.
pub async fn list_unrevoked(conn: &mut PgConnection) -> Result<Vec<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "select ",
        columns!(),
        " from registration_invites where revoked_at is null order by created_at desc, code"
    ))
    .fetch_all(conn)
    .await
    .or_internal("listing registration invites")
}

/// Revokes `code`; `None` if it is unknown or already revoked.
pub async fn revoke(conn: &mut PgConnection, code: &str) -> Result<Option<Invite>, ApiError> {
    sqlx::query_as::<_, Invite>(concat!(
        "update registration_invites set revoked_at = now() where code = $1 and revoked_at is null returning ",
        columns!()
    ))
    .bind(code)
    .fetch_optional(conn)
    .await
    .or_internal("revoking a registration invite")
}
