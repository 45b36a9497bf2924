#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use rand_core::OsRng;

use super::*;
use crate::keys::{IdentityKeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey};
use crate::{state, x3dh};

/// Alice and Bob after X3DH (with a one-time prekey), before any message.
fn alice_and_bob() -> (Session, Session) {
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let bob_id = IdentityKeyPair::generate(&mut OsRng);
    let spk = SignedPreKey::generate(1, &bob_id, &mut OsRng);
    let otk = OneTimePreKey::generate(2, &mut OsRng);
    let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&otk));
    let init = x3dh::initiate(&alice_id, &bundle, &mut OsRng).unwrap();
    let acc = x3dh::accept(
        &bob_id,
        &spk,
        Some(&otk),
        alice_id.public_key(),
        &init.ephemeral_public,
    )
    .unwrap();
    let alice = Session::initiator(
        init.shared_secret,
        init.associated_data,
        *spk.key_pair.public_key(),
        &mut OsRng,
    )
    .unwrap();
    let bob = Session::responder(acc.shared_secret, acc.associated_data, spk.key_pair.clone());
    (alice, bob)
}

fn snapshot(session: &Session) -> Vec<u8> {
    state::encode(session).unwrap().to_vec()
}

/// Asserts `decrypt` fails with `error` and leaves the session byte-for-byte unchanged.
fn assert_rejected(session: &mut Session, message: &Message, error: CryptoError) {
    let before = snapshot(session);
    assert_eq!(session.decrypt(message).unwrap_err(), error);
    assert_eq!(
        snapshot(session),
        before,
        "a failed decryption changed the session"
    );
}

#[test]
fn alternating_round_trips() {
    let (mut alice, mut bob) = alice_and_bob();
    for round in 0..10u8 {
        let to_bob = alice.encrypt(&[round; 20], &mut OsRng).unwrap();
        assert_eq!(bob.decrypt(&to_bob).unwrap(), [round; 20]);
        let to_alice = bob.encrypt(&[round, round], &mut OsRng).unwrap();
        assert_eq!(alice.decrypt(&to_alice).unwrap(), [round, round]);
        // Each change of speaker is a new ratchet key.
        assert_ne!(to_bob.header.ratchet_key, to_alice.header.ratchet_key);
    }
}

#[test]
fn ratchet_keys_change_per_turn_and_counters_follow() {
    let (mut alice, mut bob) = alice_and_bob();
    let a0 = alice.encrypt(b"a0", &mut OsRng).unwrap();
    let a1 = alice.encrypt(b"a1", &mut OsRng).unwrap();
    assert_eq!(a0.header.ratchet_key, a1.header.ratchet_key);
    assert_eq!((a0.header.message_number, a1.header.message_number), (0, 1));
    bob.decrypt(&a0).unwrap();
    bob.decrypt(&a1).unwrap();
    let b0 = bob.encrypt(b"b0", &mut OsRng).unwrap();
    alice.decrypt(&b0).unwrap();
    let a2 = alice.encrypt(b"a2", &mut OsRng).unwrap();
    assert_ne!(a2.header.ratchet_key, a0.header.ratchet_key);
    assert_eq!(
        (a2.header.previous_chain_length, a2.header.message_number),
        (2, 0)
    );
}

#[test]
fn many_messages_one_way() {
    let (mut alice, mut bob) = alice_and_bob();
    for i in 0..300u32 {
        let message = alice.encrypt(&i.to_be_bytes(), &mut OsRng).unwrap();
        assert_eq!(bob.decrypt(&message).unwrap(), i.to_be_bytes());
    }
    assert_eq!(bob.skipped_key_count(), 0);
}

#[test]
fn responder_cannot_send_first() {
    let (_alice, mut bob) = alice_and_bob();
    assert_eq!(
        bob.encrypt(b"too early", &mut OsRng).unwrap_err(),
        CryptoError::NoSendingChain
    );
}

#[test]
fn out_of_order_within_a_chain() {
    let (mut alice, mut bob) = alice_and_bob();
    let messages: Vec<_> = (0..6u8)
        .map(|i| alice.encrypt(&[i], &mut OsRng).unwrap())
        .collect();
    for index in [3, 0, 5, 1, 4, 2] {
        assert_eq!(bob.decrypt(&messages[index]).unwrap(), [index as u8]);
    }
    assert_eq!(bob.skipped_key_count(), 0);
}

#[test]
fn lost_and_late_messages_across_ratchet_steps() {
    let (mut alice, mut bob) = alice_and_bob();
    let a: Vec<_> = (0..4u8)
        .map(|i| alice.encrypt(&[b'a', i], &mut OsRng).unwrap())
        .collect();
    assert_eq!(bob.decrypt(&a[0]).unwrap(), [b'a', 0]);
    let b0 = bob.encrypt(b"b0", &mut OsRng).unwrap();
    let b1_lost = bob.encrypt(b"b1", &mut OsRng).unwrap();
    assert_eq!(alice.decrypt(&b0).unwrap(), b"b0");
    let c0 = alice.encrypt(b"c0", &mut OsRng).unwrap();
    // Bob gets the new chain first: a1..a3 (PN = 4) become skipped keys.
    assert_eq!(bob.decrypt(&c0).unwrap(), b"c0");
    assert_eq!(bob.skipped_key_count(), 3);
    assert_eq!(bob.decrypt(&a[3]).unwrap(), [b'a', 3]);
    assert_eq!(bob.decrypt(&a[1]).unwrap(), [b'a', 1]);
    let d0 = bob.encrypt(b"d0", &mut OsRng).unwrap();
    assert_eq!(alice.decrypt(&d0).unwrap(), b"d0");
    // Bob's lost b1 from his previous chain still opens at Alice.
    assert_eq!(alice.decrypt(&b1_lost).unwrap(), b"b1");
    assert_eq!(bob.decrypt(&a[2]).unwrap(), [b'a', 2]);
    assert_eq!(bob.skipped_key_count(), 0);
    assert_eq!(alice.skipped_key_count(), 0);
}

#[test]
fn replays_are_rejected_without_state_change() {
    let (mut alice, mut bob) = alice_and_bob();
    let m0 = alice.encrypt(b"m0", &mut OsRng).unwrap();
    let m1 = alice.encrypt(b"m1", &mut OsRng).unwrap();
    let m2 = alice.encrypt(b"m2", &mut OsRng).unwrap();
    bob.decrypt(&m0).unwrap();
    assert_rejected(&mut bob, &m0, CryptoError::DuplicateMessage);
    // A message opened with a skipped key cannot be replayed either.
    bob.decrypt(&m2).unwrap();
    bob.decrypt(&m1).unwrap();
    assert_rejected(&mut bob, &m1, CryptoError::DuplicateMessage);
    assert_rejected(&mut bob, &m2, CryptoError::DuplicateMessage);
    // After a ratchet step, a replay from the old chain fails too.
    let reply = bob.encrypt(b"reply", &mut OsRng).unwrap();
    alice.decrypt(&reply).unwrap();
    let next = alice.encrypt(b"next", &mut OsRng).unwrap();
    bob.decrypt(&next).unwrap();
    assert_rejected(&mut bob, &m0, CryptoError::MacMismatch);
    assert_rejected(&mut alice, &reply, CryptoError::DuplicateMessage);
    // The conversation is unharmed.
    let more = alice.encrypt(b"more", &mut OsRng).unwrap();
    assert_eq!(bob.decrypt(&more).unwrap(), b"more");
}

#[test]
fn tampering_fails_and_genuine_message_still_decrypts() {
    let (mut alice, mut bob) = alice_and_bob();
    let first = alice.encrypt(b"hello", &mut OsRng).unwrap();
    bob.decrypt(&first).unwrap();
    let genuine = alice.encrypt(b"genuine", &mut OsRng).unwrap();

    let mut bad_ciphertext = genuine.clone();
    bad_ciphertext.ciphertext[0] ^= 1;
    let mut bad_mac = genuine.clone();
    bad_mac.mac[31] ^= 1;
    let mut bad_number = genuine.clone();
    bad_number.header.message_number += 1;
    let mut bad_previous = genuine.clone();
    bad_previous.header.previous_chain_length += 1;
    let mut bad_key = genuine.clone();
    let mut key_bytes = *genuine.header.ratchet_key.as_bytes();
    key_bytes[3] ^= 1;
    bad_key.header.ratchet_key = PublicKey::from_bytes(key_bytes);
    let mut truncated = genuine.clone();
    truncated
        .ciphertext
        .truncate(truncated.ciphertext.len() - 16);
    for forged in [
        &bad_ciphertext,
        &bad_mac,
        &bad_number,
        &bad_previous,
        &bad_key,
    ] {
        assert_rejected(&mut bob, forged, CryptoError::MacMismatch);
    }
    if !truncated.ciphertext.is_empty() {
        assert_rejected(&mut bob, &truncated, CryptoError::MacMismatch);
    }
    // The version byte on the wire is checked before anything else.
    let mut wire = genuine.to_bytes();
    wire[0] = 0x02;
    assert_eq!(
        Message::from_bytes(&wire).unwrap_err(),
        CryptoError::UnsupportedMessageVersion(2)
    );

    let parsed = Message::from_bytes(&genuine.to_bytes()).unwrap();
    assert_eq!(bob.decrypt(&parsed).unwrap(), b"genuine");
}

#[test]
fn jump_past_max_skip_is_rejected() {
    let (mut alice, mut bob) = alice_and_bob();
    let messages: Vec<_> = (0..=MAX_SKIP + 1)
        .map(|_| alice.encrypt(b"x", &mut OsRng).unwrap())
        .collect();
    // Message MAX_SKIP + 1 would skip MAX_SKIP + 1 keys.
    assert_rejected(
        &mut bob,
        &messages[MAX_SKIP as usize + 1],
        CryptoError::TooManySkippedMessages,
    );
    // Exactly MAX_SKIP skipped keys is allowed.
    assert_eq!(bob.decrypt(&messages[MAX_SKIP as usize]).unwrap(), b"x");
    assert_eq!(bob.skipped_key_count(), MAX_SKIP as usize);
    assert_eq!(bob.decrypt(&messages[MAX_SKIP as usize + 1]).unwrap(), b"x");
    assert_eq!(bob.decrypt(&messages[17]).unwrap(), b"x");

    // A forged header claiming a huge counter is refused before any work on the chain.
    let mut forged = alice.encrypt(b"y", &mut OsRng).unwrap();
    forged.header.message_number = u32::MAX;
    assert_rejected(&mut bob, &forged, CryptoError::TooManySkippedMessages);
    forged.header.message_number = 0;
    forged.header.previous_chain_length = u32::MAX;
    forged.header.ratchet_key = PublicKey::from_bytes([9; 32]);
    assert_rejected(&mut bob, &forged, CryptoError::TooManySkippedMessages);
}

#[test]
fn skipped_key_store_evicts_oldest_beyond_limit() {
    let (mut alice, mut bob) = alice_and_bob();
    let mut first_chain_message = None;
    // Three turns; in each Bob receives only Alice's last message, skipping 999 keys.
    for turn in 0..3 {
        let messages: Vec<_> = (0..MAX_SKIP)
            .map(|_| alice.encrypt(b"z", &mut OsRng).unwrap())
            .collect();
        bob.decrypt(messages.last().unwrap()).unwrap();
        if turn == 0 {
            first_chain_message = Some(messages[0].clone());
        }
        let reply = bob.encrypt(b"r", &mut OsRng).unwrap();
        alice.decrypt(&reply).unwrap();
        assert!(bob.skipped_key_count() <= MAX_SKIPPED_KEYS);
    }
    assert_eq!(bob.skipped_key_count(), MAX_SKIPPED_KEYS);
    // The very first skipped key was evicted, so its message no longer opens.
    let evicted = first_chain_message.unwrap();
    assert!(bob.decrypt(&evicted).is_err());
}

#[test]
fn swapped_identities_in_associated_data_fail() {
    let (mut alice, bob) = alice_and_bob();
    let ad = bob.associated_data().to_vec();
    let mut swapped = ad[33..].to_vec();
    swapped.extend_from_slice(&ad[..33]);
    let mut confused_bob = Session {
        associated_data: swapped,
        ..bob
    };
    let message = alice.encrypt(b"bound to identities", &mut OsRng).unwrap();
    assert_rejected(&mut confused_bob, &message, CryptoError::MacMismatch);
}

#[test]
fn low_order_ratchet_key_is_refused_without_state_change() {
    let (mut alice, mut bob) = alice_and_bob();
    let first = alice.encrypt(b"first", &mut OsRng).unwrap();
    bob.decrypt(&first).unwrap();
    let mut forged = alice.encrypt(b"second", &mut OsRng).unwrap();
    forged.header.ratchet_key = PublicKey::from_bytes([0; 32]);
    forged.header.previous_chain_length = 0;
    assert_rejected(&mut bob, &forged, CryptoError::LowOrderPublicKey);
}

#[test]
fn initiator_refuses_low_order_signed_prekey() {
    let err = Session::initiator(
        SecretKey::from_bytes([1; 32]),
        Vec::new(),
        PublicKey::from_bytes([0; 32]),
        &mut OsRng,
    )
    .unwrap_err();
    assert_eq!(err, CryptoError::LowOrderPublicKey);
}

#[test]
fn wire_round_trip_through_bytes() {
    let (mut alice, mut bob) = alice_and_bob();
    for text in [&b""[..], b"short", &[0x42; 4096]] {
        let wire = alice.encrypt(text, &mut OsRng).unwrap().to_bytes();
        assert_eq!(
            bob.decrypt(&Message::from_bytes(&wire).unwrap()).unwrap(),
            text
        );
    }
}

#[test]
fn forged_message_on_initiator_without_receiving_chain_is_refused() {
    let (mut alice, _bob) = alice_and_bob();
    let responder_key = alice.remote_ratchet.unwrap();
    let mut forged = alice.clone().encrypt(b"x", &mut OsRng).unwrap();
    forged.header.ratchet_key = responder_key;
    assert_rejected(
        &mut alice,
        &forged,
        CryptoError::MalformedMessage("no receiving chain for this ratchet key"),
    );
}
