//! The binding's API as the web client uses it: two devices in one process, state only ever
//! held as the bytes the client would keep in IndexedDB. Runs natively and, through
//! `crypto/wasm/test.sh`, as wasm-bindgen tests under Node.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatalot_crypto_wasm::Error;
use chatalot_crypto_wasm::group::{
    create_sender_key, group_decrypt, group_encrypt, process_sender_key_distribution,
    sender_key_distribution,
};
use chatalot_crypto_wasm::identity::{create_identity, identity_key};
use chatalot_crypto_wasm::prekeys::{generate_one_time_prekey, generate_signed_prekey};
use chatalot_crypto_wasm::safety::safety_number;
use chatalot_crypto_wasm::session::{
    accept_prekey_message, ciphertext_info, decrypt, encrypt, initiate_session,
};
use serde_json::{Value, json};

/// What one device keeps: its identity and prekeys, as stored bytes.
struct Device {
    identity_key: String,
    identity: Vec<u8>,
    signed_prekey: Vec<u8>,
    one_time_prekey: Vec<u8>,
    /// The bundle the keys API would hand out for this device.
    bundle: Value,
}

fn device() -> Device {
    let identity = create_identity().unwrap();
    let signed = generate_signed_prekey(&identity.state(), 7).unwrap();
    let one_time = generate_one_time_prekey(42).unwrap();
    let bundle = json!({
        "device_id": "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5b",
        "user_id": "0190e8c4-8a3e-7cc2-9b1a-000000000001",
        "identity_key": identity.identity_key(),
        "signed_prekey": serde_json::from_str::<Value>(&signed.public_json()).unwrap(),
        "one_time_prekey": serde_json::from_str::<Value>(&one_time.public_json()).unwrap(),
    });
    Device {
        identity_key: identity.identity_key(),
        identity: identity.state(),
        signed_prekey: signed.state(),
        one_time_prekey: one_time.state(),
        bundle,
    }
}

fn code<T>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.code(),
    }
}

#[test]
fn public_parts_have_the_keys_api_shape() {
    let identity = create_identity().unwrap();
    assert_eq!(STANDARD.decode(identity.identity_key()).unwrap().len(), 33);
    assert_eq!(
        identity_key(&identity.state()).unwrap(),
        identity.identity_key()
    );

    let signed: Value = serde_json::from_str(
        &generate_signed_prekey(&identity.state(), 3)
            .unwrap()
            .public_json(),
    )
    .unwrap();
    let fields: Vec<&str> = signed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["key_id", "public_key", "signature"]);
    assert_eq!(signed["key_id"], 3);
    let public_key = STANDARD
        .decode(signed["public_key"].as_str().unwrap())
        .unwrap();
    assert_eq!((public_key.len(), public_key[0]), (33, 0x05));
    let signature = STANDARD
        .decode(signed["signature"].as_str().unwrap())
        .unwrap();
    assert_eq!(signature.len(), 64);

    let one_time: Value =
        serde_json::from_str(&generate_one_time_prekey(u32::MAX).unwrap().public_json()).unwrap();
    let fields: Vec<&str> = one_time
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["key_id", "public_key"]);
    assert_eq!(one_time["key_id"], u32::MAX);
    assert_eq!(
        STANDARD
            .decode(one_time["public_key"].as_str().unwrap())
            .unwrap()
            .len(),
        33
    );
}

#[test]
fn two_devices_talk_through_the_api() {
    let alice = device();
    let bob = device();

    // Alice starts from Bob's bundle; until Bob answers, her messages are prekey messages.
    let mut alice_session = initiate_session(&alice.identity, &bob.bundle.to_string()).unwrap();
    let first = encrypt(&alice_session, b"hello bob").unwrap();
    alice_session = first.state();
    let second = encrypt(&alice_session, b"are you there?").unwrap();
    alice_session = second.state();

    let info = ciphertext_info(&first.ciphertext()).unwrap();
    assert!(info.is_prekey());
    assert_eq!(
        info.identity_key().as_deref(),
        Some(alice.identity_key.as_str())
    );
    assert_eq!(info.signed_prekey_id(), Some(7));
    assert_eq!(info.one_time_prekey_id(), Some(42));

    let accepted = accept_prekey_message(
        &bob.identity,
        &bob.signed_prekey,
        Some(bob.one_time_prekey.clone()),
        &first.ciphertext(),
    )
    .unwrap();
    assert_eq!(accepted.plaintext(), b"hello bob");
    assert_eq!(accepted.identity_key(), alice.identity_key);
    assert_eq!(accepted.one_time_prekey_id(), Some(42));
    let mut bob_session = accepted.state();

    // The second prekey message goes through the session Bob now has.
    let opened = decrypt(&bob_session, &second.ciphertext()).unwrap();
    assert_eq!(opened.plaintext(), b"are you there?");
    bob_session = opened.state();

    let reply = encrypt(&bob_session, b"yes").unwrap();
    bob_session = reply.state();
    assert!(!ciphertext_info(&reply.ciphertext()).unwrap().is_prekey());
    let opened = decrypt(&alice_session, &reply.ciphertext()).unwrap();
    assert_eq!(opened.plaintext(), b"yes");
    alice_session = opened.state();

    // Alice has heard back: plain ratchet messages from now on.
    let third = encrypt(&alice_session, b"good").unwrap();
    assert!(!ciphertext_info(&third.ciphertext()).unwrap().is_prekey());
    assert_eq!(
        decrypt(&bob_session, &third.ciphertext())
            .unwrap()
            .plaintext(),
        b"good"
    );

    // Both sides see the same safety number.
    let at_alice = safety_number(&alice.identity_key, "alice-id", &bob.identity_key, "bob-id");
    let at_bob = safety_number(&bob.identity_key, "bob-id", &alice.identity_key, "alice-id");
    assert_eq!(at_alice.as_ref().unwrap().len(), 60);
    assert_eq!(at_alice.unwrap(), at_bob.unwrap());
}

#[test]
fn bundle_without_one_time_prekey() {
    let alice = device();
    let bob = device();
    let mut bundle = bob.bundle.clone();
    bundle["one_time_prekey"] = Value::Null;
    let mut without_field = bob.bundle.clone();
    without_field
        .as_object_mut()
        .unwrap()
        .remove("one_time_prekey");

    for bundle in [bundle, without_field] {
        let session = initiate_session(&alice.identity, &bundle.to_string()).unwrap();
        let first = encrypt(&session, b"no one-time key").unwrap();
        assert_eq!(
            ciphertext_info(&first.ciphertext())
                .unwrap()
                .one_time_prekey_id(),
            None
        );
        // Offering a one-time prekey the message did not use is refused.
        assert_eq!(
            code(accept_prekey_message(
                &bob.identity,
                &bob.signed_prekey,
                Some(bob.one_time_prekey.clone()),
                &first.ciphertext()
            )),
            "prekey_mismatch"
        );
        let accepted =
            accept_prekey_message(&bob.identity, &bob.signed_prekey, None, &first.ciphertext())
                .unwrap();
        assert_eq!(accepted.plaintext(), b"no one-time key");
        assert_eq!(accepted.one_time_prekey_id(), None);
    }
}

#[test]
fn stored_state_round_trips_and_failures_leave_it_usable() {
    let alice = device();
    let bob = device();
    let alice_session = initiate_session(&alice.identity, &bob.bundle.to_string()).unwrap();
    let first = encrypt(&alice_session, b"one").unwrap();
    let accepted = accept_prekey_message(
        &bob.identity,
        &bob.signed_prekey,
        Some(bob.one_time_prekey.clone()),
        &first.ciphertext(),
    )
    .unwrap();
    let bob_stored = accepted.state();
    let alice_stored = first.state();

    // A replay and a tampered message fail; the stored state is still good afterwards.
    assert_eq!(
        code(decrypt(&bob_stored, &first.ciphertext())),
        "duplicate_message"
    );
    let next = encrypt(&alice_stored, b"two").unwrap();
    let mut tampered = next.ciphertext();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        code(decrypt(&bob_stored, &tampered)),
        "authentication_failed"
    );
    let opened = decrypt(&bob_stored, &next.ciphertext()).unwrap();
    assert_eq!(opened.plaintext(), b"two");

    // Every state is versioned and typed: one kind is never taken for another.
    let mut newer = opened.state();
    newer[0] = 99;
    assert_eq!(
        code(decrypt(&newer, &next.ciphertext())),
        "unsupported_state_version"
    );
    assert_eq!(code(encrypt(&alice.identity, b"x")), "malformed_state");
    assert_eq!(
        code(initiate_session(
            &alice.signed_prekey,
            &bob.bundle.to_string()
        )),
        "malformed_state"
    );
    assert_eq!(
        code(generate_signed_prekey(&alice.one_time_prekey, 1)),
        "malformed_state"
    );
    assert_eq!(
        code(accept_prekey_message(
            &bob.identity,
            &bob.one_time_prekey,
            None,
            &first.ciphertext()
        )),
        "malformed_state"
    );
}

#[test]
fn bad_input_is_an_error_code_not_a_panic() {
    let alice = device();
    let bob = device();
    let bundle = |edit: &dyn Fn(&mut Value)| {
        let mut bundle = bob.bundle.clone();
        edit(&mut bundle);
        initiate_session(&alice.identity, &bundle.to_string())
    };

    assert_eq!(code(initiate_session(&alice.identity, "{")), "invalid_json");
    assert_eq!(
        code(initiate_session(&alice.identity, "[]")),
        "invalid_json"
    );
    assert_eq!(
        code(bundle(&|b| b["identity_key"] = json!("not base64!"))),
        "invalid_base64"
    );
    assert_eq!(
        code(bundle(&|b| b["identity_key"] = json!("BQ=="))),
        "invalid_public_key"
    );
    assert_eq!(
        code(bundle(
            &|b| b["signed_prekey"]["signature"] = json!(STANDARD.encode([0u8; 63]))
        )),
        "invalid_signature"
    );
    // Bob's identity with Alice's signed prekey: a signature that does not verify.
    let alice_signed: Value = serde_json::from_str(
        &generate_signed_prekey(&alice.identity, 7)
            .unwrap()
            .public_json(),
    )
    .unwrap();
    assert_eq!(
        code(bundle(&|b| b["signed_prekey"] = alice_signed.clone())),
        "invalid_signature"
    );
    assert_eq!(
        code(bundle(&|b| b["signed_prekey"]["key_id"] = json!(-1))),
        "invalid_json"
    );

    for state in [&[][..], &[1][..], &[1, 0x81][..], &[1; 80][..]] {
        assert_eq!(code(encrypt(state, b"x")), "malformed_state");
        assert_eq!(code(identity_key(state)), "malformed_state");
    }
    assert_eq!(
        code(safety_number("BQ==", "a", &alice.identity_key, "b")),
        "invalid_public_key"
    );
    assert_eq!(
        code(safety_number(&alice.identity_key, "a", "%%", "b")),
        "invalid_base64"
    );

    // A valid session meets every prefix of a real prekey message, and some garbage.
    let session = initiate_session(&alice.identity, &bob.bundle.to_string()).unwrap();
    let message = encrypt(&session, b"hello").unwrap().ciphertext();
    let bob_session = accept_prekey_message(
        &bob.identity,
        &bob.signed_prekey,
        Some(bob.one_time_prekey.clone()),
        &message,
    )
    .unwrap()
    .state();
    assert_eq!(code(ciphertext_info(&[])), "malformed_message");
    assert_eq!(
        code(ciphertext_info(&[7, 1, 2])),
        "unsupported_message_version"
    );
    for end in 0..message.len() {
        let prefix = &message[..end];
        assert!(decrypt(&bob_session, prefix).is_err(), "{end}");
        assert!(
            accept_prekey_message(&bob.identity, &bob.signed_prekey, None, prefix).is_err(),
            "{end}"
        );
        let _ = ciphertext_info(prefix);
    }
    let plain = encrypt(&bob_session, b"reply").unwrap().ciphertext();
    assert_eq!(
        code(accept_prekey_message(
            &bob.identity,
            &bob.signed_prekey,
            None,
            &plain
        )),
        "not_prekey_message"
    );
}

/// JavaScript catches an `Error` whose `code` is the stable string.
#[cfg(target_arch = "wasm32")]
#[test]
fn errors_reach_javascript_with_their_code() {
    use wasm_bindgen::{JsCast, JsValue};

    let Err(error) = encrypt(&[], b"x") else {
        panic!("expected an error");
    };
    let thrown = JsValue::from(error);
    let as_error = thrown.dyn_ref::<js_sys::Error>().expect("an Error object");
    assert_eq!(String::from(as_error.name()), "ChatalotCryptoError");
    assert_eq!(
        String::from(as_error.message()),
        "stored state could not be decoded"
    );
    let code = js_sys::Reflect::get(&thrown, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("malformed_state"));
}

#[test]
fn group_messages_through_sender_keys() {
    let conversation = "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5b";
    let created = create_sender_key(conversation).unwrap();
    let mut alice_outbound = created.state();

    // Bob stores Alice's distribution (as it arrived inside their pairwise session).
    let received = process_sender_key_distribution(&created.distribution(), None).unwrap();
    assert_eq!(received.distribution_id(), conversation);
    let mut bob_inbound = received.state();

    let first = group_encrypt(&alice_outbound, b"hello group").unwrap();
    alice_outbound = first.state();
    let second = group_encrypt(&alice_outbound, b"second").unwrap();
    alice_outbound = second.state();

    // Out of order, then a replay.
    let opened = group_decrypt(&bob_inbound, &second.ciphertext()).unwrap();
    assert_eq!(opened.plaintext(), b"second");
    bob_inbound = opened.state();
    let opened = group_decrypt(&bob_inbound, &first.ciphertext()).unwrap();
    assert_eq!(opened.plaintext(), b"hello group");
    bob_inbound = opened.state();
    assert_eq!(
        code(group_decrypt(&bob_inbound, &first.ciphertext())),
        "duplicate_message"
    );

    // The same distribution again keeps the state (no rewind, so no replay).
    let again = process_sender_key_distribution(&created.distribution(), Some(bob_inbound.clone()))
        .unwrap();
    assert_eq!(again.state(), bob_inbound);
    assert_eq!(
        code(group_decrypt(&again.state(), &second.ciphertext())),
        "duplicate_message"
    );

    // A late joiner reads from the current distribution on, not before.
    let carol =
        process_sender_key_distribution(&sender_key_distribution(&alice_outbound).unwrap(), None)
            .unwrap()
            .state();
    let third = group_encrypt(&alice_outbound, b"third").unwrap();
    assert_eq!(
        group_decrypt(&carol, &third.ciphertext())
            .unwrap()
            .plaintext(),
        b"third"
    );
    assert!(group_decrypt(&carol, &first.ciphertext()).is_err());

    // A new chain (after a member left) replaces the old one; old chain messages fail.
    let rotated = create_sender_key(conversation).unwrap();
    let bob_rotated =
        process_sender_key_distribution(&rotated.distribution(), Some(bob_inbound.clone()))
            .unwrap()
            .state();
    assert_ne!(bob_rotated, bob_inbound);
    assert_eq!(
        code(group_decrypt(&bob_rotated, &third.ciphertext())),
        "unknown_sender_key_chain"
    );

    // Bad input.
    assert_eq!(code(create_sender_key("not-a-uuid")), "invalid_argument");
    let mut forged = third.ciphertext();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        code(group_decrypt(&bob_inbound, &forged)),
        "invalid_message_signature"
    );
    for end in 0..third.ciphertext().len() {
        assert!(group_decrypt(&bob_inbound, &third.ciphertext()[..end]).is_err());
    }
    for end in 0..created.distribution().len() {
        assert!(process_sender_key_distribution(&created.distribution()[..end], None).is_err());
    }
    assert_eq!(code(group_encrypt(&bob_inbound, b"x")), "malformed_state");
    assert_eq!(
        code(group_decrypt(&alice_outbound, &third.ciphertext())),
        "malformed_state"
    );
}
