//! SQL, one module per table group. Functions take a connection or transaction (the handler
//! decides what is atomic). Queries are runtime-checked (`sqlx::query_as`) like the other
//! services', because the workspace has no offline `.sqlx/` data yet; the pool's `search_path`
//! is the `keys` schema.

pub mod devices;
pub mod prekeys;

/// The unique constraint (or unique index) `err` violated, if that is what it is.
fn violated_unique_constraint(err: &sqlx::Error) -> Option<&str> {
    let db = err.as_database_error()?;
    if db.is_unique_violation() {
        db.constraint()
    } else {
        None
    }
}

/// A client-chosen key id, stored in `bigint`.
fn key_id_from_db(value: i64) -> u32 {
    u32::try_from(value).unwrap_or_default()
}
