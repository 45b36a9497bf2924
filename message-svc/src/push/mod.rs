//! Web Push of conversation messages (RFC 8030, 8291, 8292) to recipients with no live
//! connection (see `docs/push.md`).
//!
//! After a message commits, the handler hands a [`PushJob`] to the bounded queue of the
//! [`Pusher`] and returns: the sender's acknowledgement never waits for a push service. The
//! [`PushWorker`] takes jobs off the queue, at most `push.max_concurrency` at once. For each it
//! asks Redis which recipients are connected anywhere (a connection on a live gateway, whatever
//! status they chose: `chatalot_shared::liveness::connected_users`), leaves out those who set
//! the conversation's notification level to `none` or `mentions` (the server cannot see
//! mentions in encrypted messages), loads the others' subscriptions and pushes to each, at most [`PER_MESSAGE`] at a time, then records the
//! outcomes; subscriptions their push service says are gone (404, 410) are deleted. A full queue
//! drops the new job (counted): a slow push service costs notifications, never memory.
//!
//! What is pushed is [`PushNotification`] metadata (which conversation, message and sender),
//! encrypted for the browser: never the message's content or ciphertext.

mod send;
mod vapid;

pub use send::Outcome;
use send::PushClient;
use vapid::VapidKey;

use crate::repository::{
    notification_levels,
    push_subscriptions::{self, Target},
};
use anyhow::Context;
use chatalot_shared::{cache::Cache, config::Config, contracts::push::PushNotification, liveness};
use futures::StreamExt;
use prometheus::{IntCounterVec, register_int_counter_vec};
use sqlx::PgPool;
use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};
use tokio::{
    sync::{Semaphore, mpsc},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Subscriptions one message is pushed to at once.
pub const PER_MESSAGE: usize = 8;

static PUSHES: LazyLock<Option<IntCounterVec>> = LazyLock::new(|| {
    register_int_counter_vec!(
        "chatalot_push_total",
        "Web Push notifications by outcome: delivered, gone (subscription deleted), rejected \
         (another 4xx), failed (5xx, network, timeout), dropped (queue full)",
        &["outcome"]
    )
    .ok()
});

fn count(outcome: &str, n: u64) {
    if let Some(counter) = PUSHES.as_ref() {
        counter.with_label_values(&[outcome]).inc_by(n);
    }
}

/// One committed message to push to those of `recipients` who are not connected.
#[derive(Debug, Clone)]
pub struct PushJob {
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    pub sender_id: Uuid,
    /// Never the sender, nor anyone who blocked them.
    pub recipients: Vec<Uuid>,
}

/// The handlers' side: queues jobs and knows the public key. Push off: does nothing.
pub struct Pusher {
    queue: Option<mpsc::Sender<PushJob>>,
    public_key: Option<String>,
    /// `push.allow_insecure_endpoints`.
    pub allow_insecure_endpoints: bool,
    /// `push.max_subscriptions_per_user`.
    pub max_subscriptions_per_user: u32,
}

impl Pusher {
    /// The VAPID public key (base64url), `None` when push is off.
    pub fn public_key(&self) -> Option<&str> {
        self.public_key.as_deref()
    }

    /// Queues a message's pushes without waiting; a full queue drops them.
    pub fn conversation_message(&self, job: PushJob) {
        let Some(queue) = &self.queue else { return };
        if job.recipients.is_empty() {
            return;
        }
        if let Err(mpsc::error::TrySendError::Full(job)) = queue.try_send(job) {
            count("dropped", 1);
            tracing::warn!(
                message_id = %job.message_id,
                "push queue full (push.queue_capacity); this message is not pushed"
            );
        }
    }
}

/// Builds the pusher and, when push is on, the worker that sends (run it with
/// [`PushWorker::run`]). Fails on a key that cannot be used.
pub fn build(
    config: &Config,
    pool: PgPool,
    cache: Cache,
) -> anyhow::Result<(Pusher, Option<PushWorker>)> {
    let push = &config.push;
    let mut pusher = Pusher {
        queue: None,
        public_key: None,
        allow_insecure_endpoints: push.allow_insecure_endpoints,
        max_subscriptions_per_user: push.max_subscriptions_per_user,
    };
    if !push.is_active() {
        tracing::info!("web push is off (no push.vapid_private_key, or push.enabled is false)");
        return Ok((pusher, None));
    }
    let key = VapidKey::from_pem(push.vapid_private_key.expose(), &push.vapid_subject)?;
    let client = PushClient::new(key, push).context("building the web push HTTP client")?;
    let (queue, jobs) = mpsc::channel(push.queue_capacity);
    pusher.public_key = Some(client.public_key().to_string());
    pusher.queue = Some(queue);
    let worker = PushWorker {
        jobs,
        context: Arc::new(Sending {
            client,
            pool,
            cache,
            redis_timeout: config.presence.redis_timeout(),
        }),
        concurrency: push.max_concurrency,
        drain_timeout: push.request_timeout() + Duration::from_secs(1),
    };
    Ok((pusher, Some(worker)))
}

/// What every job needs.
struct Sending {
    client: PushClient,
    pool: PgPool,
    cache: Cache,
    redis_timeout: Duration,
}

/// Takes jobs off the queue and sends their pushes.
pub struct PushWorker {
    jobs: mpsc::Receiver<PushJob>,
    context: Arc<Sending>,
    concurrency: usize,
    /// How long pushes under way may finish after `stop`.
    drain_timeout: Duration,
}

impl PushWorker {
    /// Works until `stop`, then gives the pushes under way a request timeout to finish; jobs
    /// still queued are dropped (their messages are in history).
    pub async fn run(mut self, stop: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut running = JoinSet::new();
        loop {
            let job = tokio::select! {
                _ = stop.cancelled() => break,
                job = self.jobs.recv() => job,
            };
            let Some(job) = job else { break };
            let permit = tokio::select! {
                _ = stop.cancelled() => break,
                permit = permits.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else { break };
            let context = self.context.clone();
            running.spawn(async move {
                deliver(&context, job).await;
                drop(permit);
            });
            while running.try_join_next().is_some() {}
        }
        let drained = tokio::time::timeout(self.drain_timeout, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("pushes still under way at shutdown were abandoned");
            running.abort_all();
        }
    }
}

/// Pushes one message to its recipients who are not connected.
async fn deliver(context: &Sending, job: PushJob) {
    let connected = tokio::time::timeout(
        context.redis_timeout,
        liveness::connected_users(&context.cache, &job.recipients),
    )
    .await;
    let connected = match connected {
        Ok(Ok(flags)) => flags,
        // Unknown: better a notification too many than a message nobody hears of.
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "cannot tell who is connected (Redis); pushing to all");
            vec![false; job.recipients.len()]
        }
        Err(_) => {
            tracing::warn!("cannot tell who is connected (Redis timed out); pushing to all");
            vec![false; job.recipients.len()]
        }
    };
    let offline: Vec<Uuid> = job
        .recipients
        .iter()
        .zip(connected)
        .filter(|(_, connected)| !connected)
        .map(|(id, _)| *id)
        .collect();
    if offline.is_empty() {
        return;
    }
    let targets = match load_targets(&context.pool, job.conversation_id, &offline).await {
        Ok(targets) => targets,
        Err(err) => {
            tracing::warn!(error = ?err, message_id = %job.message_id, "no pushes for a message");
            return;
        }
    };
    if targets.is_empty() {
        return;
    }
    let notification = PushNotification::ConversationMessage {
        conversation_id: job.conversation_id,
        message_id: job.message_id,
        sender_id: job.sender_id,
    };
    let Ok(payload) = serde_json::to_vec(&notification) else {
        return;
    };
    let outcomes: Vec<(Target, Outcome)> = futures::stream::iter(targets)
        .map(|target| {
            let payload = &payload;
            async move {
                let outcome = context.client.send(&target, payload).await;
                (target, outcome)
            }
        })
        .buffer_unordered(PER_MESSAGE)
        .collect()
        .await;
    record(&context.pool, job.message_id, outcomes).await;
}

/// The subscriptions of those of `user_ids` who want to hear of the conversation's messages.
async fn load_targets(
    pool: &PgPool,
    conversation_id: Uuid,
    user_ids: &[Uuid],
) -> anyhow::Result<Vec<Target>> {
    let mut conn = pool.acquire().await.context("acquiring a connection")?;
    let quiet = notification_levels::quiet_in_conversation(&mut conn, conversation_id, user_ids)
        .await
        .context("loading notification levels")?;
    let wanting: Vec<Uuid> = user_ids
        .iter()
        .copied()
        .filter(|id| !quiet.contains(id))
        .collect();
    if wanting.is_empty() {
        return Ok(Vec::new());
    }
    push_subscriptions::targets_of(&mut conn, &wanting)
        .await
        .context("loading push subscriptions")
}

/// Counts the outcomes and stores them (one connection, after every push has finished).
async fn record(pool: &PgPool, message_id: Uuid, outcomes: Vec<(Target, Outcome)>) {
    let mut delivered = Vec::new();
    let mut failed = Vec::new();
    let mut gone = Vec::new();
    for (target, outcome) in outcomes {
        count(outcome.label(), 1);
        match outcome {
            Outcome::Delivered => delivered.push(target.endpoint),
            Outcome::Gone => gone.push((target.endpoint, target.p256dh)),
            Outcome::Rejected | Outcome::Failed => failed.push(target.endpoint),
        }
    }
    let stored = async {
        let mut conn = pool.acquire().await.context("acquiring a connection")?;
        push_subscriptions::record_outcomes(&mut conn, &delivered, &failed, &gone)
            .await
            .context("recording push outcomes")
    }
    .await;
    if let Err(err) = stored {
        tracing::warn!(error = ?err, %message_id, "push outcomes not recorded");
    }
}
