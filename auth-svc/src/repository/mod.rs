//! SQL, one module per table group. Functions take a connection or transaction (so the handler
//! decides what is atomic) and return domain or contract types. Queries are runtime-checked
//! (`sqlx::query_as`) because the workspace has no offline `.sqlx/` data yet; the pool's
//! `search_path` is the `auth` schema, so table names are unqualified.

pub mod audit;
pub mod enums;
pub mod instance;
pub mod invites;
pub mod presence;
pub mod refresh_tokens;
pub mod sessions;
pub mod users;

pub use chatalot_shared::db::OrInternal;

/// The unique constraint (or unique index) `err` violated, if that is what it is.
fn violated_unique_constraint(err: &sqlx::Error) -> Option<&str> {
    let db = err.as_database_error()?;
    if db.is_unique_violation() {
        db.constraint()
    } else {
        None
    }
}
