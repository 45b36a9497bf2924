//! Fault drills under load (#10). Chatalot runs as separate processes (two gateways, two
//! replicas of every service) on a PostgreSQL cluster, a Redis and a NATS server of the test's
//! own. Three senders stream messages through both gateways and two readers follow the channel,
//! one on each gateway, while each fault happens in turn: SIGKILL of a gateway and of a replica
//! of every service (each restarted at once), SIGKILL of NATS (restarted after 2 s), SIGSTOP of
//! NATS and of PostgreSQL for 10 s, `pg_ctl restart -m fast`, and a Redis restart. (A NATS node
//! dying in a cluster is `nats_cluster.rs`.)
//!
//! After each fault: every send the server acknowledged is in the channel's history exactly
//! once and reached each reader exactly once (live or by resume); sends that got an error are
//! sent again with the same nonce, as a client does, and count from then on; every process
//! still runs (only the killed one was replaced) and is ready; and the recovery is measured:
//! from the end of the fault to the first acknowledged send, to the readers having every message
//! acknowledged until then, and to every process being ready. Each is printed and held to a
//! generous bound (documented in docs/security.md, "Fault drills").

use crate::{helpers::*, messages_support::Room, private_services::*};
use chatalot_shared::{config::Config, secret::Secret};
use reqwest::Method;
use serde_json::json;
use sqlx::Connection;
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const SERVICES: [&str; 5] = ["auth", "community", "message", "keys", "signal"];
/// Each sender's pause between two sends, and its bound per drill: a bounded stream.
const PACE: Duration = Duration::from_millis(25);
const MAX_PER_SENDER: usize = 400;
/// Extra senders that start just before each fault and stop just after it began.
const BURST: usize = 8;
/// How long a send is retried (503, no answer) before it counts as failed.
const SEND_RETRY: Duration = Duration::from_secs(20);
/// SIGSTOP lasts this long; a killed NATS stays down this long.
const FREEZE: Duration = Duration::from_secs(10);
const NATS_DOWN: Duration = Duration::from_secs(2);
/// Bounds on recovery, from the end of the fault (generous: a loaded 2-core machine, debug
/// build, twelve Chatalot processes).
const FIRST_ACK_BOUND: Duration = Duration::from_secs(15);
const CAUGHT_UP_BOUND: Duration = Duration::from_secs(20);
const READY_BOUND: Duration = Duration::from_secs(20);

/// One fault.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// SIGKILL a gateway, start a new one (on another port).
    KillGateway,
    /// SIGKILL replica 0 of a service (replica 1 carries on), start a new one.
    KillReplica(&'static str),
    /// SIGKILL the NATS server, start it again on its port after [`NATS_DOWN`].
    KillNats,
    /// SIGSTOP the NATS server for [`FREEZE`], then SIGCONT.
    FreezeNats,
    /// SIGSTOP PostgreSQL (the postmaster and every backend) for [`FREEZE`], then SIGCONT.
    FreezePostgres,
    /// `pg_ctl restart -m fast`.
    RestartPostgres,
    /// SIGKILL Redis, start it again (empty) on its port.
    RestartRedis,
}

impl Fault {
    fn name(self) -> String {
        match self {
            Fault::KillGateway => "kill -9 + restart a gateway".into(),
            Fault::KillReplica(service) => format!("kill -9 + restart a {service}-svc replica"),
            Fault::KillNats => "kill -9 NATS, restart after 2 s".into(),
            Fault::FreezeNats => "SIGSTOP NATS 10 s".into(),
            Fault::FreezePostgres => "SIGSTOP PostgreSQL 10 s".into(),
            Fault::RestartPostgres => "pg_ctl restart -m fast".into(),
            Fault::RestartRedis => "restart Redis".into(),
        }
    }
}

/// Every process and private server of the drills.
struct Deployment {
    config: Config,
    /// The two gateways, then two replicas of each of [`SERVICES`] (replica 0 of a service at
    /// `2 + 2 * i`).
    processes: Vec<ChatalotProcess>,
    routing: Gateways,
    nats: PrivateNats,
    postgres: PrivatePostgres,
    redis: PrivateRedis,
}

impl Deployment {
    fn pids(&self) -> Vec<u32> {
        self.processes.iter().map(ChatalotProcess::pid).collect()
    }

    /// Replaces process `i` (killed) by a new one of its role.
    async fn replace(&mut self, i: usize) {
        let role = self.processes[i].role;
        let old = self.processes[i].addr;
        let new = ChatalotProcess::start(role, &self.config).await;
        if let (Some(old), Some(new)) = (old, new.addr) {
            self.routing.replace(old, new);
        }
        self.processes[i] = new;
    }

    /// Injects `fault`; returns when it ended, and which process it killed (to be replaced by
    /// [`Deployment::replace`]).
    async fn inject(&mut self, fault: Fault) -> (Instant, Option<usize>) {
        match fault {
            Fault::KillGateway | Fault::KillReplica(_) => {
                let i = match fault {
                    Fault::KillReplica(service) => {
                        2 + 2 * SERVICES.iter().position(|s| *s == service).unwrap()
                    }
                    _ => 0,
                };
                self.processes[i].kill();
                (Instant::now(), Some(i))
            }
            Fault::KillNats => {
                self.nats.kill();
                tokio::time::sleep(NATS_DOWN).await;
                tokio::task::block_in_place(|| self.nats.restart());
                (Instant::now(), None)
            }
            Fault::FreezeNats => {
                let pid = self.nats.pid();
                send_signal(pid, "STOP");
                tokio::time::sleep(FREEZE).await;
                send_signal(pid, "CONT");
                (Instant::now(), None)
            }
            Fault::FreezePostgres => {
                let pids = self.postgres.pids();
                for pid in &pids {
                    send_signal(*pid, "STOP");
                }
                tokio::time::sleep(FREEZE).await;
                for pid in &pids {
                    send_signal(*pid, "CONT");
                }
                (Instant::now(), None)
            }
            Fault::RestartPostgres => {
                tokio::task::block_in_place(|| self.postgres.restart_fast());
                (Instant::now(), None)
            }
            Fault::RestartRedis => {
                tokio::task::block_in_place(|| self.redis.restart());
                (Instant::now(), None)
            }
        }
    }
}

/// What the senders of one drill got.
#[derive(Default)]
struct SendLog {
    acknowledged: Vec<Acknowledged>,
    /// Sends answered with an error (or nothing for [`SEND_RETRY`]): the sender's token, the
    /// nonce and the statuses.
    failed: Vec<(String, String, Vec<u16>)>,
}

fn message_body(nonce: &str) -> serde_json::Value {
    json!({ "nonce": nonce, "body": format!("drill message {nonce}") })
}

/// Sends messages (nonces `<tag>-<i>`) one after the other until `stop`, each retried by the
/// client retry rule, logging what was acknowledged and what failed.
fn spawn_drill_sender(
    routing: Gateways,
    start: usize,
    token: String,
    channel_id: Uuid,
    tag: String,
    log: Arc<Mutex<SendLog>>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let http = http_client();
        let path = format!("/api/v1/channels/{channel_id}/messages");
        for i in 0..MAX_PER_SENDER {
            if stop.is_cancelled() {
                break;
            }
            let nonce = format!("{tag}-{i}");
            let sent_at = Instant::now();
            let answer = request_with_retry_within(
                &http,
                &routing,
                start + i,
                Method::POST,
                &path,
                &token,
                Some(message_body(&nonce)),
                SEND_RETRY,
            )
            .await;
            {
                let mut log = log.lock().unwrap();
                match answer {
                    Ok((reply, failed_attempts)) if matches!(reply.status, 200 | 201) => {
                        log.acknowledged.push(Acknowledged {
                            message_id: uuid_of(&reply.body["message_id"]),
                            status: reply.status,
                            sent_at,
                            acked_at: Instant::now(),
                            failed_attempts,
                        })
                    }
                    Ok((reply, mut failed)) => {
                        failed.push(reply.status);
                        log.failed.push((token.clone(), nonce, failed));
                    }
                    Err(failed) => log.failed.push((token.clone(), nonce, failed)),
                }
            }
            tokio::time::sleep(PACE).await;
        }
    })
}

/// One read of each service after the other until `stop`, by the retry rule; returns each
/// read's final status (0: only 503s and dropped connections for [`SEND_RETRY`]).
fn spawn_service_reads(
    routing: Gateways,
    user: Session,
    channel_id: Uuid,
    stop: CancellationToken,
) -> JoinHandle<Vec<(&'static str, u16)>> {
    tokio::spawn(async move {
        let http = http_client();
        let mut done = Vec::new();
        for i in 0.. {
            if stop.is_cancelled() {
                break;
            }
            let (service, path) = service_read(i, user.user_id, channel_id);
            let answer = request_with_retry_within(
                &http,
                &routing,
                i,
                Method::GET,
                &path,
                &user.access_token,
                None,
                SEND_RETRY,
            )
            .await;
            done.push((service, answer.map_or(0, |(reply, _)| reply.status)));
            tokio::time::sleep(PACE).await;
        }
        done
    })
}

/// The `i`-th read of the rotation through the five services.
fn service_read(i: usize, user_id: Uuid, channel_id: Uuid) -> (&'static str, String) {
    match i % 5 {
        0 => ("auth", "/api/v1/sessions".into()),
        1 => ("community", "/api/v1/users/@me/communities".into()),
        2 => (
            "message",
            format!("/api/v1/channels/{channel_id}/messages?limit=5"),
        ),
        3 => ("keys", format!("/api/v1/users/{user_id}/devices")),
        _ => ("signal", "/api/v1/calls/ice-servers".into()),
    }
}

/// Every message id in the channel's history, oldest page last.
async fn history_ids(routing: &Gateways, token: &str, channel_id: Uuid) -> Vec<Uuid> {
    let http = http_client();
    let mut ids = Vec::new();
    let mut before = String::new();
    loop {
        let path = format!("/api/v1/channels/{channel_id}/messages?limit=100{before}");
        let (page, _) =
            request_with_retry(&http, routing, 0, Method::GET, &path, token, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let messages = page.body["messages"].as_array().unwrap().clone();
        let Some(oldest) = messages.first() else {
            return ids;
        };
        before = format!("&before={}", oldest["message_id"].as_str().unwrap());
        ids.extend(messages.iter().map(|m| uuid_of(&m["message_id"])));
    }
}

/// What one drill measured.
struct Measured {
    drill: String,
    /// How long the fault itself lasted (the kill, the freeze, the restart).
    fault_took: Duration,
    acknowledged: usize,
    /// Acknowledged after retries (503 or no answer first).
    retried: usize,
    /// Sends that ended in an error, and how many of those were in fact stored (the resend
    /// with the same nonce answered 200, not 201).
    failed: usize,
    failed_but_stored: usize,
    failed_statuses: BTreeMap<u16, usize>,
    /// Service reads that ended in an error, per status.
    read_errors: BTreeMap<u16, usize>,
    first_ack: Duration,
    caught_up: Duration,
    ready: Duration,
    /// New connections the readers needed (told to reconnect, or dropped).
    reconnects: usize,
}

/// The readers of the channel: `(name, what it saw)`.
type Readers<'a> = [(&'a str, &'a Mutex<Followed>); 2];

/// Waits until each reader has every message acknowledged so far, at least one of them
/// acknowledged at or after `since`; returns when (None after `within`). Polled every 20 ms
/// while the stream goes on, so it holds once delivery keeps up with the senders again.
async fn caught_up(
    log: &Mutex<SendLog>,
    readers: &Readers<'_>,
    since: Instant,
    within: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let now = Instant::now();
        let due: Vec<(Uuid, Instant)> = log
            .lock()
            .unwrap()
            .acknowledged
            .iter()
            .map(|a| (a.message_id, a.acked_at))
            .collect();
        if due.iter().any(|(_, at)| *at >= since) {
            let all = readers.iter().all(|(_, saw)| {
                let seen: std::collections::HashSet<Uuid> =
                    saw.lock().unwrap().ids().into_iter().collect();
                due.iter().all(|(id, _)| seen.contains(id))
            });
            if all {
                return Some(now);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Polls every process's `/readyz` from now on until all answer 200 at once; returns when.
fn spawn_readiness_watch(admins: Vec<std::net::SocketAddr>) -> JoinHandle<Instant> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        loop {
            let checks = admins.iter().map(|admin| {
                let request = http.get(format!("http://{admin}/readyz")).send();
                async move { matches!(request.await, Ok(r) if r.status() == 200) }
            });
            if futures::future::join_all(checks)
                .await
                .into_iter()
                .all(|ok| ok)
            {
                return Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_drills_under_load_lose_and_duplicate_nothing_and_recover_in_bounded_time() {
    let postgres = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .unwrap();
    let mut admin = sqlx::PgConnection::connect(&postgres.url("postgres"))
        .await
        .unwrap();
    sqlx::query("create database chatalot")
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let nats = PrivateNats::start(free_local_port());
    let redis = PrivateRedis::start();
    let mut env = TestEnv::new().await;
    env.config.database.url = Secret::new(postgres.url("chatalot"));
    env.config.nats.url = nats.url();
    env.config.redis.url = Secret::new(redis.url());
    env.config.nats.request_timeout_ms = 2_000;
    let config = env.config.clone();

    // The users and the room come through components in-process, which also migrate the
    // database; then they stop, and processes take over.
    let app = spawn_app_on(env).await;
    let room = Room::open(&app, "alice", &["bob", "erin", "carol", "dave"]).await;
    let TestApp {
        auth,
        community,
        message,
        keys,
        signal,
        gateway,
        ..
    } = app;
    gateway.running.stop().await;
    for service in [auth, community, message, keys, signal] {
        service.stop().await;
    }
    let mut processes = vec![
        ChatalotProcess::start("gateway", &config).await,
        ChatalotProcess::start("gateway", &config).await,
    ];
    for service in SERVICES {
        for _ in 0..2 {
            processes.push(ChatalotProcess::start(service, &config).await);
        }
    }
    let routing = Gateways::new(&[processes[0].addr.unwrap(), processes[1].addr.unwrap()]);
    let mut deployment = Deployment {
        config,
        processes,
        routing: routing.clone(),
        nats,
        postgres,
        redis,
    };
    let channel_id = room.channel_id;
    let senders = [
        (&room.owner, 0),
        (&room.members[0], 1),
        (&room.members[1], 0),
    ];
    let (carol, dave) = (&room.members[2], &room.members[3]);

    let stop_readers = CancellationToken::new();
    let (carol_saw, carol_task) = spawn_follower(
        routing.clone(),
        0,
        carol.access_token.clone(),
        channel_id,
        stop_readers.clone(),
    );
    let (dave_saw, dave_task) = spawn_follower(
        routing.clone(),
        1,
        dave.access_token.clone(),
        channel_id,
        stop_readers.clone(),
    );
    follower_ready(&carol_saw).await;
    follower_ready(&dave_saw).await;
    let readers: Readers = [("carol", &carol_saw), ("dave", &dave_saw)];

    let mut drills = vec![Fault::KillGateway];
    drills.extend(SERVICES.map(Fault::KillReplica));
    drills.extend([
        Fault::KillNats,
        Fault::FreezeNats,
        Fault::FreezePostgres,
        Fault::RestartPostgres,
        Fault::RestartRedis,
    ]);
    let mut ledger: Vec<Uuid> = Vec::new();
    let mut measured = Vec::new();
    let started = Instant::now();
    for (n, fault) in drills.into_iter().enumerate() {
        // The stream: three senders through both gateways, and reads of every service.
        let log = Arc::new(Mutex::new(SendLog::default()));
        let stop = CancellationToken::new();
        let sending: Vec<JoinHandle<()>> = senders
            .iter()
            .enumerate()
            .map(|(k, (user, start))| {
                spawn_drill_sender(
                    routing.clone(),
                    *start,
                    user.access_token.clone(),
                    channel_id,
                    format!("d{n}s{k}"),
                    log.clone(),
                    stop.clone(),
                )
            })
            .collect();
        let reads = spawn_service_reads(routing.clone(), dave.clone(), channel_id, stop.clone());
        let flowing = eventually(Duration::from_secs(30), || async {
            log.lock().unwrap().acknowledged.len() >= 15
        })
        .await;
        assert!(flowing, "{}: the stream did not get going", fault.name());
        let endings_before: usize = readers
            .iter()
            .map(|(_, saw)| saw.lock().unwrap().endings.len())
            .sum();
        let pids_before = deployment.pids();

        // A burst of concurrent sends as the fault hits, so that some are in flight in the
        // process that dies or freezes (its senders stop soon after the fault began).
        let burst = CancellationToken::new();
        let mut sending = sending;
        for k in 0..BURST {
            let (user, start) = senders[k % senders.len()];
            sending.push(spawn_drill_sender(
                routing.clone(),
                start + k,
                user.access_token.clone(),
                channel_id,
                format!("d{n}b{k}"),
                log.clone(),
                burst.clone(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let fault_start = Instant::now();
        let (fault_end, replaced) = deployment.inject(fault).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        burst.cancel();
        let fault_took = fault_end.duration_since(fault_start);
        let admins = |d: &Deployment| d.processes.iter().map(|p| p.admin).collect();
        // With a process killed, the rest carry on while it is down: its replacement starts
        // once the stream recovered without it.
        let readiness = replaced
            .is_none()
            .then(|| spawn_readiness_watch(admins(&deployment)));

        let first_ack = eventually(FIRST_ACK_BOUND * 2, || async {
            log.lock()
                .unwrap()
                .acknowledged
                .iter()
                .any(|a| a.acked_at >= fault_end)
        })
        .await;
        assert!(
            first_ack,
            "{}: no send acknowledged after the fault",
            fault.name()
        );
        let caught_up_at = caught_up(&log, &readers, fault_end, CAUGHT_UP_BOUND * 2).await;
        let Some(caught_up_at) = caught_up_at else {
            panic!("{}: the readers did not catch up", fault.name());
        };
        let readiness = match replaced {
            Some(i) => {
                deployment.replace(i).await;
                spawn_readiness_watch(admins(&deployment))
            }
            None => readiness.unwrap(),
        };
        // A little more of the stream, then it ends.
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.cancel();
        for sender in sending {
            sender.await.unwrap();
        }
        let reads = reads.await.unwrap();
        let mut log = std::mem::take(&mut *log.lock().unwrap());

        // Failed sends go again with their nonce, as a client retries; from now on they count.
        let http = http_client();
        let path = format!("/api/v1/channels/{channel_id}/messages");
        let mut failed_but_stored = 0;
        let mut failed_statuses = BTreeMap::new();
        for (token, nonce, statuses) in &log.failed {
            *failed_statuses
                .entry(statuses.last().copied().unwrap_or(0))
                .or_insert(0) += 1;
            let (reply, _) = request_with_retry(
                &http,
                &routing,
                0,
                Method::POST,
                &path,
                token,
                Some(message_body(nonce)),
            )
            .await;
            assert!(
                matches!(reply.status, 200 | 201),
                "{}: resending {nonce}: {} {}",
                fault.name(),
                reply.status,
                reply.body
            );
            if reply.status == 200 {
                failed_but_stored += 1;
            }
            log.acknowledged.push(Acknowledged {
                message_id: uuid_of(&reply.body["message_id"]),
                status: reply.status,
                sent_at: Instant::now(),
                acked_at: Instant::now(),
                failed_attempts: statuses.clone(),
            });
        }
        ledger.extend(log.acknowledged.iter().map(|a| a.message_id));

        // Exactly once: in the history, and at each reader.
        let mut history = history_ids(&routing, &dave.access_token, channel_id).await;
        history.sort();
        let mut expected = ledger.clone();
        expected.sort();
        assert_eq!(
            history,
            expected,
            "{}: the history differs from what was acknowledged",
            fault.name()
        );
        for (who, saw) in &readers {
            assert_each_delivered_once(&format!("{}: {who}", fault.name()), saw, &ledger).await;
        }

        // Nothing restarted but the killed process; everything ready again.
        let pids_after = deployment.pids();
        for (i, process) in deployment.processes.iter_mut().enumerate() {
            assert!(
                process.running(),
                "{}: {} exited",
                fault.name(),
                process.role
            );
            if Some(i) != replaced {
                assert_eq!(
                    pids_before[i], pids_after[i],
                    "{} was replaced",
                    process.role
                );
            }
        }
        let ready_at = tokio::time::timeout(READY_BOUND * 2, readiness).await;
        let Ok(Ok(ready_at)) = ready_at else {
            panic!("{}: a process is not ready", fault.name());
        };
        // Every service answers at once on every gateway.
        for i in 0..10 {
            let (service, path) = service_read(i, dave.user_id, channel_id);
            let url = format!("http://{}{path}", routing.pick(i / 5));
            let reply = send(&http, Method::GET, &url, Some(&dave.access_token), None).await;
            assert_eq!(
                reply.status,
                200,
                "{}: {service} after recovery: {}",
                fault.name(),
                reply.body
            );
        }

        let endings_after: usize = readers
            .iter()
            .map(|(_, saw)| saw.lock().unwrap().endings.len())
            .sum();
        let mut read_errors = BTreeMap::new();
        for (_, status) in reads.iter().filter(|(_, status)| *status != 200) {
            *read_errors.entry(*status).or_insert(0) += 1;
        }
        let first_ack_at = log
            .acknowledged
            .iter()
            .map(|a| a.acked_at)
            .filter(|at| *at >= fault_end)
            .min()
            .unwrap();
        let result = Measured {
            drill: fault.name(),
            fault_took,
            acknowledged: log.acknowledged.len(),
            retried: log
                .acknowledged
                .iter()
                .filter(|a| !a.failed_attempts.is_empty())
                .count(),
            failed: log.failed.len(),
            failed_but_stored,
            failed_statuses,
            read_errors,
            first_ack: first_ack_at.duration_since(fault_end),
            caught_up: caught_up_at.duration_since(fault_end),
            ready: ready_at.duration_since(fault_end),
            reconnects: endings_after - endings_before,
        };
        println!(
            "drill {n} {} (took {:?}): {} acknowledged ({} after retries), {} failed {:?} ({} of them \
             stored), reads failed {:?}; first ack {:?}, readers caught up {:?}, all ready \
             {:?} after the fault; readers reconnected {} times",
            result.drill,
            result.fault_took,
            result.acknowledged,
            result.retried,
            result.failed,
            result.failed_statuses,
            result.failed_but_stored,
            result.read_errors,
            result.first_ack,
            result.caught_up,
            result.ready,
            result.reconnects,
        );
        measured.push(result);
    }
    stop_readers.cancel();
    carol_task.await.unwrap();
    dave_task.await.unwrap();
    println!(
        "fault drills: {} messages in {:?}",
        ledger.len(),
        started.elapsed()
    );
    println!(
        "| drill | fault lasted | first acknowledged send | readers caught up | all processes ready |"
    );
    for m in &measured {
        println!(
            "| {} | {:.1} s | {:.2} s | {:.2} s | {:.2} s |",
            m.drill,
            m.fault_took.as_secs_f64(),
            m.first_ack.as_secs_f64(),
            m.caught_up.as_secs_f64(),
            m.ready.as_secs_f64()
        );
    }
    for m in &measured {
        // Every send ends acknowledged under the client retry rule (503 and no answer are
        // retried): a fault answered with another error (it was 500 when PostgreSQL restarted
        // under a query) would make clients give up on a send that a retry would store.
        assert!(
            m.failed == 0 && m.read_errors.is_empty(),
            "{}: sends ended in errors {:?}, reads in {:?}",
            m.drill,
            m.failed_statuses,
            m.read_errors
        );
        assert!(
            m.first_ack <= FIRST_ACK_BOUND
                && m.caught_up <= CAUGHT_UP_BOUND
                && m.ready <= READY_BOUND,
            "{}: recovery beyond its bounds: first ack {:?}, caught up {:?}, ready {:?}",
            m.drill,
            m.first_ack,
            m.caught_up,
            m.ready
        );
    }
}

#[tokio::test]
async fn a_query_cut_off_by_a_database_restart_is_503_for_clients_to_retry() {
    // What `pg_ctl restart -m fast` does to a query in flight (the fault drill above caught a
    // send answered 500 that way), on a connection of our own: its backend is terminated.
    use chatalot_shared::{db::OrInternal, error::ApiError};
    let base = std::env::var("TEST_CHATALOT_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let mut victim = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut victim)
        .await
        .unwrap();
    let sleeping = tokio::spawn(async move {
        sqlx::query("select pg_sleep(20)")
            .execute(&mut victim)
            .await
            .map(|_| ())
    });
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    let mut asleep = false;
    for _ in 0..200 {
        let sleepers: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where pid = $1 and query like '%pg_sleep%'",
        )
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if sleepers == 1 {
            asleep = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(asleep, "the query did not start");
    sqlx::query("select pg_terminate_backend($1)")
        .bind(pid)
        .execute(&mut admin)
        .await
        .unwrap();
    let cut_off = tokio::time::timeout(Duration::from_secs(10), sleeping)
        .await
        .expect("the query ended with its backend")
        .unwrap()
        .unwrap_err();
    assert!(chatalot_shared::db::is_unavailable(&cut_off), "{cut_off:?}");
    let answered = Err::<(), _>(cut_off).or_internal("sleeping").unwrap_err();
    assert_eq!(answered.code.as_str(), "service_unavailable");
    assert_eq!(answered.http_status(), 503);

    // A database that refuses connections likewise; a failing statement stays `internal`.
    let refused = sqlx::PgConnection::connect(&format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        free_local_port()
    ))
    .await
    .unwrap_err();
    assert_eq!(ApiError::from(refused).code.as_str(), "service_unavailable");
    let failing = sqlx::query("select * from no_such_table")
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(failing).code.as_str(), "internal");
}
