//! Rolling restarts under live traffic: each gateway in turn stopped gracefully (one a real
//! `chatalot gateway` process getting SIGTERM) and started again while clients read and send;
//! then each replica of every service in turn. Readers are told to reconnect (4009), resume on
//! the other gateway and receive every acknowledged message exactly once; requests succeed, or
//! fail with 503 and succeed when retried by the client retry rule
//! ([`request_with_retry`], documented in docs/operations.md).

use crate::{helpers::*, messages_support::Room};
use reqwest::Method;
use std::{sync::Mutex, time::Duration};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Room for the senders: they stop (`stop`) long before.
const UNBOUNDED: usize = 10_000;
/// Within this, stopped components drain and expected messages arrive (loaded CI machine).
const WITHIN: Duration = Duration::from_secs(20);

/// Waits until `saw` holds at least `more` messages beyond what it holds now: the stream flows.
async fn flows(saw: &Mutex<Followed>, more: usize) {
    let target = saw.lock().unwrap().messages.len() + more;
    let flowing = eventually(WITHIN, || async {
        saw.lock().unwrap().messages.len() >= target
    })
    .await;
    assert!(flowing, "messages stopped flowing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_restart_in_turn_and_readers_resume_without_loss_or_duplicates() {
    let app = spawn_app().await;
    let room = Room::open(&app, "alice", &["bob", "carol", "dave"]).await;
    let (alice, bob) = (room.owner.clone(), room.members[0].clone());
    let (carol, dave) = (&room.members[1], &room.members[2]);
    let channel_id = room.channel_id;
    let config = app.env.config.clone();
    // The services stay in `app` (partly moved) until the end.
    let TestApp {
        gateway: gateway_a, ..
    } = app;
    // Gateway B is a process of its own, so it gets a real SIGTERM.
    let process_config = config.clone();
    let mut gateway_b = tokio::task::spawn_blocking(move || GatewayProcess::start(&process_config))
        .await
        .unwrap();
    let gateways = Gateways::new(&[gateway_a.addr, gateway_b.addr]);

    let stop_followers = CancellationToken::new();
    let (carol_saw, carol_task) = spawn_follower(
        gateways.clone(),
        0,
        carol.access_token.clone(),
        channel_id,
        stop_followers.clone(),
    );
    let (dave_saw, dave_task) = spawn_follower(
        gateways.clone(),
        1,
        dave.access_token.clone(),
        channel_id,
        stop_followers.clone(),
    );
    follower_ready(&carol_saw).await;
    follower_ready(&dave_saw).await;
    let stop_senders = CancellationToken::new();
    let alice_sends = spawn_sender(
        gateways.clone(),
        0,
        alice.access_token.clone(),
        channel_id,
        "alice",
        UNBOUNDED,
        stop_senders.clone(),
    );
    let bob_sends = spawn_sender(
        gateways.clone(),
        1,
        bob.access_token.clone(),
        channel_id,
        "bob",
        UNBOUNDED,
        stop_senders.clone(),
    );
    flows(&carol_saw, 20).await;
    flows(&dave_saw, 20).await;

    // Gateway B: SIGTERM, it drains and exits 0; a new B comes up on another port. Dave was on
    // it and moves to A.
    let old_b = gateway_b.addr;
    let exited_cleanly = tokio::task::spawn_blocking(move || {
        let clean = gateway_b.terminate(WITHIN);
        (gateway_b, clean)
    })
    .await
    .unwrap();
    assert!(
        exited_cleanly.1,
        "gateway B did not exit cleanly on SIGTERM"
    );
    drop(exited_cleanly.0);
    flows(&dave_saw, 10).await;
    let restarted_config = config.clone();
    let gateway_b = tokio::task::spawn_blocking(move || GatewayProcess::start(&restarted_config))
        .await
        .unwrap();
    gateways.replace(old_b, gateway_b.addr);
    flows(&carol_saw, 10).await;

    // Gateway A (in-process): graceful stop, both readers move to the new B; then A again.
    let old_a = gateway_a.addr;
    gateway_a.running.stop().await;
    flows(&carol_saw, 10).await;
    flows(&dave_saw, 10).await;
    let gateway_a = start_gateway(&config).await;
    gateways.replace(old_a, gateway_a.addr);
    flows(&carol_saw, 10).await;
    flows(&dave_saw, 10).await;

    stop_senders.cancel();
    let mut sent = alice_sends.await.unwrap();
    sent.extend(bob_sends.await.unwrap());
    let acknowledged: Vec<Uuid> = sent.iter().map(|a| a.message_id).collect();
    assert_each_delivered_once("carol", &carol_saw, &acknowledged).await;
    assert_each_delivered_once("dave", &dave_saw, &acknowledged).await;
    stop_followers.cancel();
    carol_task.await.unwrap();
    dave_task.await.unwrap();

    // Every connection a stopping gateway held was told to reconnect: no drops, no other code.
    // Carol was on A (one restart), Dave on B then A (two); each reconnection resumed.
    let (carol_saw, dave_saw) = (carol_saw.lock().unwrap(), dave_saw.lock().unwrap());
    for (who, saw, restarts) in [("carol", &carol_saw, 1), ("dave", &dave_saw, 2)] {
        assert!(
            saw.endings.len() >= restarts && saw.endings.iter().all(|code| *code == 4009),
            "{who}: {:?}",
            saw.endings
        );
        assert!(
            saw.resumes >= restarts,
            "{who} resumed {} times",
            saw.resumes
        );
    }
    let retried: Vec<&Vec<u16>> = sent
        .iter()
        .map(|a| &a.failed_attempts)
        .filter(|f| !f.is_empty())
        .collect();
    assert!(
        retried
            .iter()
            .flat_map(|f| f.iter())
            .all(|s| matches!(s, 0 | 503)),
        "{retried:?}"
    );
    println!(
        "gateway rolling restart: {} messages acknowledged, {} needed retries {retried:?}; \
         replayed on resume: carol {}, dave {}",
        acknowledged.len(),
        retried.len(),
        carol_saw.messages.iter().filter(|(_, r)| *r).count(),
        dave_saw.messages.iter().filter(|(_, r)| *r).count(),
    );
    drop(gateway_b);
}

/// The replicas of one service.
struct Replicas {
    name: &'static str,
    running: [Option<Running>; 2],
}

/// Starts a replica of the service called `name`.
async fn start_replica(name: &str, config: &chatalot_shared::config::Config) -> Running {
    match name {
        "auth" => start_auth(config).await,
        "community" => start_community(config).await,
        "message" => start_message(config).await,
        "keys" => start_keys(config).await,
        "signal" => start_signal(config).await,
        other => panic!("no service {other}"),
    }
}

/// One read of each service, over and over until `stop`, through the retry rule. Returns every
/// request's failed attempts (empty when it succeeded at once).
fn spawn_requests(
    gateways: Gateways,
    user: Session,
    channel_id: Uuid,
    stop: CancellationToken,
) -> JoinHandle<Vec<(&'static str, Vec<u16>)>> {
    tokio::spawn(async move {
        let http = http_client();
        let paths = [
            ("auth", "/api/v1/sessions".to_string()),
            ("community", "/api/v1/users/@me/communities".to_string()),
            (
                "message",
                format!("/api/v1/channels/{channel_id}/messages?limit=5"),
            ),
            ("keys", format!("/api/v1/users/{}/devices", user.user_id)),
            ("signal", "/api/v1/calls/ice-servers".to_string()),
        ];
        let mut done = Vec::new();
        for i in 0.. {
            if stop.is_cancelled() {
                break;
            }
            let (service, path) = &paths[i % paths.len()];
            let (reply, failed) = request_with_retry(
                &http,
                &gateways,
                i,
                Method::GET,
                path,
                &user.access_token,
                None,
            )
            .await;
            assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
            done.push((*service, failed));
        }
        done
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_replicas_restart_in_turn_under_traffic_without_loss() {
    let app = spawn_app().await;
    let room = Room::open(&app, "alice", &["bob", "carol", "dave"]).await;
    let (alice, bob) = (room.owner.clone(), room.members[0].clone());
    let (carol, dave) = (&room.members[1], &room.members[2]);
    let channel_id = room.channel_id;
    let config = app.env.config.clone();
    let TestApp {
        env: _env,
        auth,
        community,
        message,
        keys,
        signal,
        gateway: gateway_a,
        http: _,
    } = app;
    let gateway_b = start_gateway(&config).await;
    let gateways = Gateways::new(&[gateway_a.addr, gateway_b.addr]);
    let mut services = [
        Replicas {
            name: "auth",
            running: [Some(auth), None],
        },
        Replicas {
            name: "community",
            running: [Some(community), None],
        },
        Replicas {
            name: "message",
            running: [Some(message), None],
        },
        Replicas {
            name: "keys",
            running: [Some(keys), None],
        },
        Replicas {
            name: "signal",
            running: [Some(signal), None],
        },
    ];
    for service in &mut services {
        service.running[1] = Some(start_replica(service.name, &config).await);
    }

    let stop_followers = CancellationToken::new();
    let (carol_saw, carol_task) = spawn_follower(
        gateways.clone(),
        0,
        carol.access_token.clone(),
        channel_id,
        stop_followers.clone(),
    );
    let (dave_saw, dave_task) = spawn_follower(
        gateways.clone(),
        1,
        dave.access_token.clone(),
        channel_id,
        stop_followers.clone(),
    );
    follower_ready(&carol_saw).await;
    follower_ready(&dave_saw).await;
    let stop_traffic = CancellationToken::new();
    let alice_sends = spawn_sender(
        gateways.clone(),
        0,
        alice.access_token.clone(),
        channel_id,
        "alice",
        UNBOUNDED,
        stop_traffic.clone(),
    );
    let bob_sends = spawn_sender(
        gateways.clone(),
        1,
        bob.access_token.clone(),
        channel_id,
        "bob",
        UNBOUNDED,
        stop_traffic.clone(),
    );
    let requests = spawn_requests(
        gateways.clone(),
        carol.clone(),
        channel_id,
        stop_traffic.clone(),
    );
    flows(&carol_saw, 10).await;

    // Each replica in turn: graceful stop, traffic on the other replica, start again.
    for service in &mut services {
        for replica in 0..2 {
            let running = service.running[replica].take().expect("replica running");
            running.stop().await;
            flows(&dave_saw, 5).await;
            service.running[replica] = Some(start_replica(service.name, &config).await);
            flows(&dave_saw, 5).await;
            println!("{} replica {replica} restarted", service.name);
        }
    }

    stop_traffic.cancel();
    let mut sent = alice_sends.await.unwrap();
    sent.extend(bob_sends.await.unwrap());
    let requests = requests.await.unwrap();
    let acknowledged: Vec<Uuid> = sent.iter().map(|a| a.message_id).collect();
    assert_each_delivered_once("carol", &carol_saw, &acknowledged).await;
    assert_each_delivered_once("dave", &dave_saw, &acknowledged).await;
    stop_followers.cancel();
    carol_task.await.unwrap();
    dave_task.await.unwrap();

    // Gateways kept running: readers stayed connected throughout.
    let (carol_saw, dave_saw) = (carol_saw.lock().unwrap(), dave_saw.lock().unwrap());
    assert!(carol_saw.endings.is_empty(), "{:?}", carol_saw.endings);
    assert!(dave_saw.endings.is_empty(), "{:?}", dave_saw.endings);
    // Requests that failed did so with 503 only (and then succeeded: request_with_retry
    // returned 200 for each).
    let failures: Vec<(&str, &Vec<u16>)> = requests
        .iter()
        .map(|(s, f)| (*s, f))
        .chain(sent.iter().map(|a| ("send", &a.failed_attempts)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    assert!(
        failures.iter().all(|(_, f)| f.iter().all(|s| *s == 503)),
        "{failures:?}"
    );
    for service in ["auth", "community", "message", "keys", "signal"] {
        assert!(
            requests.iter().filter(|(s, _)| *s == service).count() >= 5,
            "too few {service} requests ran"
        );
    }
    println!(
        "service rolling restart: {} messages acknowledged, {} requests; retried after 503: \
         {failures:?}",
        acknowledged.len(),
        requests.len(),
    );
}
