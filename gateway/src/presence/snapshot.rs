//! The presences in the ready snapshot: the people who share a community with the user (at
//! most `presence.snapshot_members_per_community` of each community, the first by user id)
//! and their conversation partners, at most `presence.snapshot_max_users` in all, offline ones
//! left out. Changes of anyone beyond the bounds still arrive live as `presence_updated`.

use super::{PresenceTracker, internal_context};
use chatalot_shared::{
    contracts::{
        conversations::ListConversationPartnersRequest,
        presence::{CoMembersRequest, Presence},
    },
    rpc::Caller,
};
use std::{collections::HashSet, time::Duration};
use uuid::Uuid;

/// The longest the snapshot may hold up `ready`; past it the client starts without presences.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(2);

impl PresenceTracker {
    /// The presence of the people `caller` can see, for the ready snapshot. Empty (and logged)
    /// when Redis or the services cannot answer in time: presence degrades, the connection
    /// does not wait.
    pub async fn snapshot_of(&self, caller: Caller) -> Vec<Presence> {
        match tokio::time::timeout(SNAPSHOT_TIMEOUT, self.collect(caller.user_id)).await {
            Ok(Ok(presences)) => presences,
            Ok(Err(err)) => {
                let what = "ready without presences";
                self.0.failures.record(caller.user_id, what, &err);
                Vec::new()
            }
            Err(_) => {
                let err = anyhow::anyhow!("timed out");
                self.0
                    .failures
                    .record(caller.user_id, "ready without presences", &err);
                Vec::new()
            }
        }
    }

    async fn collect(&self, user_id: Uuid) -> anyhow::Result<Vec<Presence>> {
        let config = &self.0.config;
        let ctx = internal_context("presence-snapshot");
        let co_members = CoMembersRequest {
            user_id,
            per_community: config.snapshot_members_per_community,
            max_users: config.snapshot_max_users,
        };
        let partners = ListConversationPartnersRequest { user_id };
        let (co_members, partners) = tokio::join!(
            self.0.rpc.call(&ctx, &co_members),
            self.0.rpc.call(&ctx, &partners),
        );
        let max = config.snapshot_max_users as usize;
        let mut seen = HashSet::from([user_id]);
        let user_ids: Vec<Uuid> = partners?
            .user_ids
            .into_iter()
            .chain(co_members?.user_ids)
            .filter(|id| seen.insert(*id))
            .take(max)
            .collect();
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.0.store.visible_of(&user_ids).await
    }
}
