//! Accounts.

use super::{OrInternal, enums, violated_unique_constraint};
use crate::domain::{DisplayName, Email, Username};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::auth::{AdminUserView, InstanceRole, UserProfile},
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The unique index on `lower(username)` (migration 0001).
const USERNAME_UNIQUE: &str = "users_username_lower_key";

macro_rules! columns {
    () => {
        "user_id, username, email, password_hash, display_name, role, disabled_at, created_at"
    };
}

/// An account as stored. Deliberately not `Debug`: it holds the password hash.
#[derive(Clone)]
pub struct User {
    pub user_id: Uuid,
    pub username: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub display_name: String,
    pub role: InstanceRole,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    pub fn profile(&self) -> UserProfile {
        UserProfile {
            user_id: self.user_id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role,
            created_at: self.created_at,
        }
    }

    pub fn admin_view(&self) -> AdminUserView {
        AdminUserView {
            user_id: self.user_id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role,
            disabled: self.is_disabled(),
            created_at: self.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    user_id: Uuid,
    username: String,
    email: Option<String>,
    password_hash: String,
    display_name: String,
    role: String,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;

    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(Self {
            role: enums::parse_role(&row.role)?,
            user_id: row.user_id,
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            display_name: row.display_name,
            disabled_at: row.disabled_at,
            created_at: row.created_at,
        })
    }
}

/// A new account.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub email: Option<&'a Email>,
    pub password_hash: &'a str,
    pub display_name: &'a DisplayName,
    pub role: InstanceRole,
}

/// Inserts an account; `username_taken` if the name exists in any case.
pub async fn insert(conn: &mut PgConnection, new: NewUser<'_>) -> Result<User, ApiError> {
    let row = sqlx::query_as::<_, UserRow>(concat!(
        "insert into users (user_id, username, email, password_hash, display_name, role) \
         values ($1, $2, $3, $4, $5, $6) returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(new.username.as_str())
    .bind(new.email.map(Email::as_str))
    .bind(new.password_hash)
    .bind(new.display_name.as_str())
    .bind(enums::role_name(new.role))
    .fetch_one(conn)
    .await;
    match row {
        Ok(row) => row.try_into(),
        Err(err) if violated_unique_constraint(&err) == Some(USERNAME_UNIQUE) => Err(
            ApiError::new(ErrorCode::UsernameTaken, "this username is taken"),
        ),
        Err(err) => Err(err).or_internal("inserting a user"),
    }
}

/// True when at least one account exists.
pub async fn any_exist(conn: &mut PgConnection) -> Result<bool, ApiError> {
    sqlx::query_scalar("select exists (select 1 from users)")
        .fetch_one(conn)
        .await
        .or_internal("checking whether any user exists")
}

pub async fn find(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "select ",
        columns!(),
        " from users where user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a user")?
    .map(User::try_from)
    .transpose()
}

/// Loads and locks an account for a change that depends on its current state.
pub async fn find_for_update(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "select ",
        columns!(),
        " from users where user_id = $1 for update"
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await
    .or_internal("locking a user")?
    .map(User::try_from)
    .transpose()
}

/// Looks an account up by name, ignoring case (uses the `lower(username)` index).
pub async fn find_by_username(
    conn: &mut PgConnection,
    username: &str,
) -> Result<Option<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "select ",
        columns!(),
        " from users where lower(username) = lower($1)"
    ))
    .bind(username)
    .fetch_optional(conn)
    .await
    .or_internal("looking up a user by name")?
    .map(User::try_from)
    .transpose()
}

pub async fn set_display_name(
    conn: &mut PgConnection,
    user_id: Uuid,
    display_name: &DisplayName,
) -> Result<Option<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "update users set display_name = $2 where user_id = $1 returning ",
        columns!()
    ))
    .bind(user_id)
    .bind(display_name.as_str())
    .fetch_optional(conn)
    .await
    .or_internal("updating a display name")?
    .map(User::try_from)
    .transpose()
}

pub async fn set_password_hash(
    conn: &mut PgConnection,
    user_id: Uuid,
    password_hash: &str,
) -> Result<(), ApiError> {
    sqlx::query("update users set password_hash = $2 where user_id = $1")
        .bind(user_id)
        .bind(password_hash)
        .execute(conn)
        .await
        .or_internal("updating a password hash")?;
    Ok(())
}

/// Disables (keeping the first time it was disabled) or re-enables an account.
pub async fn set_disabled(
    conn: &mut PgConnection,
    user_id: Uuid,
    disabled: bool,
) -> Result<Option<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "update users set disabled_at = case when $2 then coalesce(disabled_at, now()) end \
         where user_id = $1 returning ",
        columns!()
    ))
    .bind(user_id)
    .bind(disabled)
    .fetch_optional(conn)
    .await
    .or_internal("disabling or enabling a user")?
    .map(User::try_from)
    .transpose()
}

pub async fn set_role(
    conn: &mut PgConnection,
    user_id: Uuid,
    role: InstanceRole,
) -> Result<Option<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "update users set role = $2 where user_id = $1 returning ",
        columns!()
    ))
    .bind(user_id)
    .bind(enums::role_name(role))
    .fetch_optional(conn)
    .await
    .or_internal("changing a user's role")?
    .map(User::try_from)
    .transpose()
}

/// Accounts after `after` (exclusive), oldest first: user ids are UUIDv7, so id order is
/// creation order and the id itself is the cursor.
pub async fn list_page(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "select ",
        columns!(),
        " from users where ($1::uuid is null or user_id > $1) order by user_id limit $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
    .or_internal("listing users")?
    .into_iter()
    .map(User::try_from)
    .collect()
}

/// The accounts among `user_ids` (unknown ids are left out).
pub async fn find_many(conn: &mut PgConnection, user_ids: &[Uuid]) -> Result<Vec<User>, ApiError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "select ",
        columns!(),
        " from users where user_id = any($1) order by user_id"
    ))
    .bind(user_ids)
    .fetch_all(conn)
    .await
    .or_internal("loading users")?
    .into_iter()
    .map(User::try_from)
    .collect()
}

/// Serialises the "is this the first account?" decision: two registrations on an empty
/// instance must not both see no users and both become owner. Held until the transaction ends.
pub async fn lock_first_account_decision(conn: &mut PgConnection) -> Result<(), ApiError> {
    /// An arbitrary constant, unique among auth-svc's advisory locks ("ownrlock").
    const FIRST_ACCOUNT_LOCK: i64 = 0x6f77_6e72_6c6f_636b;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(FIRST_ACCOUNT_LOCK)
        .execute(conn)
        .await
        .or_internal("taking the first-account lock")?;
    Ok(())
}
