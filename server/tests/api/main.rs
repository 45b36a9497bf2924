//! End-to-end tests: real gateways and services in-process, real PostgreSQL, NATS and Redis,
//! driven over real HTTP and WebSocket connections.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod accounts;
mod admin;
mod bad_input;
mod helpers;
mod instance;
mod resilience;
mod services;
mod sessions;
mod throttling;
mod websocket;
