//! Calls end to end, through real gateways and services: joining voice channels and
//! conversation calls, live participant events, the signaling relay (to the right peer only),
//! the participant cap under concurrent joins, moderators removing participants, timeouts and
//! permissions, the grace period after a dropped connection, TURN credentials, and bad input.

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::Sha1;
use std::{collections::VecDeque, time::Duration};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// A WebSocket client that sends call commands and keeps every frame it reads while waiting
/// for something else, so no event is lost between a command and its reply.
struct CallClient {
    ws: WsClient,
    seen: VecDeque<Value>,
    next_ref: u64,
}

impl CallClient {
    async fn connect(gateway: &GatewayHandle, user: &Session) -> Self {
        Self::connect_url(&gateway.ws_url(), user).await
    }

    async fn connect_url(ws_url: &str, user: &Session) -> Self {
        Self {
            ws: WsClient::identified(ws_url, &user.access_token).await,
            seen: VecDeque::new(),
            next_ref: 0,
        }
    }

    /// Sends a call command (`body` without its ref); returns the ref.
    async fn send(&mut self, mut body: Value) -> String {
        self.next_ref += 1;
        let reference = format!("r{}", self.next_ref);
        body["ref"] = json!(reference);
        self.ws.send_json(json!({ "op": "call", "d": body })).await;
        reference
    }

    /// The reply to `reference` (`{ref, ok}` or `{ref, error}`).
    async fn reply(&mut self, reference: &str) -> Value {
        if let Some(found) = self.take(|f| f["op"] == "reply" && f["d"]["ref"] == reference) {
            return found["d"].clone();
        }
        loop {
            let frame = self.ws.next_json().await;
            if frame["op"] == "reply" && frame["d"]["ref"] == reference {
                return frame["d"].clone();
            }
            self.seen.push_back(frame);
        }
    }

    /// Sends a command and waits for its reply.
    async fn command(&mut self, body: Value) -> Value {
        let reference = self.send(body).await;
        self.reply(&reference).await
    }

    /// Sends a command that must succeed; returns its `ok`.
    async fn ok(&mut self, body: Value) -> Value {
        let reply = self.command(body.clone()).await;
        assert!(reply.get("error").is_none(), "{body} failed: {reply}");
        reply["ok"].clone()
    }

    /// Sends a command that must fail; returns the error code.
    async fn refused(&mut self, body: Value) -> String {
        let reply = self.command(body.clone()).await;
        assert!(reply.get("ok").is_none(), "{body} succeeded: {reply}");
        reply["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn join(&mut self, call: &Value) -> Value {
        self.ok(json!({ "action": "join", "call": call })).await
    }

    async fn signal(&mut self, call: &Value, to: &Session, signal: Value) -> Value {
        self.command(
            json!({ "action": "signal", "call": call, "to_user_id": to.user_id, "signal": signal }),
        )
        .await
    }

    /// The `d` of the next event `t` matching `matches` (frames read meanwhile are kept).
    async fn event(&mut self, t: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let is = |f: &Value| f["op"] == "event" && f["t"] == t && matches(&f["d"]);
        if let Some(found) = self.take(is) {
            return found["d"].clone();
        }
        loop {
            let frame = self.ws.next_json().await;
            if is(&frame) {
                return frame["d"].clone();
            }
            self.seen.push_back(frame);
        }
    }

    /// Reads for `window` and asserts no event `t` arrived (nor is kept from before).
    async fn no_event(&mut self, t: &str, window: Duration) {
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut self.ws.stream)).await
        {
            if let Message::Text(text) = message {
                self.seen
                    .push_back(serde_json::from_str(&text).expect("JSON frame"));
            }
        }
        let unexpected: Vec<&Value> = self
            .seen
            .iter()
            .filter(|f| f["op"] == "event" && f["t"] == t)
            .collect();
        assert!(unexpected.is_empty(), "unexpected {t}: {unexpected:?}");
    }

    fn take(&mut self, matches: impl Fn(&Value) -> bool) -> Option<Value> {
        let index = self.seen.iter().position(matches)?;
        self.seen.remove(index)
    }
}

fn of(user: &Session) -> impl Fn(&Value) -> bool + '_ {
    move |d: &Value| {
        d["participant"]["user_id"] == json!(user.user_id) || d["user_id"] == json!(user.user_id)
    }
}

fn ids(participants: &Value) -> Vec<Uuid> {
    participants
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| uuid_of(&p["user_id"]))
        .collect()
}

/// A public community owned by `owner` with `members` in it and a voice channel (`extra` adds
/// fields, `voice_cap` say).
struct Voice {
    community_id: Uuid,
    channel_id: Uuid,
    call: Value,
}

async fn voice_channel(app: &TestApp, owner: &Session, community_id: Uuid, extra: Value) -> Voice {
    let view = app.community_view(owner, community_id).await;
    let group_id = uuid_of(&view["groups"][0]["group_id"]);
    let mut body = json!({ "kind": "voice" });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let channel_id = app
        .create_channel(owner, community_id, group_id, "Lounge", body)
        .await;
    Voice {
        community_id,
        channel_id,
        call: json!({ "kind": "channel", "id": channel_id }),
    }
}

async fn voice_setup(app: &TestApp, owner: &Session, members: &[&Session]) -> Voice {
    let community_id = app.create_community(owner, "Calls", "public").await;
    for member in members {
        app.join_community(member, community_id).await;
    }
    voice_channel(app, owner, community_id, json!({})).await
}

fn call_path(voice: &Voice) -> String {
    format!("/api/v1/channels/{}/call", voice.channel_id)
}

async fn participants(app: &TestApp, voice: &Voice, user: &Session) -> Vec<Uuid> {
    let call = app.get(&call_path(voice), &user.access_token).await;
    assert_eq!(call.status, 200, "{}", call.body);
    ids(&call.body["participants"])
}

fn offer(sdp: &str) -> Value {
    json!({ "type": "offer", "sdp": sdp })
}

#[tokio::test]
async fn three_users_on_three_gateways_join_and_signals_reach_only_their_target() {
    let app = spawn_app().await;
    let gateway_b = app.env.start_gateway().await;
    let gateway_c = app.env.start_gateway().await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let cy = app.register("cyd").await;
    let dee = app.register("dee").await;
    let voice = voice_setup(&app, &ana, &[&ben, &cy, &dee]).await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&gateway_b, &ben).await;
    let mut c = CallClient::connect(&gateway_c, &cy).await;
    let mut d = CallClient::connect(&gateway_b, &dee).await;

    let first = a.join(&voice.call).await;
    assert_eq!(first["call"], voice.call);
    assert_eq!(first["max_participants"], 25);
    assert_eq!(ids(&first["participants"]), vec![ana.user_id]);
    b.join(&voice.call).await;
    let last = c.join(&voice.call).await;
    assert_eq!(
        ids(&last["participants"]),
        vec![ana.user_id, ben.user_id, cy.user_id]
    );
    let cy_state = &last["participants"][2];
    assert_eq!(
        (
            &cy_state["muted"],
            &cy_state["camera"],
            &cy_state["can_speak"],
            &cy_state["connected"]
        ),
        (&json!(false), &json!(false), &json!(true), &json!(true))
    );

    // Everyone who sees the channel hears of each join, whichever gateway holds them; Dee is
    // not in the call but sees the channel.
    for user in [&ben, &cy] {
        let joined = a.event("call_participant_joined", of(user)).await;
        assert_eq!(joined["call"], voice.call);
    }
    b.event("call_participant_joined", of(&cy)).await;
    for user in [&ana, &ben, &cy] {
        d.event("call_participant_joined", of(user)).await;
    }

    // Own state goes to everyone as well.
    let ben_state = b
        .ok(json!({ "action": "update_state", "call": voice.call, "muted": true, "camera": true }))
        .await;
    assert_eq!(
        (&ben_state["muted"], &ben_state["camera"]),
        (&json!(true), &json!(true))
    );
    for client in [&mut a, &mut d] {
        let updated = client.event("call_participant_updated", of(&ben)).await;
        assert_eq!(updated["participant"]["camera"], true);
        assert_eq!(updated["participant"]["deafened"], false);
    }

    // Offer and answer between Ana and Ben; ICE from Ana to Cy; an offer from Cy to Ben.
    let sent = a.signal(&voice.call, &ben, offer("v=0 ana to ben")).await;
    assert_eq!(sent["ok"], json!({}), "{sent}");
    let got = b.event("call_signal", |_| true).await;
    assert_eq!(uuid_of(&got["from_user_id"]), ana.user_id);
    assert_eq!(got["call"], voice.call);
    assert_eq!(got["signal"], offer("v=0 ana to ben"));
    let answer = json!({ "type": "answer", "sdp": "v=0 ben to ana" });
    assert_eq!(
        b.signal(&voice.call, &ana, answer.clone()).await["ok"],
        json!({})
    );
    let got = a.event("call_signal", |_| true).await;
    assert_eq!(
        (uuid_of(&got["from_user_id"]), &got["signal"]),
        (ben.user_id, &answer)
    );
    let candidate = json!({
        "type": "ice_candidate",
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host",
        "sdp_mid": "0",
        "sdp_m_line_index": 0,
    });
    let sent = a.signal(&voice.call, &cy, candidate.clone()).await;
    assert_eq!(sent["ok"], json!({}), "{sent}");
    let got = c.event("call_signal", |_| true).await;
    // Cy's first signal is the one for Cy: Ana's offer to Ben never reached Cy.
    assert_eq!(uuid_of(&got["from_user_id"]), ana.user_id);
    assert_eq!(got["signal"]["candidate"], candidate["candidate"]);
    assert_eq!(got["signal"]["sdp_m_line_index"], 0);
    c.signal(&voice.call, &ben, offer("v=0 cy to ben")).await;
    let got = b.event("call_signal", |_| true).await;
    assert_eq!(
        (uuid_of(&got["from_user_id"]), &got["signal"]),
        (cy.user_id, &offer("v=0 cy to ben"))
    );
    // Dee watched the whole call and received none of the signals.
    d.no_event("call_signal", Duration::from_millis(300)).await;

    // Leaving: the others are told why.
    c.ok(json!({ "action": "leave", "call": voice.call })).await;
    let left = a.event("call_participant_left", of(&cy)).await;
    assert_eq!(left["reason"], "left");
    d.event("call_participant_left", of(&cy)).await;
    assert_eq!(
        participants(&app, &voice, &dee).await,
        vec![ana.user_id, ben.user_id]
    );
}

#[tokio::test]
async fn only_participants_relay_and_strangers_learn_nothing() {
    let app = spawn_app().await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let dee = app.register("dee").await;
    let eve = app.register("eve").await; // not a member
    let voice = voice_setup(&app, &ana, &[&ben, &dee]).await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&app.gateway, &ben).await;
    let mut d = CallClient::connect(&app.gateway, &dee).await;
    let mut e = CallClient::connect(&app.gateway, &eve).await;
    a.join(&voice.call).await;
    b.join(&voice.call).await;

    // A member who is not in the call may see it but not signal in it.
    assert_eq!(
        d.signal(&voice.call, &ana, offer("v=0")).await["error"]["code"],
        "forbidden"
    );
    assert_eq!(
        d.refused(json!({ "action": "update_state", "call": voice.call, "muted": true }))
            .await,
        "forbidden"
    );
    assert_eq!(
        participants(&app, &voice, &dee).await,
        vec![ana.user_id, ben.user_id]
    );
    // A stranger cannot tell the call from one that does not exist.
    let unknown = json!({ "kind": "channel", "id": Uuid::now_v7() });
    for call in [&voice.call, &unknown] {
        assert_eq!(
            e.signal(call, &ana, offer("v=0")).await["error"]["code"],
            "not_found"
        );
        assert_eq!(
            e.refused(json!({ "action": "join", "call": call })).await,
            "not_found"
        );
    }
    let probe = app.get(&call_path(&voice), &eve.access_token).await;
    assert_eq!((probe.status, probe.code()), (404, "not_found"));
    let missing = app
        .get(
            &format!("/api/v1/channels/{}/call", Uuid::now_v7()),
            &ana.access_token,
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));

    // Signals go between two distinct, connected participants only.
    assert_eq!(
        a.signal(&voice.call, &ana, offer("v=0")).await["error"]["code"],
        "invalid_request"
    );
    assert_eq!(
        a.signal(&voice.call, &dee, offer("v=0")).await["error"]["code"],
        "not_found"
    );
    // Ben's other connection is not the one in the call.
    let mut b2 = CallClient::connect(&app.gateway, &ben).await;
    assert_eq!(
        b2.signal(&voice.call, &ana, offer("v=0")).await["error"]["code"],
        "forbidden"
    );
    assert_eq!(
        b2.refused(json!({ "action": "update_state", "call": voice.call, "camera": true }))
            .await,
        "forbidden"
    );

    // A text channel holds no call.
    let view = app.community_view(&ana, voice.community_id).await;
    let text = view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"]["kind"] == "text")
        .map(|c| c["channel"]["channel_id"].clone())
        .unwrap();
    assert_eq!(
        a.refused(json!({ "action": "join", "call": { "kind": "channel", "id": text } }))
            .await,
        "invalid_request"
    );

    // Conversation calls: members only. Joining one moves Ana out of the voice channel.
    let conversation = app
        .ok(
            Method::POST,
            "/api/v1/conversations",
            &ana.access_token,
            Some(json!({ "member_ids": [ben.user_id] })),
        )
        .await;
    let conversation_id = uuid_of(&conversation["conversation_id"]);
    let direct = json!({ "kind": "conversation", "id": conversation_id });
    let joined = a.join(&direct).await;
    assert_eq!(joined["max_participants"], 25);
    let moved = b.event("call_participant_left", of(&ana)).await;
    assert_eq!(
        (&moved["call"], &moved["reason"]),
        (&voice.call, &json!("moved"))
    );
    let rung = b
        .event("call_participant_joined", |d| d["call"] == direct)
        .await;
    assert_eq!(uuid_of(&rung["participant"]["user_id"]), ana.user_id);
    let path = format!("/api/v1/conversations/{conversation_id}/call");
    let seen = app.get(&path, &ben.access_token).await;
    assert_eq!(ids(&seen.body["participants"]), vec![ana.user_id]);
    let outsider = app.get(&path, &dee.access_token).await;
    assert_eq!((outsider.status, outsider.code()), (404, "not_found"));
    assert_eq!(
        d.refused(json!({ "action": "join", "call": direct })).await,
        "not_found"
    );
    assert_eq!(participants(&app, &voice, &dee).await, vec![ben.user_id]);
    // The removal route is for voice channels only: a conversation id is no channel.
    let removal = app
        .send(
            Method::DELETE,
            &format!(
                "/api/v1/channels/{conversation_id}/call/participants/{}",
                ana.user_id
            ),
            Some(&ben.access_token),
            None,
        )
        .await;
    assert_eq!(removal.status, 404, "{}", removal.body);
}

#[tokio::test]
async fn the_twenty_sixth_joiner_is_refused_even_when_all_join_at_once() {
    let app = spawn_app().await;
    let gateway_b = app.env.start_gateway().await;
    let owner = app.register("host").await;
    let mut guests = Vec::new();
    for i in 0..25 {
        guests.push(app.register(&format!("guest{i}")).await);
    }
    let members: Vec<&Session> = guests.iter().collect();
    let voice = voice_setup(&app, &owner, &members).await;
    let mut clients = vec![CallClient::connect(&app.gateway, &owner).await];
    for (i, guest) in guests.iter().enumerate() {
        let gateway = if i % 2 == 0 { &app.gateway } else { &gateway_b };
        clients.push(CallClient::connect(gateway, guest).await);
    }

    // Every join is sent before any reply is read: 26 joins race for 25 places.
    let mut refs = Vec::new();
    for client in &mut clients {
        refs.push(
            client
                .send(json!({ "action": "join", "call": voice.call }))
                .await,
        );
    }
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for (index, (client, reference)) in clients.iter_mut().zip(&refs).enumerate() {
        let reply = client.reply(reference).await;
        match reply["error"]["code"].as_str() {
            None => admitted.push(index),
            Some(code) => refused.push((index, code.to_string(), reply["error"].clone())),
        }
    }
    assert_eq!(admitted.len(), 25, "{refused:?}");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].1, "call_full", "{refused:?}");
    assert_eq!(participants(&app, &voice, &owner).await.len(), 25);

    // A channel's voice_cap lowers the cap. Two participants move there; the one who was
    // refused finds it full too.
    let small = voice_channel(&app, &owner, voice.community_id, json!({ "voice_cap": 2 })).await;
    let call = app.get(&call_path(&small), &owner.access_token).await;
    assert_eq!(call.body["max_participants"], 2);
    for index in &admitted[..2] {
        clients[*index].join(&small.call).await;
    }
    let outsider = refused[0].0;
    assert_eq!(
        clients[outsider]
            .refused(json!({ "action": "join", "call": small.call }))
            .await,
        "call_full"
    );
    // The two who moved left room in the big call.
    assert_eq!(participants(&app, &voice, &owner).await.len(), 23);
}

#[tokio::test]
async fn a_moderator_removes_a_participant_and_nothing_is_relayed_to_them_afterwards() {
    let app = spawn_app().await;
    let ana = app.register("ana").await; // owner
    let mia = app.register("mia").await; // moderator: kick_members
    let ben = app.register("ben").await;
    let cy = app.register("cyd").await;
    let eve = app.register("eve").await; // not a member
    let voice = voice_setup(&app, &ana, &[&mia, &ben, &cy]).await;
    let base = format!("/api/v1/communities/{}", voice.community_id);
    let role = app
        .ok(
            Method::POST,
            &format!("{base}/roles"),
            &ana.access_token,
            Some(json!({ "name": "Moderators", "permissions": ["kick_members"] })),
        )
        .await;
    let role_id = role["role_id"].as_str().unwrap();
    app.ok(
        Method::PUT,
        &format!("{base}/members/{}/roles/{role_id}", mia.user_id),
        &ana.access_token,
        None,
    )
    .await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut m = CallClient::connect(&app.gateway, &mia).await;
    let mut b = CallClient::connect(&app.gateway, &ben).await;
    let mut c = CallClient::connect(&app.gateway, &cy).await;
    for client in [&mut a, &mut m, &mut b, &mut c] {
        client.join(&voice.call).await;
    }
    let remove = |user: &Session| format!("{}/participants/{}", call_path(&voice), user.user_id);

    // Refusals first: no kick_members, the owner, someone not in the call, a stranger.
    let plain = app
        .send(Method::DELETE, &remove(&ben), Some(&cy.access_token), None)
        .await;
    assert_eq!((plain.status, plain.code()), (403, "forbidden"));
    let on_owner = app
        .send(Method::DELETE, &remove(&ana), Some(&mia.access_token), None)
        .await;
    assert_eq!((on_owner.status, on_owner.code()), (403, "forbidden"));
    let absent = app
        .send(Method::DELETE, &remove(&eve), Some(&mia.access_token), None)
        .await;
    assert_eq!((absent.status, absent.code()), (404, "not_found"));
    let stranger = app
        .send(Method::DELETE, &remove(&ben), Some(&eve.access_token), None)
        .await;
    assert_eq!((stranger.status, stranger.code()), (404, "not_found"));

    // The moderator removes Ben: everyone who sees the channel is told, Ben included.
    let removed = app
        .send(Method::DELETE, &remove(&ben), Some(&mia.access_token), None)
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    for client in [&mut a, &mut c, &mut b] {
        let left = client.event("call_participant_left", of(&ben)).await;
        assert_eq!(left["reason"], "removed");
    }
    assert_eq!(
        participants(&app, &voice, &cy).await,
        vec![ana.user_id, mia.user_id, cy.user_id]
    );
    // Nothing reaches Ben any more, and Ben can no longer signal or change state there.
    assert_eq!(
        c.signal(&voice.call, &ben, offer("v=0")).await["error"]["code"],
        "not_found"
    );
    assert_eq!(
        b.signal(&voice.call, &cy, offer("v=0")).await["error"]["code"],
        "forbidden"
    );
    assert_eq!(
        b.refused(json!({ "action": "update_state", "call": voice.call, "muted": true }))
            .await,
        "forbidden"
    );
    // Cy's next signal comes from Ana, proving the relay still works for the others.
    a.signal(&voice.call, &cy, offer("v=0 after")).await;
    let got = c.event("call_signal", |_| true).await;
    assert_eq!(uuid_of(&got["from_user_id"]), ana.user_id);
    b.no_event("call_signal", Duration::from_millis(200)).await;
}

#[tokio::test]
async fn timed_out_members_cannot_speak_and_permissions_bound_what_members_do() {
    let app = spawn_app().await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let cy = app.register("cyd").await;
    let dee = app.register("dee").await;
    let voice = voice_setup(&app, &ana, &[&ben, &cy, &dee]).await;
    let base = format!("/api/v1/communities/{}", voice.community_id);
    let channel_overwrite = |user: &Session| {
        format!(
            "{base}/channels/{}/overwrites/member/{}",
            voice.channel_id, user.user_id
        )
    };
    app.ok(
        Method::PUT,
        &channel_overwrite(&cy),
        &ana.access_token,
        Some(json!({ "allow": [], "deny": ["connect"] })),
    )
    .await;
    app.ok(
        Method::PUT,
        &channel_overwrite(&dee),
        &ana.access_token,
        Some(json!({ "allow": [], "deny": ["video"] })),
    )
    .await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&app.gateway, &ben).await;
    let mut c = CallClient::connect(&app.gateway, &cy).await;
    let mut d = CallClient::connect(&app.gateway, &dee).await;
    a.join(&voice.call).await;

    // Without connect: no joining. Without video: no camera, whatever the client asks.
    assert_eq!(
        c.refused(json!({ "action": "join", "call": voice.call }))
            .await,
        "forbidden"
    );
    let joined = d
        .ok(json!({ "action": "join", "call": voice.call, "camera": true }))
        .await;
    let dee_state = &joined["participants"][1];
    assert_eq!(
        (
            &dee_state["camera"],
            &dee_state["can_video"],
            &dee_state["can_speak"]
        ),
        (&json!(false), &json!(false), &json!(true))
    );
    assert_eq!(
        d.refused(json!({ "action": "update_state", "call": voice.call, "screen_sharing": true }))
            .await,
        "forbidden"
    );

    // A timeout mutes a participant at once and keeps them muted.
    b.join(&voice.call).await;
    let timeout = format!("{base}/members/{}/timeout", ben.user_id);
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    app.ok(
        Method::PUT,
        &timeout,
        &ana.access_token,
        Some(json!({ "until": until })),
    )
    .await;
    let updated = a
        .event("call_participant_updated", |d| {
            d["participant"]["user_id"] == json!(ben.user_id)
                && d["participant"]["can_speak"] == false
        })
        .await;
    assert_eq!(updated["participant"]["muted"], true);
    assert_eq!(updated["participant"]["can_video"], false);
    let reply = b
        .command(json!({ "action": "update_state", "call": voice.call, "muted": false }))
        .await;
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("timed out"),
        "{reply}"
    );
    // Joining again does not unmute either.
    b.ok(json!({ "action": "leave", "call": voice.call })).await;
    let again = b
        .ok(json!({ "action": "join", "call": voice.call, "muted": false }))
        .await;
    let ben_state = again["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == json!(ben.user_id))
        .cloned()
        .unwrap();
    assert_eq!(
        (&ben_state["muted"], &ben_state["can_speak"]),
        (&json!(true), &json!(false))
    );
    // Deafening needs no right.
    let deaf = b
        .ok(json!({ "action": "update_state", "call": voice.call, "deafened": true }))
        .await;
    assert_eq!(
        (&deaf["deafened"], &deaf["muted"]),
        (&json!(true), &json!(true))
    );

    // Once the timeout is lifted, Ben may speak again.
    app.ok(
        Method::PUT,
        &timeout,
        &ana.access_token,
        Some(json!({ "until": null })),
    )
    .await;
    let unmuted = b
        .ok(json!({ "action": "update_state", "call": voice.call, "muted": false }))
        .await;
    assert_eq!(
        (&unmuted["muted"], &unmuted["can_speak"]),
        (&json!(false), &json!(true))
    );
    let seen = a
        .event("call_participant_updated", |d| {
            d["participant"]["user_id"] == json!(ben.user_id) && d["participant"]["muted"] == false
        })
        .await;
    assert_eq!(seen["participant"]["can_speak"], true);

    // Losing connect mid-call takes them out of it.
    app.ok(
        Method::PUT,
        &channel_overwrite(&ben),
        &ana.access_token,
        Some(json!({ "allow": [], "deny": ["connect"] })),
    )
    .await;
    a.event("call_participant_left", |d| {
        d["user_id"] == json!(ben.user_id) && d["reason"] == "lost_access"
    })
    .await;
    assert_eq!(
        participants(&app, &voice, &ana).await,
        vec![ana.user_id, dee.user_id]
    );
}

#[tokio::test]
async fn a_dropped_connection_leaves_the_call_after_the_grace_period() {
    let app = spawn_app_with(|config| {
        config.calls.disconnect_grace_ms = 600;
        config.calls.sweep_interval_ms = 100;
    })
    .await;
    let gateway_b = app.env.start_gateway().await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let voice = voice_setup(&app, &ana, &[&ben]).await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&gateway_b, &ben).await;
    a.join(&voice.call).await;
    b.join(&voice.call).await;

    b.ws.stream.close(None).await.expect("close");
    drop(b);
    let disconnected = a.event("call_participant_updated", of(&ben)).await;
    assert_eq!(disconnected["participant"]["connected"], false);
    // Signals to someone whose connection is gone are refused at once.
    assert_eq!(
        a.signal(&voice.call, &ben, offer("v=0")).await["error"]["code"],
        "not_found"
    );
    let left = a.event("call_participant_left", of(&ben)).await;
    assert_eq!(left["reason"], "disconnected");
    assert_eq!(participants(&app, &voice, &ana).await, vec![ana.user_id]);
}

#[tokio::test]
async fn a_participant_whose_gateway_is_killed_leaves_after_the_grace_period() {
    let app = spawn_app_with(|config| {
        config.presence.gateway_ttl_secs = 3;
        config.calls.disconnect_grace_ms = 500;
        config.calls.sweep_interval_ms = 100;
    })
    .await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let voice = voice_setup(&app, &ana, &[&ben]).await;
    let mut gateway = GatewayProcess::start(&app.env.config);
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect_url(&gateway.ws_url(), &ben).await;
    a.join(&voice.call).await;
    b.join(&voice.call).await;

    // SIGKILL: the gateway never reports the connection closed; its liveness key expires
    // (presence.gateway_ttl_secs), the grace period runs, and Ben is gone.
    gateway.kill();
    let disconnected = a.event("call_participant_updated", of(&ben)).await;
    assert_eq!(disconnected["participant"]["connected"], false);
    let left = a.event("call_participant_left", of(&ben)).await;
    assert_eq!(left["reason"], "disconnected");
    assert_eq!(participants(&app, &voice, &ana).await, vec![ana.user_id]);
}

#[tokio::test]
async fn a_participant_who_reconnects_within_the_grace_period_stays() {
    let app = spawn_app_with(|config| {
        config.calls.disconnect_grace_ms = 2_000;
        config.calls.sweep_interval_ms = 100;
    })
    .await;
    let gateway_b = app.env.start_gateway().await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let voice = voice_setup(&app, &ana, &[&ben]).await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&app.gateway, &ben).await;
    a.join(&voice.call).await;
    let first = b.join(&voice.call).await;

    b.ws.stream.close(None).await.expect("close");
    drop(b);
    a.event("call_participant_updated", |d| {
        d["participant"]["user_id"] == json!(ben.user_id) && d["participant"]["connected"] == false
    })
    .await;
    // Ben comes back through another gateway and joins again: same participant, new connection.
    let mut b = CallClient::connect(&gateway_b, &ben).await;
    let back = b.join(&voice.call).await;
    assert_eq!(ids(&back["participants"]), ids(&first["participants"]));
    let rejoined = a.event("call_participant_joined", of(&ben)).await;
    assert_eq!(rejoined["participant"]["connected"], true);
    a.no_event("call_participant_left", Duration::from_millis(2_500))
        .await;
    assert_eq!(
        participants(&app, &voice, &ana).await,
        vec![ana.user_id, ben.user_id]
    );
    b.signal(&voice.call, &ana, offer("v=0 back")).await;
    let got = a.event("call_signal", |_| true).await;
    assert_eq!(uuid_of(&got["from_user_id"]), ben.user_id);
}

#[tokio::test]
async fn calls_survive_a_signal_replica_dying() {
    // Two signal-svc replicas; requests go to either (a NATS queue group).
    let env = TestEnv::new().await;
    let auth = env.start_auth().await;
    let community = env.start_community().await;
    let message = env.start_message().await;
    let keys = start_keys(&env.config).await;
    let mut doomed = start_signal(&env.config).await;
    let survivor = start_signal(&env.config).await;
    let gateway = env.start_gateway().await;
    let app = TestApp {
        env,
        auth,
        community,
        message,
        keys,
        signal: survivor,
        gateway,
        http: http_client(),
    };
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let cyd = app.register("cyd").await;
    let voice = voice_setup(&app, &ana, &[&ben, &cyd]).await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&app.gateway, &ben).await;
    let mut c = CallClient::connect(&app.gateway, &cyd).await;
    a.join(&voice.call).await;
    b.join(&voice.call).await;
    b.ok(json!({ "action": "update_state", "call": voice.call, "muted": true }))
        .await;

    // The replica dies without draining; the call lives in Redis, the other replica carries on.
    doomed.kill();
    // Its NATS subscriptions go away with it (an unsubscribe in flight may still catch a
    // request, answered 503 after the timeout: poll past that moment).
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.get(&call_path(&voice), &ana.access_token).await.status == 200
        })
        .await
    );
    let call = app.get(&call_path(&voice), &ana.access_token).await;
    assert_eq!(
        ids(&call.body["participants"]),
        vec![ana.user_id, ben.user_id]
    );
    assert_eq!(call.body["participants"][1]["muted"], true);
    for i in 0..5 {
        let sdp = format!("v=0 offer {i}");
        let sent = a.signal(&voice.call, &ben, offer(&sdp)).await;
        assert_eq!(sent["ok"], json!({}), "{sent}");
        let got = b.event("call_signal", |_| true).await;
        assert_eq!(got["signal"]["sdp"], sdp);
    }
    let state = c.join(&voice.call).await;
    assert_eq!(state["participants"].as_array().map(Vec::len), Some(3));
    b.ok(json!({ "action": "leave", "call": voice.call })).await;
    a.event("call_participant_left", of(&ben)).await;
}

#[tokio::test]
async fn turn_credentials_follow_the_coturn_scheme_and_expire() {
    const SECRET: &str = "coturn-static-auth-secret";
    let app = spawn_app_with(|config| {
        config.calls.stun_urls = vec!["stun:turn.example.com:3478".into()];
        config.calls.turn_urls = vec![
            "turn:turn.example.com:3478?transport=udp".into(),
            "turns:turn.example.com:5349?transport=tcp".into(),
        ];
        config.calls.turn_secret = chatalot_shared::secret::Secret::new(SECRET);
        config.calls.turn_credential_ttl_secs = 600;
    })
    .await;
    let ana = app.register("ana").await;
    let before = chrono::Utc::now().timestamp();
    let reply = app
        .get("/api/v1/calls/ice-servers", &ana.access_token)
        .await;
    let after = chrono::Utc::now().timestamp();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let servers = reply.body["ice_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{}", reply.body);
    assert_eq!(
        servers[0],
        json!({ "urls": ["stun:turn.example.com:3478"] })
    );
    let turn = &servers[1];
    assert_eq!(turn["urls"].as_array().unwrap().len(), 2);

    let username = turn["username"].as_str().unwrap();
    let (expiry, user) = username.split_once(':').unwrap();
    assert_eq!(Uuid::parse_str(user).unwrap(), ana.user_id);
    let expiry: i64 = expiry.parse().unwrap();
    assert!(
        (before + 600..=after + 600).contains(&expiry),
        "expiry {expiry} is not now + ttl"
    );
    let expires_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(reply.body["expires_at"].clone()).unwrap();
    assert_eq!(expires_at.timestamp(), expiry);
    // coturn's check, computed independently: base64(HMAC-SHA1(secret, username)).
    let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(username.as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(turn["credential"], expected);
    // Another user's credentials differ.
    let ben = app.register("ben").await;
    let other = app
        .get("/api/v1/calls/ice-servers", &ben.access_token)
        .await;
    assert_ne!(
        other.body["ice_servers"][1]["credential"],
        turn["credential"]
    );

    let anonymous = app
        .send(Method::GET, "/api/v1/calls/ice-servers", None, None)
        .await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "missing_token"));
}

#[tokio::test]
async fn without_ice_servers_configured_the_list_is_empty() {
    let app = spawn_app().await;
    let ana = app.register("ana").await;
    let reply = app
        .get("/api/v1/calls/ice-servers", &ana.access_token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, json!({ "ice_servers": [], "expires_at": null }));
}

#[tokio::test]
async fn bad_call_commands_get_clear_errors_and_the_connection_survives() {
    let app = spawn_app_with(|config| {
        // Room for a 64 KiB SDP plus its frame.
        config.gateway.ws_max_message_bytes = 256 * 1024;
        config.calls.command_burst = 40;
        config.calls.command_rate_per_sec = 1;
    })
    .await;
    let ana = app.register("ana").await;
    let ben = app.register("ben").await;
    let voice = voice_setup(&app, &ana, &[&ben]).await;
    let mut a = CallClient::connect(&app.gateway, &ana).await;
    let mut b = CallClient::connect(&app.gateway, &ben).await;
    a.join(&voice.call).await;
    b.join(&voice.call).await;

    // SDP size: 64 KiB passes, a byte more is payload_too_large.
    let limit = 64 * 1024;
    let largest = "s".repeat(limit);
    assert_eq!(
        a.signal(&voice.call, &ben, offer(&largest)).await["ok"],
        json!({})
    );
    let got = b.event("call_signal", |_| true).await;
    assert_eq!(got["signal"]["sdp"].as_str().map(str::len), Some(limit));
    let reply = a
        .signal(&voice.call, &ben, offer(&"s".repeat(limit + 1)))
        .await;
    assert_eq!(reply["error"]["code"], "payload_too_large", "{reply}");
    let reply = a
        .signal(
            &voice.call,
            &ben,
            json!({ "type": "ice_candidate", "candidate": "c".repeat(4096) }),
        )
        .await;
    assert_eq!(reply["error"]["code"], "payload_too_large");

    // Malformed commands: invalid_request, with the ref echoed.
    for body in [
        json!({ "action": "dance" }),
        json!({ "action": "join" }),
        json!({ "action": "join", "call": { "kind": "room", "id": voice.channel_id } }),
        json!({ "action": "join", "call": { "kind": "channel", "id": "nope" } }),
        json!({ "action": "join", "call": voice.call, "volume": 11 }),
        json!({ "action": "signal", "call": voice.call, "to_user_id": ben.user_id, "signal": { "type": "hello" } }),
        json!({ "action": "signal", "call": voice.call, "to_user_id": ben.user_id, "signal": { "type": "offer" } }),
        json!({ "action": "signal", "call": voice.call, "to_user_id": ben.user_id, "signal": { "type": "offer", "sdp": "" } }),
        json!({ "action": "update_state", "call": voice.call, "muted": "yes" }),
    ] {
        let reference = a.send(body.clone()).await;
        let reply = a.reply(&reference).await;
        assert_eq!(reply["ref"], reference);
        assert_eq!(reply["error"]["code"], "invalid_request", "{body}: {reply}");
    }
    // Unknown calls: not_found, except leaving, which is harmless.
    let unknown = json!({ "kind": "conversation", "id": Uuid::now_v7() });
    assert_eq!(
        a.refused(json!({ "action": "update_state", "call": unknown, "muted": true }))
            .await,
        "not_found"
    );
    assert_eq!(
        a.ok(json!({ "action": "leave", "call": unknown })).await,
        json!({})
    );
    // After all that, the connection still works.
    a.signal(&voice.call, &ben, offer("v=0 still here")).await;
    let got = b
        .event("call_signal", |d| d["signal"]["sdp"] == "v=0 still here")
        .await;
    assert_eq!(uuid_of(&got["from_user_id"]), ana.user_id);

    // Per-connection rate limit: a fresh connection has its own burst of 40.
    let mut flood = CallClient::connect(&app.gateway, &ben).await;
    let mut refs = Vec::new();
    for _ in 0..50 {
        refs.push(
            flood
                .send(json!({ "action": "leave", "call": unknown }))
                .await,
        );
    }
    let mut limited = Vec::new();
    for reference in &refs {
        let reply = flood.reply(reference).await;
        if reply["error"]["code"] == "rate_limited" {
            assert!(reply["error"]["rate_limit"]["reset_secs"].as_u64() >= Some(1));
            limited.push(reference.clone());
        }
    }
    assert!(
        !limited.is_empty(),
        "50 commands at once passed a burst of 40"
    );
    assert!(
        !refs[..40].iter().any(|r| limited.contains(r)),
        "the burst itself was limited: {limited:?}"
    );
    // Ana's connection was not affected by Ben's flood.
    assert_eq!(
        a.ok(json!({ "action": "leave", "call": unknown })).await,
        json!({})
    );

    // A call frame without a ref cannot be answered: the frame itself is malformed (4002).
    let mut raw = WsClient::identified(&app.gateway.ws_url(), &ana.access_token).await;
    raw.send_json(json!({ "op": "call", "d": { "action": "leave" } }))
        .await;
    assert_eq!(raw.ended(Duration::from_secs(5)).await, Ended::Closed(4002));

    // REST: malformed ids and missing tokens.
    let bad = app
        .get("/api/v1/channels/not-a-uuid/call", &ana.access_token)
        .await;
    assert_eq!((bad.status, bad.code()), (400, "invalid_request"));
    let bad = app
        .send(
            Method::DELETE,
            &format!("{}/participants/nope", call_path(&voice)),
            Some(&ana.access_token),
            None,
        )
        .await;
    assert_eq!((bad.status, bad.code()), (400, "invalid_request"));
    let anonymous = app.send(Method::GET, &call_path(&voice), None, None).await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "missing_token"));
}

#[tokio::test]
async fn the_call_routes_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let openapi = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(openapi.status, 200);
    for (path, method) in [
        ("/api/v1/channels/{channel_id}/call", "get"),
        ("/api/v1/conversations/{conversation_id}/call", "get"),
        (
            "/api/v1/channels/{channel_id}/call/participants/{user_id}",
            "delete",
        ),
        ("/api/v1/calls/ice-servers", "get"),
    ] {
        let operation = &openapi.body["paths"][path][method];
        assert_eq!(operation["tags"], json!(["calls"]), "{method} {path}");
    }
    let schemas = &openapi.body["components"]["schemas"];
    for schema in ["CallState", "CallParticipant", "CallId", "IceServers"] {
        assert!(schemas.get(schema).is_some(), "schema {schema} missing");
    }
}
