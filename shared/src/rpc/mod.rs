//! NATS request/reply between the gateway and the services.
//!
//! A call carries its payload as JSON and the caller's identity in headers; the reply is
//! [`Reply`]: `{"ok": response}` or `{"error": ApiError}`. Services serve each operation through
//! the async-nats Service API with one queue group per service, so replicas share the load and
//! show up in NATS service discovery.

pub mod client;
pub mod server;

use crate::error::{ApiError, ErrorCode};
use async_nats::HeaderMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use client::RpcClient;
pub use server::RpcRouter;

/// Header names carried on every request.
pub mod headers {
    pub const REQUEST_ID: &str = "Chatalot-Request-Id";
    pub const USER_ID: &str = "Chatalot-User-Id";
    pub const SESSION_ID: &str = "Chatalot-Session-Id";
    pub const CLIENT_IP: &str = "Chatalot-Client-Ip";
    pub const USER_AGENT: &str = "Chatalot-User-Agent";
}

/// An authenticated caller: the gateway verified their access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// Who is calling and from where. Services trust these headers because only gateways and
/// services can publish on NATS (see docs/architecture.md, "Trust").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerContext {
    pub request_id: String,
    pub caller: Option<Caller>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl CallerContext {
    /// The authenticated caller, or `missing_token` for operations that need one.
    pub fn require_caller(&self) -> Result<Caller, ApiError> {
        self.caller.ok_or_else(|| {
            ApiError::new(
                ErrorCode::MissingToken,
                "this operation needs an access token",
            )
        })
    }

    pub fn to_headers(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(headers::REQUEST_ID, self.request_id.as_str());
        if let Some(caller) = self.caller {
            map.insert(headers::USER_ID, caller.user_id.to_string().as_str());
            map.insert(headers::SESSION_ID, caller.session_id.to_string().as_str());
        }
        if let Some(ip) = &self.client_ip {
            map.insert(headers::CLIENT_IP, ip.as_str());
        }
        if let Some(agent) = &self.user_agent {
            map.insert(headers::USER_AGENT, agent.as_str());
        }
        map
    }

    pub fn from_headers(map: Option<&HeaderMap>) -> Self {
        let get = |name: &str| {
            map.and_then(|m| m.get(name))
                .map(|v| v.as_str().to_string())
        };
        let uuid = |name: &str| get(name).and_then(|v| Uuid::parse_str(&v).ok());
        let caller = match (uuid(headers::USER_ID), uuid(headers::SESSION_ID)) {
            (Some(user_id), Some(session_id)) => Some(Caller {
                user_id,
                session_id,
            }),
            _ => None,
        };
        Self {
            request_id: get(headers::REQUEST_ID).unwrap_or_default(),
            caller,
            client_ip: get(headers::CLIENT_IP),
            user_agent: get(headers::USER_AGENT),
        }
    }
}

/// The body of every reply.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<T> {
    Ok(T),
    Error(ApiError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_context_round_trips_through_headers() {
        let ctx = CallerContext {
            request_id: "r1".into(),
            caller: Some(Caller {
                user_id: Uuid::now_v7(),
                session_id: Uuid::now_v7(),
            }),
            client_ip: Some("127.0.0.1".into()),
            user_agent: Some("test/1".into()),
        };
        assert_eq!(CallerContext::from_headers(Some(&ctx.to_headers())), ctx);
    }

    #[test]
    fn a_caller_needs_both_ids() {
        let mut map = HeaderMap::new();
        map.insert(headers::USER_ID, Uuid::now_v7().to_string().as_str());
        assert_eq!(CallerContext::from_headers(Some(&map)).caller, None);
    }
}
