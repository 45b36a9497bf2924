//! Chatalot on a three-node NATS cluster: gateways and services (two message-svc replicas) spread
//! over the nodes, one node killed while two users stream messages through two gateways. The components on the dead
//! node fail over to another node their `nats.url` lists, every acknowledged message reaches
//! each reader exactly once (live, or replayed by a resume), and messages keep flowing without
//! restarting any Chatalot process.

use crate::{helpers::*, messages_support::Room};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Messages each of the two senders streams; the node dies after [`KILL_AFTER`] arrived.
const PER_SENDER: usize = 100;
const KILL_AFTER: usize = 60;
/// Generous bounds for a loaded 2-core machine; the measured times are printed.
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_node_dies_mid_stream_and_every_acknowledged_message_arrives_once() {
    // Node 1 dies. Its components list node 0 as their other server, and node 0 is started
    // only after they connected: they are on node 1, whatever order the client tries servers
    // in. Node 2's components likewise; node 0's list nodes 0 and 2, so they never see node 1.
    let mut cluster = NatsCluster::new(3);
    cluster.start(1);
    cluster.start(2);
    let mut env = TestEnv::new().await;
    env.config.nats.request_timeout_ms = 2_000;
    let on = |nodes: &[usize]| {
        let mut config = env.config.clone();
        config.nats.url = cluster.url(nodes);
        config
    };
    let (dying, surviving, fallback) = (on(&[1, 0]), on(&[2, 0]), on(&[0, 2]));
    let gateway_a = start_gateway(&dying).await;
    let message = start_message(&dying).await;
    let community = start_community(&dying).await;
    let gateway_b = start_gateway(&surviving).await;
    // A second message-svc replica, on a node that survives: sends go on during the failover,
    // and the two replicas' events interleave.
    let _message_2 = start_message(&surviving).await;
    let keys = start_keys(&surviving).await;
    cluster.start(0);
    cluster.wait_until_meshed().await;
    let auth = start_auth(&fallback).await;
    let signal = start_signal(&fallback).await;
    let on_node_1 = cluster.clients_of(1).await;
    for name in ["community-svc", "gateway", "message-svc"] {
        assert!(on_node_1.contains(&name.to_string()), "{on_node_1:?}");
    }
    let on_node_2 = cluster.clients_of(2).await;
    for name in ["gateway", "keys-svc", "message-svc"] {
        assert!(on_node_2.contains(&name.to_string()), "{on_node_2:?}");
    }
    // Node 0 holds at most auth-svc and signal-svc (their list is nodes 0 and 2) so far.
    let on_node_0 = cluster.clients_of(0).await;
    assert!(
        on_node_0
            .iter()
            .all(|name| name == "auth-svc" || name == "signal-svc"),
        "{on_node_0:?}"
    );

    let gateways = Gateways::new(&[gateway_a.addr, gateway_b.addr]);
    let app = TestApp {
        env,
        auth,
        community,
        message,
        keys,
        signal,
        gateway: gateway_a,
        http: http_client(),
    };
    let room = Room::open(&app, "alice", &["bob", "carol", "dave"]).await;
    let (alice, bob) = (&room.owner, &room.members[0]);
    let (carol, dave) = (&room.members[1], &room.members[2]);
    let channel_id = room.channel_id;

    // Carol reads through gateway A (on the dying node), Dave through gateway B.
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
    // A first message both receive live.
    let first = spawn_sender(
        gateways.clone(),
        0,
        alice.access_token.clone(),
        channel_id,
        "first",
        1,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let mut acknowledged: Vec<_> = first.iter().map(|a| a.message_id).collect();
    for (who, saw) in [("carol", &carol_saw), ("dave", &dave_saw)] {
        let live = eventually(Duration::from_secs(10), || async {
            saw.lock().unwrap().ids() == acknowledged
        })
        .await;
        assert!(live, "{who} did not receive the first message");
    }

    // Alice sends through gateway A, Bob through B; node 1 dies mid-stream.
    let never = CancellationToken::new();
    let alice_sends = spawn_sender(
        gateways.clone(),
        0,
        alice.access_token.clone(),
        channel_id,
        "alice",
        PER_SENDER,
        never.clone(),
    );
    let bob_sends = spawn_sender(
        gateways.clone(),
        1,
        bob.access_token.clone(),
        channel_id,
        "bob",
        PER_SENDER,
        never.clone(),
    );
    let mid_stream = eventually(Duration::from_secs(30), || async {
        dave_saw.lock().unwrap().messages.len() > KILL_AFTER
    })
    .await;
    assert!(mid_stream, "the stream did not get going");
    let killed_at = Instant::now();
    cluster.kill(1);

    // The dead node's components reconnect to node 0, the other server they list.
    let failed_over = eventually(RECOVERY_BOUND, || async {
        let now = cluster.clients_of(0).await;
        ["community-svc", "gateway", "message-svc"]
            .iter()
            .all(|name| now.contains(&name.to_string()))
    })
    .await;
    let reconnected_in = killed_at.elapsed();
    assert!(
        failed_over,
        "components did not fail over to node 0: {:?}",
        cluster.clients_of(0).await
    );

    let mut sent = alice_sends.await.unwrap();
    sent.extend(bob_sends.await.unwrap());
    let after_kill: Vec<&Acknowledged> = sent.iter().filter(|a| a.sent_at > killed_at).collect();
    let first_ack_after_kill = after_kill
        .iter()
        .map(|a| a.acked_at.duration_since(killed_at))
        .min()
        .expect("sends after the kill");
    let retried: Vec<&Acknowledged> = sent
        .iter()
        .filter(|a| !a.failed_attempts.is_empty())
        .collect();
    let replayed_acks = sent.iter().filter(|a| a.status == 200).count();
    acknowledged.extend(sent.iter().map(|a| a.message_id));

    // Still flowing, nothing restarted: a few more messages, acknowledged at once.
    let mut after = Vec::new();
    for (i, (who, start)) in [(alice, 0), (bob, 1), (alice, 1), (bob, 0)]
        .into_iter()
        .enumerate()
    {
        let ack = spawn_sender(
            gateways.clone(),
            start,
            who.access_token.clone(),
            channel_id,
            &format!("after-{i}"),
            1,
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert!(
            ack[0].failed_attempts.is_empty(),
            "a send after recovery needed retries: {:?}",
            ack[0].failed_attempts
        );
        after.push(ack[0].message_id);
    }
    acknowledged.extend(&after);

    let caught_up_at = Instant::now();
    assert_each_delivered_once("carol", &carol_saw, &acknowledged).await;
    assert_each_delivered_once("dave", &dave_saw, &acknowledged).await;
    let delivered_in = caught_up_at.elapsed();
    stop_followers.cancel();
    carol_task.await.unwrap();
    dave_task.await.unwrap();

    // Carol's gateway lost NATS with the node: it told her to reconnect, and she resumed.
    let carol_saw = std::mem::take(&mut *carol_saw.lock().unwrap());
    assert!(
        carol_saw.endings.contains(&4009),
        "carol was not told to reconnect: {:?}",
        carol_saw.endings
    );
    assert!(carol_saw.resumes >= 1, "carol never resumed");
    // The history holds each acknowledged message once.
    let mut history_ids = Vec::new();
    let mut before = String::new();
    for _ in 0..10 {
        let page = app
            .get(
                &format!("/api/v1/channels/{channel_id}/messages?limit=100{before}"),
                &dave.access_token,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let messages = page.body["messages"].as_array().unwrap().clone();
        let Some(oldest) = messages.first() else {
            break;
        };
        before = format!("&before={}", oldest["message_id"].as_str().unwrap());
        history_ids.extend(messages.iter().map(|m| uuid_of(&m["message_id"])));
    }
    history_ids.sort();
    let mut expected = acknowledged.clone();
    expected.sort();
    assert_eq!(
        history_ids, expected,
        "history differs from what was acknowledged"
    );

    let dave_saw = std::mem::take(&mut *dave_saw.lock().unwrap());
    println!(
        "NATS node killed mid-stream: components on node 0 after {reconnected_in:?}; first \
         acknowledged send started after the kill: {first_ack_after_kill:?}; {} sends retried \
         ({} answered 200 from an earlier attempt); carol: {} ends {:?}, {} resumes, {} \
         replayed; dave: {} ends {:?}, {} replayed; stragglers arrived within \
         {delivered_in:?}",
        retried.len(),
        replayed_acks,
        carol_saw.endings.len(),
        carol_saw.endings,
        carol_saw.resumes,
        carol_saw.messages.iter().filter(|(_, r)| *r).count(),
        dave_saw.endings.len(),
        dave_saw.endings,
        dave_saw.messages.iter().filter(|(_, r)| *r).count(),
    );
    assert!(reconnected_in < RECOVERY_BOUND);
    assert!(first_ack_after_kill < RECOVERY_BOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_loses_its_nats_server_tells_its_clients_to_resume() {
    // The gateway is on node 1 (node 0, its other server, starts after it connected); the
    // services are on node 0. Node 1 dies while nothing is being sent: the events the gateway
    // may have missed cannot reveal themselves, so its clients must be told to resume at once.
    let mut cluster = NatsCluster::new(2);
    cluster.start(1);
    let env = TestEnv::new().await;
    let mut gateway_config = env.config.clone();
    gateway_config.nats.url = cluster.url(&[1, 0]);
    let gateway = start_gateway(&gateway_config).await;
    cluster.start(0);
    cluster.wait_until_meshed().await;
    let mut config = env.config.clone();
    config.nats.url = cluster.url(&[0]);
    let app = TestApp {
        auth: start_auth(&config).await,
        community: start_community(&config).await,
        message: start_message(&config).await,
        keys: start_keys(&config).await,
        signal: start_signal(&config).await,
        env,
        gateway,
        http: http_client(),
    };
    assert_eq!(cluster.clients_of(1).await, ["gateway"]);
    let room = Room::open(&app, "erin", &["frank"]).await;
    let gateways = Gateways::new(&[app.gateway.addr]);
    let stop = CancellationToken::new();
    let (frank_saw, frank_task) = spawn_follower(
        gateways.clone(),
        0,
        room.members[0].access_token.clone(),
        room.channel_id,
        stop.clone(),
    );
    follower_ready(&frank_saw).await;
    let send_one = |tag: &str| {
        spawn_sender(
            gateways.clone(),
            0,
            room.owner.access_token.clone(),
            room.channel_id,
            tag,
            1,
            CancellationToken::new(),
        )
    };
    let before = send_one("before").await.unwrap()[0].message_id;
    let live = eventually(Duration::from_secs(10), || async {
        frank_saw.lock().unwrap().ids() == [before]
    })
    .await;
    assert!(live, "the first message did not arrive");

    let killed_at = Instant::now();
    cluster.kill(1);
    let told = eventually(Duration::from_secs(10), || async {
        frank_saw.lock().unwrap().endings == [4009]
    })
    .await;
    let told_in = killed_at.elapsed();
    assert!(
        told,
        "the client was not told to reconnect: {:?}",
        frank_saw.lock().unwrap().endings
    );
    let resumed = eventually(RECOVERY_BOUND, || async {
        frank_saw.lock().unwrap().resumes == 1
    })
    .await;
    assert!(resumed, "the client did not resume");
    let resumed_in = killed_at.elapsed();
    let after = send_one("after").await.unwrap()[0].message_id;
    assert_each_delivered_once("frank", &frank_saw, &[before, after]).await;
    stop.cancel();
    frank_task.await.unwrap();
    println!(
        "gateway lost its NATS server: clients told to reconnect after {told_in:?}, resumed \
         after {resumed_in:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_event_was_lost_reaches_a_connected_reader_through_resume() {
    // What a dying NATS node does to an event, made deterministic: the middle message is
    // committed (written straight to message-svc's table) but its event never published. The
    // next message names it as its predecessor; the reader's gateway holds that one back, then
    // tells the reader to resume, which brings both, in order.
    let app = spawn_app().await;
    let room = Room::open(&app, "gina", &["hank"]).await;
    let gateways = Gateways::new(&[app.gateway.addr]);
    let stop = CancellationToken::new();
    let (hank_saw, hank_task) = spawn_follower(
        gateways.clone(),
        0,
        room.members[0].access_token.clone(),
        room.channel_id,
        stop.clone(),
    );
    follower_ready(&hank_saw).await;
    let send_one = |tag: &str| {
        spawn_sender(
            gateways.clone(),
            0,
            room.owner.access_token.clone(),
            room.channel_id,
            tag,
            1,
            CancellationToken::new(),
        )
    };
    let first = send_one("first").await.unwrap()[0].message_id;
    let live = eventually(Duration::from_secs(10), || async {
        hank_saw.lock().unwrap().ids() == [first]
    })
    .await;
    assert!(live, "the first message did not arrive");

    let lost = uuid::Uuid::now_v7();
    let db = sqlx::PgPool::connect(app.env.config.database.url.expose())
        .await
        .unwrap();
    sqlx::query(
        "insert into message.channel_messages \
            (message_id, channel_id, community_id, author_id, nonce, body) \
         values ($1, $2, $3, $4, 'lost', 'its event never left')",
    )
    .bind(lost)
    .bind(room.channel_id)
    .bind(room.community_id)
    .bind(room.owner.user_id)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;

    let next = send_one("next").await.unwrap()[0].message_id;
    let delivered = eventually(Duration::from_secs(20), || async {
        hank_saw.lock().unwrap().ids().len() >= 3
    })
    .await;
    assert!(delivered, "{:?}", hank_saw.lock().unwrap());
    assert_each_delivered_once("hank", &hank_saw, &[first, lost, next]).await;
    stop.cancel();
    hank_task.await.unwrap();
    let hank_saw = hank_saw.lock().unwrap();
    assert_eq!(hank_saw.ids(), [first, lost, next], "in order");
    assert_eq!(
        hank_saw.messages[1..],
        [(lost, true), (next, true)],
        "both came with the resume"
    );
    assert_eq!(hank_saw.endings, [4009]);
}
