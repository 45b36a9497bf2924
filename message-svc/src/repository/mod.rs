//! SQL, one module per table group. Functions take a connection or transaction (so the handler
//! decides what is atomic). Queries are runtime-checked (`sqlx::query_as`); the pool's
//! `search_path` is the `message` schema, so table names are unqualified.

pub mod attachments;
pub mod blocks;
pub mod conversation_messages;
pub mod conversations;
pub mod edits;
pub mod mentions;
pub mod messages;
pub mod notification_levels;
pub mod pins;
pub mod push_subscriptions;
pub mod reactions;
pub mod read_states;
