//! The connections this gateway holds, the NATS subscriptions that feed them, and what each
//! connected user may see.
//!
//! - A user's subject (`<ns>.evt.user.<id>.>`) is subscribed while the gateway holds at least one
//!   of their connections; a community's subject (`<ns>.evt.community.<id>.>`) while it holds at
//!   least one connected member. Both are reference counted.
//! - For every connected user and each of their communities the hub keeps the groups and channels
//!   they may see ([`Visible`]), filled from the ready snapshot. Community events carrying a
//!   channel or group scope header reach only users who see that channel or group.
//! - Events flagged `Chatalot-View-Changed` make the hub ask community-svc for the affected
//!   users' fresh views *before* delivering anything further from that community, so a user who
//!   loses a channel receives none of its later events; the user is sent the new view
//!   (`community_view_changed`). If the views cannot be fetched, the hub fails closed: those
//!   users' connections are told to reconnect, which rebuilds their snapshot.
//! - Core NATS does not replay what was published while this gateway's connection to it was
//!   down (a NATS server restarting or failing over): every connection registered before such
//!   a loss is told to reconnect (4009) and resumes from the database, so nothing is missed.
//! - A channel's `message_created` carries headers linking it to the message before it
//!   (`messages::link`); the hub passes that [`Link`] along with the frame, and the connection
//!   checks it ([`super::resume::Continuity`]).
//! - Each event arrives as the finished frame; it is checked for UTF-8 once and the same bytes
//!   are queued to every recipient. A connection whose bounded queue is full is kicked as a slow
//!   consumer instead of growing memory.

use super::resume::Link;
use axum::extract::ws::Utf8Bytes;
use chatalot_shared::{
    contracts::{
        Event,
        community::{
            CommunityJoined, CommunityRemoved, CommunityView, CommunityViewChanged,
            CommunityViewsRequest, scope,
        },
        gateway::close,
        messages::{MessageCreated, link},
    },
    events::encode_frame,
    rpc::{CallerContext, RpcClient},
    subjects::Subjects,
};
use futures::StreamExt;
use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard, OnceLock, Weak,
        atomic::{AtomicU64, Ordering},
    },
};
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Why and how a connection is being closed by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

const SLOW_CONSUMER: CloseReason = CloseReason {
    code: close::SLOW_CONSUMER,
    reason: "too slow reading events; reconnect",
};

const EVENTS_INTERRUPTED: CloseReason = CloseReason {
    code: close::RECONNECT,
    reason: "events interrupted; reconnect and resume",
};

const VIEWS_UNAVAILABLE: CloseReason = CloseReason {
    code: close::RECONNECT,
    reason: "permissions changed; reconnect",
};

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

/// A frame queued for a connection; a channel's `message_created` carries its [`Link`].
pub struct Outgoing {
    pub frame: Utf8Bytes,
    pub link: Option<Link>,
}

struct Connection {
    session_id: Uuid,
    outgoing: mpsc::Sender<Outgoing>,
    kick: Arc<Kick>,
}

impl Connection {
    fn send(&self, frame: &Utf8Bytes, link: Option<Link>) {
        let outgoing = Outgoing {
            frame: frame.clone(),
            link,
        };
        if self.outgoing.try_send(outgoing).is_err() {
            self.kick.kick(SLOW_CONSUMER);
        }
    }
}

/// The groups and channels one user may see in one community.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Visible {
    groups: HashSet<Uuid>,
    channels: HashSet<Uuid>,
}

impl Visible {
    pub fn of(view: &CommunityView) -> Self {
        Self {
            groups: view.groups.iter().map(|g| g.group_id).collect(),
            channels: view.channels.iter().map(|c| c.channel.channel_id).collect(),
        }
    }

    /// Whether an event with these scope headers is for this user.
    fn admits(&self, channel: Option<Uuid>, group: Option<Uuid>) -> bool {
        match (channel, group) {
            (Some(channel), _) => self.channels.contains(&channel),
            (None, Some(group)) => self.groups.contains(&group),
            (None, None) => true,
        }
    }
}

struct UserEntry {
    connections: HashMap<u64, Connection>,
    views: HashMap<Uuid, Visible>,
    subscription: JoinHandle<()>,
}

impl UserEntry {
    fn send(&self, frame: &Utf8Bytes, link: Option<Link>) {
        for connection in self.connections.values() {
            connection.send(frame, link);
        }
    }

    fn kick_all(&self, reason: CloseReason) {
        for connection in self.connections.values() {
            connection.kick.kick(reason);
        }
    }
}

struct CommunityEntry {
    members: HashSet<Uuid>,
    subscription: JoinHandle<()>,
}

#[derive(Default)]
struct State {
    users: HashMap<Uuid, UserEntry>,
    communities: HashMap<Uuid, CommunityEntry>,
}

impl State {
    /// Forgets that `user_id` sees `community_id`; unsubscribes the community when no connected
    /// member is left.
    fn leave(&mut self, user_id: Uuid, community_id: Uuid) {
        if let Some(user) = self.users.get_mut(&user_id) {
            user.views.remove(&community_id);
        }
        if let Some(community) = self.communities.get_mut(&community_id) {
            community.members.remove(&user_id);
            if community.members.is_empty()
                && let Some(community) = self.communities.remove(&community_id)
            {
                community.subscription.abort();
            }
        }
    }

    /// Records `view` for its member if they are connected here (the community must be
    /// subscribed). Returns false when the community's subscription is missing.
    fn apply_view(&mut self, view: &CommunityView) -> bool {
        let community_id = view.community.community_id;
        let user_id = view.me.user_id;
        let Some(user) = self.users.get_mut(&user_id) else {
            return true;
        };
        let Some(community) = self.communities.get_mut(&community_id) else {
            return false;
        };
        community.members.insert(user_id);
        user.views.insert(community_id, Visible::of(view));
        true
    }
}

/// A registered connection: its id, its queue, and its kick switch.
pub struct Registration {
    pub connection_id: u64,
    pub outgoing: mpsc::Receiver<Outgoing>,
    pub kick: Arc<Kick>,
}

/// What to subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Feed {
    User(Uuid),
    Community(Uuid),
}

pub struct Hub {
    nats: async_nats::Client,
    subjects: Subjects,
    rpc: RpcClient,
    queue_capacity: usize,
    next_id: AtomicU64,
    state: Mutex<State>,
    /// How many times the NATS connection was lost (see [`Hub::watch_nats_losses`]).
    nats_losses: tokio::sync::watch::Receiver<u64>,
    this: Weak<Hub>,
}

impl Hub {
    pub fn new(
        nats: async_nats::Client,
        subjects: Subjects,
        rpc: RpcClient,
        queue_capacity: usize,
        nats_losses: tokio::sync::watch::Receiver<u64>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|this| Self {
            nats,
            subjects,
            rpc,
            queue_capacity,
            next_id: AtomicU64::new(1),
            state: Mutex::new(State::default()),
            nats_losses,
            this: this.clone(),
        })
    }

    /// Tells every connection to reconnect and resume each time the NATS connection is lost:
    /// events published meanwhile never reach this gateway. Runs until the hub is dropped.
    pub fn watch_nats_losses(&self) -> JoinHandle<()> {
        let hub = self.this.clone();
        let mut losses = self.nats_losses.clone();
        tokio::spawn(async move {
            while losses.changed().await.is_ok() {
                let Some(hub) = hub.upgrade() else { break };
                tracing::warn!(
                    connections = hub.connection_count(),
                    "NATS connection lost: clients reconnect and resume"
                );
                hub.kick_all(EVENTS_INTERRUPTED);
            }
        })
    }

    /// Adds a connection of `user_id` with the user's community `views` (the ready snapshot).
    /// Returns once the user's and their communities' events are being received.
    pub async fn register(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        views: &[CommunityView],
    ) -> anyhow::Result<Registration> {
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let kick = Arc::new(Kick::default());
        let connection_id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let losses_before = *self.nats_losses.borrow();
        let mut feeds = vec![Feed::User(user_id)];
        feeds.extend(
            views
                .iter()
                .map(|v| Feed::Community(v.community.community_id)),
        );
        let mut state = self.subscribe_all(&feeds).await?;
        let Some(user) = state.users.get_mut(&user_id) else {
            anyhow::bail!("user subscription vanished");
        };
        user.connections.insert(
            connection_id,
            Connection {
                session_id,
                outgoing: tx,
                kick: kick.clone(),
            },
        );
        for view in views {
            state.apply_view(view);
        }
        // A loss while subscribing may have happened before `watch_nats_losses` saw this
        // connection: its events since then are not guaranteed either.
        if *self.nats_losses.borrow() != losses_before {
            kick.kick(EVENTS_INTERRUPTED);
        }
        Ok(Registration {
            connection_id,
            outgoing: rx,
            kick,
        })
    }

    /// Removes a connection; subscriptions end with the last connection that needs them.
    pub fn unregister(&self, user_id: Uuid, connection_id: u64) {
        let mut state = self.lock();
        let Some(user) = state.users.get_mut(&user_id) else {
            return;
        };
        user.connections.remove(&connection_id);
        if !user.connections.is_empty() {
            return;
        }
        let communities: Vec<Uuid> = user.views.keys().copied().collect();
        for community_id in communities {
            state.leave(user_id, community_id);
        }
        if let Some(user) = state.users.remove(&user_id) {
            user.subscription.abort();
        }
    }

    /// Closes every connection of `user_id` that belongs to one of `session_ids`.
    pub fn kick_sessions(&self, user_id: Uuid, session_ids: &[Uuid], reason: CloseReason) {
        let state = self.lock();
        let Some(user) = state.users.get(&user_id) else {
            return;
        };
        for connection in user.connections.values() {
            if session_ids.contains(&connection.session_id) {
                connection.kick.kick(reason);
            }
        }
    }

    /// Closes every connection (the gateway is draining).
    pub fn kick_all(&self, reason: CloseReason) {
        for user in self.lock().users.values() {
            user.kick_all(reason);
        }
    }

    /// How many connections this gateway holds.
    pub fn connection_count(&self) -> usize {
        self.lock()
            .users
            .values()
            .map(|user| user.connections.len())
            .sum()
    }

    /// Subscribes every feed not yet subscribed and returns the locked state in which all of
    /// them exist. Subscribing happens outside the lock; a feed another task subscribed in the
    /// meantime keeps that task's subscription.
    async fn subscribe_all(&self, feeds: &[Feed]) -> anyhow::Result<MutexGuard<'_, State>> {
        loop {
            let missing: Vec<Feed> = {
                let state = self.lock();
                feeds
                    .iter()
                    .copied()
                    .filter(|feed| match feed {
                        Feed::User(id) => !state.users.contains_key(id),
                        Feed::Community(id) => !state.communities.contains_key(id),
                    })
                    .collect()
            };
            if missing.is_empty() {
                let state = self.lock();
                let complete = feeds.iter().all(|feed| match feed {
                    Feed::User(id) => state.users.contains_key(id),
                    Feed::Community(id) => state.communities.contains_key(id),
                });
                if complete {
                    return Ok(state);
                }
                continue;
            }
            let mut subscribed = Vec::with_capacity(missing.len());
            for feed in missing {
                let subject = match feed {
                    Feed::User(id) => self.subjects.user_events(id),
                    Feed::Community(id) => self.subjects.community_events(id),
                };
                subscribed.push((feed, self.nats.subscribe(subject).await?));
            }
            self.nats.flush().await.ok();
            let mut state = self.lock();
            for (feed, subscriber) in subscribed {
                match feed {
                    Feed::User(id) if !state.users.contains_key(&id) => {
                        let subscription = self.spawn_user_feed(id, subscriber);
                        state.users.insert(
                            id,
                            UserEntry {
                                connections: HashMap::new(),
                                views: HashMap::new(),
                                subscription,
                            },
                        );
                    }
                    Feed::Community(id) if !state.communities.contains_key(&id) => {
                        let subscription = self.spawn_community_feed(id, subscriber);
                        state.communities.insert(
                            id,
                            CommunityEntry {
                                members: HashSet::new(),
                                subscription,
                            },
                        );
                    }
                    _ => {}
                }
            }
            let complete = feeds.iter().all(|feed| match feed {
                Feed::User(id) => state.users.contains_key(id),
                Feed::Community(id) => state.communities.contains_key(id),
            });
            if complete {
                return Ok(state);
            }
        }
    }

    fn spawn_user_feed(
        &self,
        user_id: Uuid,
        mut subscriber: async_nats::Subscriber,
    ) -> JoinHandle<()> {
        let hub = self.this.clone();
        tokio::spawn(async move {
            while let Some(message) = subscriber.next().await {
                let Some(hub) = hub.upgrade() else { break };
                hub.on_user_event(user_id, message).await;
            }
        })
    }

    fn spawn_community_feed(
        &self,
        community_id: Uuid,
        mut subscriber: async_nats::Subscriber,
    ) -> JoinHandle<()> {
        let hub = self.this.clone();
        tokio::spawn(async move {
            while let Some(message) = subscriber.next().await {
                let Some(hub) = hub.upgrade() else { break };
                hub.on_community_event(community_id, message).await;
            }
        })
    }

    /// An event for one user: forwarded to their connections; joining or leaving a community
    /// also changes what the user is subscribed to.
    async fn on_user_event(&self, user_id: Uuid, message: async_nats::Message) {
        let subject = message.subject.as_str();
        let Ok(frame) = Utf8Bytes::try_from(message.payload) else {
            tracing::warn!(%user_id, "dropped an event that is not UTF-8");
            return;
        };
        let event = subject.rsplit('.').next().unwrap_or_default();
        if event == CommunityRemoved::NAME {
            if let Some(removed) = event_data::<CommunityRemoved>(&frame) {
                self.lock().leave(user_id, removed.community_id);
            }
        } else if event == CommunityJoined::NAME
            && let Some(joined) = event_data::<CommunityJoined>(&frame)
        {
            self.send_to_user(user_id, &frame);
            self.refresh_views(joined.community_id, vec![user_id]).await;
            return;
        }
        self.send_to_user(user_id, &frame);
    }

    /// An event of one community: views are refreshed first when it says they changed, then
    /// the event goes to the members it is for.
    async fn on_community_event(&self, community_id: Uuid, message: async_nats::Message) {
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|headers| headers.get(name))
                .map(|value| value.as_str().to_string())
        };
        let uuid_header = |name: &str| header(name).and_then(|v| Uuid::parse_str(&v).ok());
        let channel = uuid_header(scope::CHANNEL);
        let group = uuid_header(scope::GROUP);
        if let Some(changed) = header(scope::VIEW_CHANGED) {
            let affected: Vec<Uuid> = {
                let state = self.lock();
                let members = state
                    .communities
                    .get(&community_id)
                    .map(|c| c.members.clone())
                    .unwrap_or_default();
                if changed == scope::ALL {
                    members.into_iter().collect()
                } else {
                    changed
                        .split(',')
                        .filter_map(|id| Uuid::parse_str(id.trim()).ok())
                        .filter(|id| members.contains(id))
                        .collect()
                }
            };
            if !affected.is_empty() {
                self.refresh_views(community_id, affected).await;
            }
        }
        let event = message.subject.as_str().rsplit('.').next();
        let link = if event == Some(MessageCreated::NAME) {
            channel
                .zip(uuid_header(link::MESSAGE_ID))
                .map(|(place, message_id)| Link {
                    place,
                    message_id,
                    previous: uuid_header(link::PREVIOUS),
                })
        } else {
            None
        };
        let Ok(frame) = Utf8Bytes::try_from(message.payload) else {
            tracing::warn!(%community_id, "dropped an event that is not UTF-8");
            return;
        };
        let state = self.lock();
        let Some(community) = state.communities.get(&community_id) else {
            return;
        };
        for member in &community.members {
            if let Some(user) = state.users.get(member)
                && user
                    .views
                    .get(&community_id)
                    .is_some_and(|visible| visible.admits(channel, group))
            {
                user.send(&frame, link);
            }
        }
    }

    /// Fetches the current views of `user_ids` in `community_id`, applies them, and sends each
    /// user their new view. Users left out of the answer are no longer members.
    async fn refresh_views(&self, community_id: Uuid, user_ids: Vec<Uuid>) {
        let ctx = CallerContext {
            request_id: Uuid::new_v4().to_string(),
            ..CallerContext::default()
        };
        let request = CommunityViewsRequest {
            community_id,
            user_ids: user_ids.clone(),
        };
        let views = match self.rpc.call(&ctx, &request).await {
            Ok(answer) => answer.views,
            Err(error) => {
                tracing::warn!(%community_id, %error, "cannot refresh views; asking clients to reconnect");
                let mut state = self.lock();
                for user_id in &user_ids {
                    state.leave(*user_id, community_id);
                    if let Some(user) = state.users.get(user_id) {
                        user.kick_all(VIEWS_UNAVAILABLE);
                    }
                }
                return;
            }
        };
        if self
            .subscribe_all(&[Feed::Community(community_id)])
            .await
            .is_err()
        {
            tracing::warn!(%community_id, "cannot subscribe to the community's events");
        }
        let frames: Vec<(Uuid, Option<Utf8Bytes>)> = views
            .iter()
            .map(|view| {
                let frame = encode_frame(&CommunityViewChanged { view: view.clone() })
                    .ok()
                    .and_then(|bytes| Utf8Bytes::try_from(bytes).ok());
                (view.me.user_id, frame)
            })
            .collect();
        let mut state = self.lock();
        let still_members: HashSet<Uuid> = views.iter().map(|v| v.me.user_id).collect();
        for view in &views {
            if !state.apply_view(view) {
                // The subscription went away in between (its last member disconnected); the
                // next connection of this user will get a fresh snapshot.
                continue;
            }
        }
        for user_id in user_ids.iter().filter(|id| !still_members.contains(id)) {
            state.leave(*user_id, community_id);
        }
        for (user_id, frame) in frames {
            if let (Some(user), Some(frame)) = (state.users.get(&user_id), frame) {
                user.send(&frame, None);
            }
        }
    }

    fn send_to_user(&self, user_id: Uuid, frame: &Utf8Bytes) {
        if let Some(user) = self.lock().users.get(&user_id) {
            user.send(frame, None);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a few inserts and removes with no await in between, so a panic
        // elsewhere cannot leave the maps half-changed; a poisoned lock is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The `d` of an event frame, as `T`.
fn event_data<T: serde::de::DeserializeOwned>(frame: &str) -> Option<T> {
    #[derive(serde::Deserialize)]
    struct Frame<T> {
        d: T,
    }
    serde_json::from_str::<Frame<T>>(frame).ok().map(|f| f.d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_events_reach_only_those_who_see_the_scope() {
        let channel = Uuid::now_v7();
        let group = Uuid::now_v7();
        let visible = Visible {
            groups: [group].into_iter().collect(),
            channels: [channel].into_iter().collect(),
        };
        assert!(visible.admits(None, None));
        assert!(visible.admits(Some(channel), None));
        assert!(visible.admits(None, Some(group)));
        assert!(!visible.admits(Some(Uuid::now_v7()), None));
        assert!(!visible.admits(None, Some(Uuid::now_v7())));
        // A channel scope decides even when a visible group is named too.
        assert!(!visible.admits(Some(Uuid::now_v7()), Some(group)));
    }

    #[test]
    fn event_data_reads_the_payload_of_a_frame() {
        let community_id = Uuid::now_v7();
        let frame = format!(
            r#"{{"op":"event","t":"community_joined","d":{{"community_id":"{community_id}"}}}}"#
        );
        let joined = event_data::<CommunityJoined>(&frame);
        assert_eq!(joined, Some(CommunityJoined { community_id }));
        assert_eq!(event_data::<CommunityJoined>("not json"), None);
    }
}
