//! Encrypted conversations end to end: real devices (the native crypto client in
//! `e2e_client.rs`) register keys, fetch bundles through the gateway, and exchange direct and
//! group messages through the real services. Every device of every member decrypts; device
//! changes reach the other members; a member who left cannot read later messages; the
//! database and the attachment store hold no plaintext.

use crate::e2e_client::*;
use crate::helpers::*;
use chatalot_crypto::CryptoError;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A second device of an existing user: a new login (a device belongs to one session).
async fn second_login(app: &TestApp, username: &str) -> Session {
    let reply = app.login(username, PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    Session::from_json(&reply.body)
}

/// Users who share a public community (conversations need one).
async fn neighbours(app: &TestApp, names: &[&str]) -> Vec<Session> {
    let mut users = Vec::new();
    for name in names {
        users.push(app.register(name).await);
    }
    let community_id = app
        .create_community(&users[0], "Neighbours", "public")
        .await;
    for user in &users[1..] {
        app.join_community(user, community_id).await;
    }
    users
}

async fn start_conversation(app: &TestApp, creator: &Session, others: &[Uuid]) -> Uuid {
    let reply = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            Some(&creator.access_token),
            Some(json!({ "member_ids": others })),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    uuid_of(&reply.body["conversation_id"])
}

fn text(body: &str) -> Value {
    json!({ "kind": "text", "text": body })
}

fn user_ids(devices: &[&Device]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = devices.iter().map(|d| d.session.user_id).collect();
    ids.dedup();
    ids
}

#[tokio::test]
async fn direct_messages_decrypt_on_every_device_and_nothing_readable_is_stored() {
    let app = spawn_app().await;
    let users = neighbours(&app, &["alice", "bob"]).await;
    let (alice, bob) = (users[0].clone(), users[1].clone());
    let mut laptop = Device::register(&app, alice.clone(), "Alice laptop").await;
    let mut phone = Device::register(&app, second_login(&app, "alice").await, "Alice phone").await;
    let mut bob_laptop = Device::register(&app, bob.clone(), "Bob laptop").await;
    let mut bob_phone = Device::register(&app, second_login(&app, "bob").await, "Bob phone").await;
    let conversation = start_conversation(&app, &alice, &[bob.user_id]).await;

    let everyone = [alice.user_id, bob.user_id];
    let mut sent_texts = Vec::new();
    // Alternate senders across devices so sessions start from both sides and ratchet forward.
    let mut all = [&mut laptop, &mut phone, &mut bob_laptop, &mut bob_phone];
    for round in 0..3 {
        for sender in 0..all.len() {
            let body = format!("secret {round}-{sender}: meet at the usual place");
            let to = all[sender].devices_of(&app, &everyone).await;
            assert_eq!(to.len(), 3, "three other devices");
            let sender_id = all[sender].device_id;
            let author_id = all[sender].session.user_id;
            all[sender]
                .send_pairwise(&app, conversation, &to, &text(&body), &[])
                .await;
            for (index, device) in all.iter_mut().enumerate() {
                if index == sender {
                    continue;
                }
                let received = device.receive().await;
                assert_eq!(received.conversation_id, conversation);
                assert_eq!(received.sender_device_id, sender_id);
                assert_eq!(received.author_id, author_id);
                assert_eq!(received.text(), body, "device {index} in round {round}");
            }
            sent_texts.push(body);
        }
    }

    // History through the gateway carries the same ciphertexts: the phone decrypts nothing
    // twice (the keys were used), but its own entry is there for every message.
    let history = app
        .get(
            &format!(
                "/api/v1/conversations/{conversation}/messages?device_id={}",
                bob_phone.device_id
            ),
            &bob_phone.session.access_token,
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let messages = history.body["messages"].as_array().unwrap();
    let with_entry = messages
        .iter()
        .filter(|message| bob_phone.own_ciphertext(message).is_some())
        .count();
    assert_eq!(
        with_entry, 9,
        "every message not sent by the phone has its entry"
    );
    let replayed = messages
        .iter()
        .find(|message| bob_phone.own_ciphertext(message).is_some())
        .unwrap();
    let ciphertext = bob_phone.own_ciphertext(replayed).unwrap();
    assert!(
        bob_phone.decrypt(replayed, ciphertext).is_err(),
        "a replayed message must not decrypt twice"
    );

    let plaintexts: Vec<&[u8]> = sent_texts.iter().map(|t| t.as_bytes()).collect();
    assert_no_plaintext_stored(&app, &plaintexts).await;
}

#[tokio::test]
async fn group_conversations_survive_device_changes_and_exclude_members_who_left() {
    let app = spawn_app().await;
    let users = neighbours(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (users[0].clone(), users[1].clone(), users[2].clone());
    let mut alice_dev = Device::register(&app, alice.clone(), "Alice").await;
    let mut bob_one = Device::register(&app, bob.clone(), "Bob one").await;
    let mut bob_two = Device::register(&app, second_login(&app, "bob").await, "Bob two").await;
    let mut carol_dev = Device::register(&app, carol.clone(), "Carol").await;
    let conversation = start_conversation(&app, &alice, &[bob.user_id, carol.user_id]).await;
    let members = user_ids(&[&alice_dev, &bob_one, &carol_dev]);
    let mut plaintexts: Vec<String> = Vec::new();

    // Everyone sends one group message; every other device decrypts it.
    {
        let mut all = [&mut alice_dev, &mut bob_one, &mut bob_two, &mut carol_dev];
        for sender in 0..all.len() {
            let body = format!("group hello from device {sender}");
            let to = all[sender].devices_of(&app, &members).await;
            assert_eq!(to.len(), 3);
            all[sender]
                .send_group(&app, conversation, &to, &text(&body))
                .await;
            for (index, device) in all.iter_mut().enumerate() {
                if index != sender {
                    assert_eq!(device.receive().await.text(), body);
                }
            }
            plaintexts.push(body);
        }
    }

    // Bob adds a third device: Alice is told, and her next message reaches it too.
    let mut bob_three = Device::register(&app, second_login(&app, "bob").await, "Bob three").await;
    let changed = alice_dev.ws.next_event("devices_changed").await;
    assert_eq!(uuid_of(&changed["user_id"]), bob.user_id);
    assert_eq!(changed["devices"].as_array().unwrap().len(), 3);
    let to = alice_dev.devices_of(&app, &members).await;
    assert_eq!(to.len(), 4);
    let body = "the new laptop can read this".to_string();
    alice_dev
        .send_group(&app, conversation, &to, &text(&body))
        .await;
    for device in [&mut bob_one, &mut bob_two, &mut bob_three, &mut carol_dev] {
        assert_eq!(device.receive().await.text(), body);
    }
    plaintexts.push(body);

    // Bob removes his second device: Alice is told, and later envelopes leave it out.
    let removed = app
        .send(
            Method::DELETE,
            &format!("/api/v1/devices/{}", bob_two.device_id),
            Some(&bob_one.session.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let changed = alice_dev.ws.next_event("devices_changed").await;
    let listed: Vec<Uuid> = changed["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| uuid_of(&d["device_id"]))
        .collect();
    assert!(!listed.contains(&bob_two.device_id));
    let to = alice_dev.devices_of(&app, &members).await;
    assert!(!to.iter().any(|a| a.device_id == bob_two.device_id));
    let body = "not for the removed device".to_string();
    let sent = alice_dev
        .send_group(&app, conversation, &to, &text(&body))
        .await;
    for device in [&mut bob_one, &mut bob_three, &mut carol_dev] {
        assert_eq!(device.receive().await.text(), body);
    }
    let message_id = sent["message_id"].as_str().unwrap().to_string();
    let history = app
        .get(
            &format!(
                "/api/v1/conversations/{conversation}/messages?device_id={}",
                bob_two.device_id
            ),
            &bob_two.session.access_token,
        )
        .await;
    let latest = history.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == message_id.as_str())
        .cloned()
        .unwrap();
    assert!(
        bob_two.own_ciphertext(&latest).is_none(),
        "no entry for the removed device"
    );
    plaintexts.push(body);

    // Carol leaves: Alice starts a new sender chain for those who remain. Carol keeps her old
    // sender key of Alice, and it cannot read the new chain.
    let left = app
        .send(
            Method::DELETE,
            &format!("/api/v1/conversations/{conversation}/members/@me"),
            Some(&carol.access_token),
            None,
        )
        .await;
    assert_eq!(left.status, 204, "{}", left.body);
    alice_dev.rotate_sender_key(conversation);
    let remaining = user_ids(&[&alice_dev, &bob_one]);
    let to = alice_dev.devices_of(&app, &remaining).await;
    assert_eq!(to.len(), 2);
    let body = "after carol left".to_string();
    alice_dev
        .send_group(&app, conversation, &to, &text(&body))
        .await;
    let seen_by_bob = bob_one.receive().await;
    assert_eq!(seen_by_bob.text(), body);
    assert_eq!(bob_three.receive().await.text(), body);
    assert_eq!(
        carol_dev
            .open_group(conversation, alice_dev.device_id, &seen_by_bob.ciphertext)
            .unwrap_err(),
        CryptoError::UnknownSenderKeyChain,
        "a member who left cannot read the new chain"
    );
    let history = app
        .get(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &carol.access_token,
        )
        .await;
    assert_eq!(history.status, 404, "{}", history.body);
    plaintexts.push(body);

    let plaintexts: Vec<&[u8]> = plaintexts.iter().map(|t| t.as_bytes()).collect();
    assert_no_plaintext_stored(&app, &plaintexts).await;
}

#[tokio::test]
async fn attachments_in_conversations_are_encrypted_on_the_device() {
    let app = spawn_app().await;
    let users = neighbours(&app, &["alice", "bob"]).await;
    let (alice, bob) = (users[0].clone(), users[1].clone());
    let mut alice_dev = Device::register(&app, alice.clone(), "Alice").await;
    let mut bob_dev = Device::register(&app, bob.clone(), "Bob").await;
    let conversation = start_conversation(&app, &alice, &[bob.user_id]).await;

    let file = b"PRIVATE SCAN: passport number X1234567, valid until 2031".repeat(64);
    let (attachment_id, content) =
        upload_encrypted(&app, &alice.access_token, &file, "passport.txt").await;
    let to = alice_dev.devices_of(&app, &[bob.user_id]).await;
    alice_dev
        .send_pairwise(&app, conversation, &to, &content, &[attachment_id])
        .await;

    let received = bob_dev.receive().await;
    assert_eq!(received.content["kind"], "file");
    assert_eq!(received.attachments.len(), 1);
    assert_eq!(
        uuid_of(&received.attachments[0]["attachment_id"]),
        attachment_id
    );
    let opened = download_decrypted(&app, &bob.access_token, &received.content).await;
    assert_eq!(opened, file);

    // The key never reached the server, so neither the blob nor the database reveals the file.
    assert_no_plaintext_stored(
        &app,
        &[b"PRIVATE SCAN: passport number X1234567", b"passport.txt"],
    )
    .await;
}
