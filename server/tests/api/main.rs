//! End-to-end tests: real gateways and services in-process, real PostgreSQL, NATS and Redis,
//! driven over real HTTP and WebSocket connections.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod accounts;
mod admin;
mod bad_input;
mod communities;
mod community_authz;
mod community_bad_input;
mod community_invites;
mod community_layout;
mod community_live;
mod community_members;
mod community_permissions;
mod helpers;
mod instance;
mod resilience;
mod services;
mod sessions;
mod throttling;
mod websocket;
