//! The connections this gateway holds, by user, and the NATS subscriptions that feed them.
//!
//! A gateway subscribes to a user's event subject while it holds at least one connection of that
//! user (reference counted: the first connection subscribes, the last one unsubscribes). Each
//! event arrives as the finished frame; it is checked for UTF-8 once and the same bytes are
//! queued to every connection of the user. A connection whose queue is full is kicked as a slow
//! consumer instead of growing memory.

use axum::extract::ws::Utf8Bytes;
use chatalot_shared::{contracts::gateway::close, subjects::Subjects};
use futures::StreamExt;
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Why and how a connection is being closed by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

/// Lets the hub (or anyone holding it) close a connection with a reason.
#[derive(Default)]
pub struct Kick {
    token: CancellationToken,
    reason: OnceLock<CloseReason>,
}

impl Kick {
    pub fn kick(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub async fn kicked(&self) -> CloseReason {
        self.token.cancelled().await;
        self.reason.get().copied().unwrap_or(CloseReason {
            code: close::RECONNECT,
            reason: "closed by the gateway",
        })
    }
}

struct Connection {
    session_id: Uuid,
    outgoing: mpsc::Sender<Utf8Bytes>,
    kick: Arc<Kick>,
}

struct UserEntry {
    connections: HashMap<u64, Connection>,
    subscription: tokio::task::JoinHandle<()>,
}

/// A registered connection: its id, its queue, and its kick switch.
pub struct Registration {
    pub connection_id: u64,
    pub outgoing: mpsc::Receiver<Utf8Bytes>,
    pub kick: Arc<Kick>,
}

pub struct Hub {
    nats: async_nats::Client,
    subjects: Subjects,
    queue_capacity: usize,
    next_id: AtomicU64,
    users: Mutex<HashMap<Uuid, UserEntry>>,
}

impl Hub {
    pub fn new(nats: async_nats::Client, subjects: Subjects, queue_capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            nats,
            subjects,
            queue_capacity,
            next_id: AtomicU64::new(1),
            users: Mutex::new(HashMap::new()),
        })
    }

    /// Adds a connection of `user_id`, subscribing to the user's events first if it is the
    /// user's first connection here. Returns once events for the user are being received.
    pub async fn register(
        self: &Arc<Self>,
        user_id: Uuid,
        session_id: Uuid,
    ) -> anyhow::Result<Registration> {
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let kick = Arc::new(Kick::default());
        let connection_id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = || Connection {
            session_id,
            outgoing: tx.clone(),
            kick: kick.clone(),
        };
        if let Some(entry) = self.lock().get_mut(&user_id) {
            entry.connections.insert(connection_id, connection());
            return Ok(Registration {
                connection_id,
                outgoing: rx,
                kick,
            });
        }
        // Subscribe outside the lock; if another connection of the user won the race, use its
        // subscription and drop ours.
        let subscriber = self
            .nats
            .subscribe(self.subjects.user_events(user_id))
            .await?;
        self.nats.flush().await.ok();
        let mut users = self.lock();
        match users.get_mut(&user_id) {
            Some(entry) => {
                entry.connections.insert(connection_id, connection());
            }
            None => {
                let hub = Arc::downgrade(self);
                let subscription = tokio::spawn(async move {
                    let mut subscriber = subscriber;
                    while let Some(message) = subscriber.next().await {
                        let Some(hub) = hub.upgrade() else { break };
                        match Utf8Bytes::try_from(message.payload) {
                            Ok(frame) => hub.deliver(user_id, frame),
                            Err(_) => {
                                tracing::warn!(%user_id, "dropped an event that is not UTF-8")
                            }
                        }
                    }
                });
                let mut connections = HashMap::new();
                connections.insert(connection_id, connection());
                users.insert(
                    user_id,
                    UserEntry {
                        connections,
                        subscription,
                    },
                );
            }
        }
        Ok(Registration {
            connection_id,
            outgoing: rx,
            kick,
        })
    }

    /// Removes a connection; the user's subscription ends with their last connection here.
    pub fn unregister(&self, user_id: Uuid, connection_id: u64) {
        let mut users = self.lock();
        if let Some(entry) = users.get_mut(&user_id) {
            entry.connections.remove(&connection_id);
            if entry.connections.is_empty()
                && let Some(entry) = users.remove(&user_id)
            {
                entry.subscription.abort();
            }
        }
    }

    /// Queues `frame` to every connection of `user_id`.
    fn deliver(&self, user_id: Uuid, frame: Utf8Bytes) {
        let users = self.lock();
        let Some(entry) = users.get(&user_id) else {
            return;
        };
        for connection in entry.connections.values() {
            if connection.outgoing.try_send(frame.clone()).is_err() {
                connection.kick.kick(CloseReason {
                    code: close::SLOW_CONSUMER,
                    reason: "too slow reading events; reconnect",
                });
            }
        }
    }

    /// Closes every connection of `user_id` that belongs to one of `session_ids`.
    pub fn kick_sessions(&self, user_id: Uuid, session_ids: &[Uuid], reason: CloseReason) {
        let users = self.lock();
        let Some(entry) = users.get(&user_id) else {
            return;
        };
        for connection in entry.connections.values() {
            if session_ids.contains(&connection.session_id) {
                connection.kick.kick(reason);
            }
        }
    }

    /// Closes every connection (the gateway is draining).
    pub fn kick_all(&self, reason: CloseReason) {
        for entry in self.lock().values() {
            for connection in entry.connections.values() {
                connection.kick.kick(reason);
            }
        }
    }

    /// How many connections this gateway holds.
    pub fn connection_count(&self) -> usize {
        self.lock()
            .values()
            .map(|entry| entry.connections.len())
            .sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, UserEntry>> {
        // A panic while holding the lock cannot leave the map inconsistent (every update is a
        // single insert or remove), so a poisoned lock is still safe to use.
        self.users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
