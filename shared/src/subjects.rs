//! Every NATS subject Chatalot uses, built here and nowhere else.
//!
//! - requests: `<ns>.rpc.<service>.<operation>`, served by a queue group per service;
//! - events for one user: `<ns>.evt.user.<user_id>.<event>`;
//! - events of one community: `<ns>.evt.community.<community_id>.<event>`;
//! - session revocations, seen by every gateway: `<ns>.evt.sessions.revoked`.

use uuid::Uuid;

/// The services that answer requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Auth,
    Community,
    Message,
    Keys,
    Signal,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Auth,
        Service::Community,
        Service::Message,
        Service::Keys,
        Service::Signal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Auth => "auth",
            Service::Community => "community",
            Service::Message => "message",
            Service::Keys => "keys",
            Service::Signal => "signal",
        }
    }
}

/// Builds subjects under one namespace.
#[derive(Debug, Clone)]
pub struct Subjects {
    namespace: String,
}

impl Subjects {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The prefix a service's endpoints live under: `<ns>.rpc.<service>`.
    pub fn rpc_prefix(&self, service: Service) -> String {
        format!("{}.rpc.{}", self.namespace, service.name())
    }

    /// The subject of one operation: `<ns>.rpc.<service>.<operation>`.
    pub fn rpc(&self, service: Service, operation: &str) -> String {
        format!("{}.{operation}", self.rpc_prefix(service))
    }

    /// The queue group replicas of a service share.
    pub fn queue_group(&self, service: Service) -> String {
        format!("{}.{}", self.namespace, service.name())
    }

    /// One event for one user.
    pub fn user_event(&self, user_id: Uuid, event: &str) -> String {
        format!("{}.evt.user.{user_id}.{event}", self.namespace)
    }

    /// Every event for one user (what a gateway subscribes to while it serves that user).
    pub fn user_events(&self, user_id: Uuid) -> String {
        format!("{}.evt.user.{user_id}.>", self.namespace)
    }

    /// One kind of event of every user (a service following, say, profile changes).
    pub fn every_user_event(&self, event: &str) -> String {
        format!("{}.evt.user.*.{event}", self.namespace)
    }

    /// One event of one community.
    pub fn community_event(&self, community_id: Uuid, event: &str) -> String {
        format!("{}.evt.community.{community_id}.{event}", self.namespace)
    }

    /// One kind of event of every community (signal-svc following membership and permission
    /// changes for the calls it holds).
    pub fn every_community_event(&self, event: &str) -> String {
        format!("{}.evt.community.*.{event}", self.namespace)
    }

    /// Every event of one community (what a gateway subscribes to while one of its users is a
    /// member).
    pub fn community_events(&self, community_id: Uuid) -> String {
        format!("{}.evt.community.{community_id}.>", self.namespace)
    }

    /// Session revocations, which every gateway watches to close sockets and refuse tokens.
    pub fn sessions_revoked(&self) -> String {
        format!("{}.evt.sessions.revoked", self.namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_live_under_the_namespace() {
        let subjects = Subjects::new("t1");
        let user = Uuid::nil();
        assert_eq!(subjects.rpc(Service::Auth, "login"), "t1.rpc.auth.login");
        assert_eq!(subjects.queue_group(Service::Auth), "t1.auth");
        assert_eq!(
            subjects.user_event(user, "user_updated"),
            format!("t1.evt.user.{user}.user_updated")
        );
        assert_eq!(subjects.user_events(user), format!("t1.evt.user.{user}.>"));
        assert_eq!(
            subjects.community_events(user),
            format!("t1.evt.community.{user}.>")
        );
        assert_eq!(subjects.sessions_revoked(), "t1.evt.sessions.revoked");
        assert_eq!(
            subjects.every_community_event("member_removed"),
            "t1.evt.community.*.member_removed"
        );
    }
}
