//! SQL, one module per table group. Functions take a connection or transaction (so the handler
//! decides what is atomic). Queries are runtime-checked (`sqlx::query_as`); the pool's
//! `search_path` is the `message` schema, so table names are unqualified.

pub mod attachments;
