//! SQL, one module per table group. Functions take a connection or transaction (so the handler
//! decides what is atomic) and return domain or contract types. Queries are runtime-checked
//! (`sqlx::query_as`) because the workspace has no offline `.sqlx/` data yet; the pool's
//! `search_path` is the `auth` schema, so table names are unqualified.

pub mod audit;
pub mod enums;
pub mod instance;
pub mod invites;
pub mod refresh_tokens;
pub mod sessions;
pub mod users;

use chatalot_shared::ApiError;

/// Turns a database failure into the generic `internal` error, logging it once with what was
/// being done.
pub trait OrInternal<T> {
    fn or_internal(self, doing: &'static str) -> Result<T, ApiError>;
}

impl<T> OrInternal<T> for Result<T, sqlx::Error> {
    fn or_internal(self, doing: &'static str) -> Result<T, ApiError> {
        self.map_err(|err| ApiError::internal(anyhow::Error::new(err).context(doing)))
    }
}

/// The unique constraint (or unique index) `err` violated, if that is what it is.
fn violated_unique_constraint(err: &sqlx::Error) -> Option<&str> {
    let db = err.as_database_error()?;
    if db.is_unique_violation() {
        db.constraint()
    } else {
        None
    }
}
