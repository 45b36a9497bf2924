//! End-to-end tests: real gateways and services in-process, real PostgreSQL, NATS and Redis,
//! driven over real HTTP and WebSocket connections.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod accounts;
mod admin;
mod api_fuzz_findings;
mod attachments;
mod authz_sweep;
mod bad_input;
mod bench;
mod calls;
mod communities;
mod community_authz;
mod community_bad_input;
mod community_invites;
mod community_layout;
mod community_live;
mod community_members;
mod community_permissions;
mod conversations;
mod delivery;
mod e2e_client;
mod e2e_conversations;
mod helpers;
mod http_security;
mod instance;
mod keys;
mod messages_access;
mod messages_bad_input;
mod messages_history;
mod messages_live;
mod messages_read;
mod messages_search;
mod messages_send;
mod messages_support;
mod nats_cluster;
mod presence;
mod push;
mod resilience;
mod rolling_restart;
mod services;
mod sessions;
mod throttling;
mod upgrade;
mod web;
mod websocket;
