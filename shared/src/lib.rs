//! What every Chatalot process needs, and nothing more.
//!
//! The gateway and each service are separate binaries (or share one process in the all-in-one
//! runner). They agree on a few things, and those live here:
//!
//! ## Layout
//! - [`config`]: the typed, layered configuration (defaults, file, `CHATALOT_*` variables).
//! - [`secret`]: a string that never prints.
//! - [`telemetry`]: logging setup and the Prometheus registry.
//! - [`error`]: the one error model, with stable snake_case codes used over HTTP, WebSocket and NATS.
//! - [`subjects`]: every NATS subject string, built under a configurable namespace.
//! - [`contracts`]: every request, response and event as a typed serde struct.
//! - [`rpc`]: NATS request/reply with queue groups, timeouts and caller identity headers.
//! - [`events`]: publishing events, serialised once as the frame clients receive.
//! - [`invites`]: invite codes and their limits (registration and community invites).
//! - [`db`]: the PostgreSQL pool and per-service migrations under an advisory lock.
//! - [`cache`]: the Redis connection and key prefixing.
//! - [`liveness`]: the Redis key by which a gateway says it is alive (presence, calls).
//! - [`process`]: connecting the infrastructure, the admin port, shutdown on SIGTERM.
//! - [`runtime`]: the connections a service replica opens at start-up.

pub mod cache;
pub mod config;
pub mod contracts;
pub mod db;
pub mod error;
pub mod events;
pub mod invites;
pub mod liveness;
pub mod process;
pub mod rpc;
pub mod runtime;
pub mod secret;
pub mod subjects;
pub mod telemetry;

pub use error::{ApiError, ErrorCode};
