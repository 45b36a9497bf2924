//! Message traffic: senders that post at an offered rate over HTTP, and followers that hold a
//! WebSocket, record every `message_created` in their [`Ledger`] and resume after a disconnect
//! like a real client does. A [`run_phase`] is one measured window: send for a while, wait for
//! the deliveries to drain, and sum up latency, throughput, losses and duplicates.
//!
//! Senders are open-loop: a slow acknowledgement does not delay the next send (the send instant
//! is in the body, so queueing anywhere shows up in the latency). At most [`MAX_IN_FLIGHT`] sends
//! per stream and [`MAX_IN_FLIGHT_TOTAL`] over all streams wait at once; past that a tick is
//! counted as `skipped_sends` instead.

use crate::{
    client::{
        Endpoints,
        api::Session,
        ws::{Connection, Incoming},
    },
    probe::{self, Ledger, SeqSet},
    procstat::{self, ProcessGroup},
    report::{Latency, TrafficResult, per_sec},
    tally::Tally,
};
use hdrhistogram::Histogram;
use serde_json::json;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{sync::Semaphore, task::JoinSet, time::Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Sends of one stream waiting for their acknowledgement at once.
pub const MAX_IN_FLIGHT: usize = 256;

/// Sends waiting at once over all streams of a phase: each holds an HTTP connection, and the
/// gateway's open-file limit (20,000 here) must leave room for the WebSockets.
pub const MAX_IN_FLIGHT_TOTAL: usize = 1024;
/// How long a phase waits after the last send for deliveries to arrive.
pub const DRAIN: Duration = Duration::from_secs(10);
/// Reconnect attempts a follower makes before it gives up.
const RECONNECT_BUDGET: u32 = 20;

/// Messages posted to one channel at a fixed rate, by its authors in turn.
#[derive(Debug, Clone)]
pub struct SendStream {
    /// Unique within a run; in every body and nonce.
    pub id: u32,
    pub channel_id: Uuid,
    pub authors: Vec<Session>,
    pub rate_per_sec: f64,
}

/// A one-time disconnection of every follower: when `drop` is cancelled each abandons its
/// connection (no close frame), and reconnects with `resume` once `reconnect` is cancelled.
#[derive(Debug, Clone, Default)]
pub struct Disruption {
    pub drop: CancellationToken,
    pub reconnect: CancellationToken,
}

/// What a follower saw, readable while it runs.
#[derive(Debug, Default)]
pub struct FollowerState {
    pub ledger: Ledger,
    /// Newest message id seen per channel: what `identify { resume }` sends.
    pub last_seen: HashMap<Uuid, Uuid>,
    pub connected: bool,
    /// Connections that ended (other than by the bench) and were reopened.
    pub reconnects: u64,
    pub connect_failures: u64,
    /// Set once a follower stopped trying (refused, or out of reconnect attempts).
    pub gave_up: bool,
    /// When the follower reconnected after a [`Disruption`], and when it got `resumed`.
    pub disruption_reconnected: Option<Instant>,
    pub disruption_resumed: Option<Instant>,
    pub resume_gaps: u64,
}

/// A running follower.
pub struct Follower {
    pub state: Arc<Mutex<FollowerState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Follower {
    /// Connects as `session` (connection number `n`: picks gateway and source address) and
    /// follows until `stop`.
    pub fn spawn(
        endpoints: Endpoints,
        n: usize,
        session: Session,
        tally: Arc<Tally>,
        stop: CancellationToken,
        disruption: Option<Disruption>,
    ) -> Self {
        let state = Arc::new(Mutex::new(FollowerState::default()));
        let task = tokio::spawn(follow(
            endpoints,
            n,
            session,
            state.clone(),
            tally,
            stop,
            disruption,
        ));
        Self { state, task }
    }

    fn with<T>(&self, f: impl FnOnce(&mut FollowerState) -> T) -> Option<T> {
        self.state.lock().ok().map(|mut state| f(&mut state))
    }

    /// Waits for the follower's task after its stop token was cancelled.
    pub async fn join(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Waits (until `deadline`) until every follower is connected or has given up; returns how many
/// are connected.
pub async fn wait_connected(followers: &[Follower], deadline: Instant) -> usize {
    loop {
        let (connected, settled) = followers.iter().fold((0, 0), |(c, s), f| {
            let (is_connected, gave_up) =
                f.with(|st| (st.connected, st.gave_up)).unwrap_or_default();
            (
                c + usize::from(is_connected),
                s + usize::from(is_connected || gave_up),
            )
        });
        if settled == followers.len() || Instant::now() >= deadline {
            return connected;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn follow(
    endpoints: Endpoints,
    n: usize,
    session: Session,
    state: Arc<Mutex<FollowerState>>,
    tally: Arc<Tally>,
    stop: CancellationToken,
    disruption: Option<Disruption>,
) {
    let mut attempt = 0usize;
    let mut budget = RECONNECT_BUDGET;
    let mut disrupted = disruption.is_none();
    let set = |f: &dyn Fn(&mut FollowerState)| {
        if let Ok(mut s) = state.lock() {
            f(&mut s);
        }
    };
    while !stop.is_cancelled() {
        let resume = state
            .lock()
            .ok()
            .filter(|s| !s.last_seen.is_empty())
            .map(|s| json!({ "channels": s.last_seen }));
        let replaying_at_start = resume.is_some();
        // Reconnects go to the next gateway, as a client whose gateway went away would.
        let gateway = endpoints.gateway(n + attempt);
        let source = endpoints.source(n);
        let opened = tokio::select! {
            _ = stop.cancelled() => break,
            opened = Connection::open(gateway, source, &session.access_token, resume) => opened,
        };
        attempt += 1;
        let mut connection = match opened {
            Ok(connection) => connection,
            Err(err) => {
                tally.error(format!("follower connect: {err:#}"));
                budget = budget.saturating_sub(1);
                set(&|s| s.connect_failures += 1);
                if budget == 0 || format!("{err:#}").contains("identify refused") {
                    set(&|s| s.gave_up = true);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        Tally::add(&tally.connected, 1);
        set(&|s| s.connected = true);
        let mut replaying = replaying_at_start;
        let ended_by_server = loop {
            let drop_now = async {
                match &disruption {
                    Some(d) if !disrupted => d.drop.cancelled().await,
                    _ => std::future::pending().await,
                }
            };
            let incoming = tokio::select! {
                incoming = connection.next(&stop) => incoming,
                _ = drop_now => break false,
            };
            match incoming {
                Incoming::Message(message) => {
                    let Ok(mut s) = state.lock() else { continue };
                    if s.ledger.arrive(&message.body, replaying) {
                        Tally::add(&tally.delivered, 1);
                    }
                    let newest = s
                        .last_seen
                        .entry(message.channel_id)
                        .or_insert(message.message_id);
                    if message.message_id > *newest {
                        *newest = message.message_id;
                    }
                }
                Incoming::Resumed => {
                    replaying = false;
                    let now = Instant::now();
                    set(&|s| {
                        if s.disruption_reconnected.is_some() && s.disruption_resumed.is_none() {
                            s.disruption_resumed = Some(now);
                        }
                    });
                }
                Incoming::ResumeGap => {
                    tally.error("resume_gap: more than 500 messages missed in a channel");
                    set(&|s| s.resume_gaps += 1);
                }
                Incoming::Error(text) => tally.error(format!("gateway error frame: {text}")),
                Incoming::HeartbeatAck | Incoming::Other => {}
                Incoming::Closed(code @ (4004 | 4005)) => {
                    tally.error(format!("follower closed with {code} (authentication)"));
                    set(&|s| s.gave_up = true);
                    Tally::sub(&tally.connected, 1);
                    return;
                }
                Incoming::Closed(_) | Incoming::Dropped(_) => break true,
                Incoming::Stopped => {
                    Tally::sub(&tally.connected, 1);
                    connection.close().await;
                    return;
                }
            }
        };
        Tally::sub(&tally.connected, 1);
        set(&|s| s.connected = false);
        if ended_by_server {
            set(&|s| s.reconnects += 1);
            continue;
        }
        // The disruption: drop without a close frame, stay away, then resume.
        connection.abandon();
        disrupted = true;
        if let Some(d) = &disruption {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = d.reconnect.cancelled() => {}
            }
        }
        let now = Instant::now();
        set(&|s| s.disruption_reconnected = Some(now));
    }
}

/// What one stream's sender did.
#[derive(Debug)]
struct StreamOutcome {
    id: u32,
    acked: SeqSet,
    sent: u64,
    errors: u64,
    skipped: u64,
    ack_latency: Histogram<u64>,
}

/// When the `i`th of `n` streams sends first: `i / n` of its period after `start`, so streams of
/// the same rate spread their sends over the period instead of all sending on the same tick.
fn staggered(start: Instant, stream: &SendStream, i: usize, n: usize) -> Instant {
    if stream.rate_per_sec <= 0.0 {
        return start;
    }
    start + Duration::from_secs_f64(i as f64 / n as f64 / stream.rate_per_sec)
}

/// Sends messages of `stream` at its rate from `start` until `end`, holding a permit of
/// `in_flight` (shared by all streams) for each send waiting for its acknowledgement.
async fn send_stream(
    endpoints: Endpoints,
    n: usize,
    stream: SendStream,
    nonce_prefix: String,
    (start, end): (Instant, Instant),
    in_flight: Arc<Semaphore>,
    tally: Arc<Tally>,
) -> StreamOutcome {
    let mut outcome = StreamOutcome {
        id: stream.id,
        acked: SeqSet::default(),
        sent: 0,
        errors: 0,
        skipped: 0,
        ack_latency: probe::new_histogram(),
    };
    if stream.authors.is_empty() || stream.rate_per_sec <= 0.0 {
        return outcome;
    }
    let period = Duration::from_secs_f64(1.0 / stream.rate_per_sec);
    let mut tick = tokio::time::interval_at(start, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let stream_in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut sends: JoinSet<(u64, Result<Duration, String>)> = JoinSet::new();
    let api = endpoints.api(n);
    let stream = Arc::new(stream);
    // Bounded by count as well as time: at most one send per tick of the window.
    let max_sends = (end.saturating_duration_since(start).as_secs_f64() * stream.rate_per_sec)
        .ceil() as u64
        + 1;
    for seq in 0..max_sends {
        tick.tick().await;
        if Instant::now() >= end {
            break;
        }
        let permits = stream_in_flight
            .clone()
            .try_acquire_owned()
            .ok()
            .zip(in_flight.clone().try_acquire_owned().ok());
        let Some(permit) = permits else {
            outcome.skipped += 1;
            continue;
        };
        outcome.sent += 1;
        Tally::add(&tally.sent, 1);
        let api = api.clone();
        let stream = stream.clone();
        let nonce = format!("{nonce_prefix}-{}-{seq}", stream.id);
        sends.spawn(async move {
            let author = &stream.authors[(seq as usize) % stream.authors.len()];
            let sent_at = Instant::now();
            let body = probe::body(stream.id, seq);
            let result = api
                .send_message(author, stream.channel_id, &nonce, &body)
                .await
                .map(|_| sent_at.elapsed())
                .map_err(|err| err.to_string());
            drop(permit);
            (seq, result)
        });
        while let Some(done) = sends.try_join_next() {
            record_send(&mut outcome, done, &tally);
        }
    }
    // Every send has the HTTP client's timeout, so this ends.
    while let Some(done) = sends.join_next().await {
        record_send(&mut outcome, done, &tally);
    }
    outcome
}

fn record_send(
    outcome: &mut StreamOutcome,
    done: Result<(u64, Result<Duration, String>), tokio::task::JoinError>,
    tally: &Tally,
) {
    match done {
        Ok((seq, Ok(elapsed))) => {
            outcome.acked.insert(seq);
            Tally::add(&tally.acked, 1);
            probe::record(
                &mut outcome.ack_latency,
                u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            );
        }
        Ok((_, Err(err))) => {
            outcome.errors += 1;
            tally.error(err);
        }
        Err(err) => {
            outcome.errors += 1;
            tally.error(format!("send task: {err}"));
        }
    }
}

/// One measured window of traffic.
pub struct Phase<'a> {
    pub endpoints: &'a Endpoints,
    pub streams: Vec<SendStream>,
    /// The streams each follower (by index) should receive.
    pub follows: Vec<Vec<u32>>,
    pub followers: &'a [Follower],
    pub duration: Duration,
    /// The run's deadline: sending and draining stop by then.
    pub deadline: Instant,
    pub nonce_prefix: String,
    pub tally: Arc<Tally>,
    pub groups: &'a [ProcessGroup],
}

impl Phase<'_> {
    /// Sends for `duration` while `during` runs alongside, waits for deliveries to drain, and
    /// returns the result with what `during` returned.
    pub async fn run<T>(self, during: impl Future<Output = T>) -> (TrafficResult, T) {
        for follower in self.followers {
            follower.with(|s| {
                s.ledger = Ledger::default();
            });
        }
        let window = procstat::Window::start(self.groups);
        let start = Instant::now();
        let end = (start + self.duration).min(self.deadline);
        let offered: f64 = self.streams.iter().map(|s| s.rate_per_sec).sum();
        let streams = self.streams.len();
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT_TOTAL));
        let senders = futures::future::join_all(self.streams.iter().cloned().enumerate().map(
            |(i, stream)| {
                let first = staggered(start, &stream, i, streams);
                send_stream(
                    self.endpoints.clone(),
                    i,
                    stream,
                    self.nonce_prefix.clone(),
                    (first, end),
                    in_flight.clone(),
                    self.tally.clone(),
                )
            },
        ));
        let (outcomes, side) = tokio::join!(senders, during);
        let send_secs = start.elapsed().as_secs_f64();

        let acked: HashMap<u32, SeqSet> =
            outcomes.iter().map(|o| (o.id, o.acked.clone())).collect();
        let expected: u64 = self
            .follows
            .iter()
            .map(|streams| {
                streams
                    .iter()
                    .filter_map(|s| acked.get(s))
                    .map(SeqSet::len)
                    .sum::<u64>()
            })
            .sum();
        let last_delivery = self.drain(expected).await;

        let mut result = TrafficResult {
            offered_rate_per_sec: offered,
            send_secs: procstat::round3(send_secs),
            sent: outcomes.iter().map(|o| o.sent).sum(),
            acked: acked.values().map(SeqSet::len).sum(),
            send_errors: outcomes.iter().map(|o| o.errors).sum(),
            skipped_sends: outcomes.iter().map(|o| o.skipped).sum(),
            acks_per_sec: 0.0,
            ack_latency: Latency::default(),
            expected_deliveries: expected,
            deliveries: 0,
            lost: 0,
            duplicates: 0,
            replayed: 0,
            deliveries_per_sec: 0.0,
            latency: Latency::default(),
            reconnects: 0,
            processes: Vec::new(),
        };
        result.acks_per_sec = per_sec(result.acked, send_secs);
        let mut ack_latency = probe::new_histogram();
        for outcome in &outcomes {
            let _ = ack_latency.add(&outcome.ack_latency);
        }
        result.ack_latency = Latency::of(&ack_latency);

        let mut latency = probe::new_histogram();
        for (follower, streams) in self.followers.iter().zip(&self.follows) {
            follower.with(|s| {
                result.deliveries += s.ledger.delivered(streams);
                result.lost += s.ledger.missing(&acked, streams);
                result.duplicates += s.ledger.duplicates;
                result.replayed += s.ledger.replayed;
                result.reconnects += s.reconnects;
                let _ = latency.add(&s.ledger.latency);
            });
        }
        result.latency = Latency::of(&latency);
        let delivery_secs = last_delivery.saturating_duration_since(start).as_secs_f64();
        result.deliveries_per_sec = per_sec(result.deliveries, delivery_secs);
        result.processes = window.finish(Some(result.deliveries));
        (result, side)
    }

    /// Waits until the followers received `expected` distinct deliveries, for at most [`DRAIN`]
    /// (and never past the deadline); returns when the last delivery was seen.
    async fn drain(&self, expected: u64) -> Instant {
        let until = (Instant::now() + DRAIN).min(self.deadline);
        let mut last_count = Tally::get(&self.tally.delivered);
        let mut last_change = Instant::now();
        loop {
            let delivered: u64 = self
                .followers
                .iter()
                .zip(&self.follows)
                .filter_map(|(f, streams)| f.with(|s| s.ledger.delivered(streams)))
                .sum();
            let count = Tally::get(&self.tally.delivered);
            if count != last_count {
                last_count = count;
                last_change = Instant::now();
            }
            if delivered >= expected {
                return Instant::now();
            }
            if Instant::now() >= until {
                return last_change;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
