//! What this gateway knows for certain: its own connections and whether each is idle. Redis is
//! brought in line with it user by user ([`Work`]): a change marks the user, one runner per user
//! at a time writes the user's current local state to Redis and publishes what changed, so two
//! writes for the same user never race and bursts of changes collapse into one.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};
use uuid::Uuid;

/// What a user's next run must do besides bringing Redis in line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Reload the user's chosen status from auth-svc into the cache first (writing it failed).
    pub reload_settings: bool,
    /// Publish the user's presence even if it did not change (their choice changed, or an
    /// earlier publication failed).
    pub announce: bool,
}

impl Work {
    pub const ANNOUNCE: Work = Work {
        reload_settings: false,
        announce: true,
    };

    fn merge(self, other: Work) -> Work {
        Work {
            reload_settings: self.reload_settings || other.reload_settings,
            announce: self.announce || other.announce,
        }
    }
}

#[derive(Default)]
struct State {
    /// user -> connection id -> idle.
    connections: HashMap<Uuid, HashMap<u64, bool>>,
    /// Users with a runner; `Some` while more work waits for it.
    running: HashMap<Uuid, Option<Work>>,
    /// Users whose last run failed (Redis or a service unavailable), retried on the next
    /// liveness refresh.
    failed: HashMap<Uuid, Work>,
}

/// This gateway's connections and the per-user work queue.
#[derive(Default)]
pub struct LocalConnections {
    state: Mutex<State>,
}

impl LocalConnections {
    pub fn connect(&self, user_id: Uuid, connection_id: u64) {
        self.lock()
            .connections
            .entry(user_id)
            .or_default()
            .insert(connection_id, false);
    }

    /// Whether the connection's idle flag changed.
    pub fn activity(&self, user_id: Uuid, connection_id: u64, idle: bool) -> bool {
        let mut state = self.lock();
        match state
            .connections
            .get_mut(&user_id)
            .and_then(|c| c.get_mut(&connection_id))
        {
            Some(current) if *current != idle => {
                *current = idle;
                true
            }
            _ => false,
        }
    }

    pub fn disconnect(&self, user_id: Uuid, connection_id: u64) {
        let mut state = self.lock();
        if let Some(connections) = state.connections.get_mut(&user_id) {
            connections.remove(&connection_id);
            if connections.is_empty() {
                state.connections.remove(&user_id);
            }
        }
    }

    /// The user's connections here, `(connection id, idle)`, in id order.
    pub fn connections_of(&self, user_id: Uuid) -> Vec<(u64, bool)> {
        let state = self.lock();
        let mut connections: Vec<(u64, bool)> = state
            .connections
            .get(&user_id)
            .map(|c| c.iter().map(|(id, idle)| (*id, *idle)).collect())
            .unwrap_or_default();
        connections.sort_unstable();
        connections
    }

    /// Every user connected here.
    pub fn users(&self) -> Vec<Uuid> {
        self.lock().connections.keys().copied().collect()
    }

    /// Records work for `user_id`. True when no runner has the user yet: the caller starts one.
    pub fn request(&self, user_id: Uuid, work: Work) -> bool {
        let mut state = self.lock();
        match state.running.get_mut(&user_id) {
            Some(pending) => {
                *pending = Some(pending.unwrap_or_default().merge(work));
                false
            }
            None => {
                state.running.insert(user_id, Some(work));
                true
            }
        }
    }

    /// The work waiting for the user's runner. `None` means nothing is left: the runner is done
    /// and forgotten, and the next request starts a new one.
    pub fn next(&self, user_id: Uuid) -> Option<Work> {
        let mut state = self.lock();
        let work = state.running.get_mut(&user_id).and_then(Option::take);
        if work.is_none() {
            state.running.remove(&user_id);
        }
        work
    }

    /// A run for the user failed; `work` is retried later.
    pub fn failed(&self, user_id: Uuid, work: Work) {
        let mut state = self.lock();
        let merged = state
            .failed
            .get(&user_id)
            .copied()
            .unwrap_or_default()
            .merge(work);
        state.failed.insert(user_id, merged);
    }

    /// Takes the failed users for a retry.
    pub fn take_failed(&self) -> Vec<(Uuid, Work)> {
        self.lock().failed.drain().collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Each method changes the maps without awaiting; a poisoned lock still holds whole maps.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_track_idleness_per_connection() {
        let local = LocalConnections::default();
        let user = Uuid::now_v7();
        local.connect(user, 2);
        local.connect(user, 1);
        assert!(local.activity(user, 1, true));
        assert!(!local.activity(user, 1, true), "no change, no work");
        assert!(!local.activity(user, 9, true), "unknown connection");
        assert_eq!(local.connections_of(user), vec![(1, true), (2, false)]);
        local.disconnect(user, 1);
        local.disconnect(user, 2);
        assert!(local.connections_of(user).is_empty());
        assert!(local.users().is_empty());
    }

    #[test]
    fn one_runner_per_user_and_requests_coalesce() {
        let local = LocalConnections::default();
        let user = Uuid::now_v7();
        assert!(local.request(user, Work::default()), "starts a runner");
        assert!(
            !local.request(user, Work::ANNOUNCE),
            "joins the running one"
        );
        assert_eq!(local.next(user), Some(Work::ANNOUNCE));
        // While the runner works, two more requests collapse into one run.
        assert!(!local.request(user, Work::default()));
        let reload = Work {
            reload_settings: true,
            announce: false,
        };
        assert!(!local.request(user, reload));
        assert_eq!(local.next(user), Some(reload));
        assert_eq!(local.next(user), None, "nothing left: the runner ends");
        assert!(local.request(user, Work::default()), "a new runner starts");
    }

    #[test]
    fn failures_merge_until_retried() {
        let local = LocalConnections::default();
        let user = Uuid::now_v7();
        local.failed(user, Work::default());
        local.failed(user, Work::ANNOUNCE);
        assert_eq!(local.take_failed(), vec![(user, Work::ANNOUNCE)]);
        assert!(local.take_failed().is_empty());
    }
}
