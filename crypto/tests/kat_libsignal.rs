//! Sender keys against libsignal without Node: the known-answer vectors in
//! `tests/vectors/libsignal_sender_keys.json`, recorded by `crypto/interop/node/run.sh
//! --generate-kat` from `@signalapp/libsignal-client` and the peer program with fixed keys (each
//! side's bytes were checked by the other side when recorded).
//!
//! Checked here: libsignal's distribution parses to the recorded keys and re-encodes
//! byte-identically; its messages decrypt out of order and replays fail; the same keys in this
//! crate produce the same signed bytes (everything but the randomized signature) for both
//! senders; and a fresh receiver accepts a message exactly at the forward limit and refuses the
//! recorded attacks with the expected errors, changing no state.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::CryptoError;
use chatalot_crypto::kdf::SecretKey;
use chatalot_crypto::keys::{KeyPair, PrivateKey, PublicKey, SIGNATURE_LEN};
use chatalot_crypto::sender_keys::{
    DistributionId, InboundSenderKey, MAX_FORWARD_JUMPS, OutboundSenderKey, SenderKeyDistribution,
    SenderKeyMessage,
};
use chatalot_crypto::state;
use rand_core::OsRng;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/libsignal_sender_keys.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn b64(value: &Value) -> Vec<u8> {
    STANDARD.decode(value.as_str().unwrap()).unwrap()
}

fn b64_32(value: &Value) -> [u8; 32] {
    b64(value).try_into().unwrap()
}

fn uuid(value: &Value) -> DistributionId {
    let hex: String = value.as_str().unwrap().split('-').collect();
    assert_eq!(hex.len(), 32);
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    DistributionId::from_bytes(bytes)
}

fn expected_error(name: &str) -> CryptoError {
    match name {
        "duplicate" => CryptoError::DuplicateMessage,
        "invalid_signature" => CryptoError::InvalidMessageSignature,
        "too_far" => CryptoError::SenderKeyTooFarAhead,
        "unknown_chain" => CryptoError::UnknownSenderKeyChain,
        "invalid_padding" => CryptoError::InvalidPadding,
        other => panic!("unknown expectation {other}"),
    }
}

fn sender<'a>(vectors: &'a Value, name: &str) -> &'a Value {
    vectors["senders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|sender| sender["sender"] == name)
        .unwrap()
}

/// This crate's sending chain with the sender's recorded keys.
fn outbound(vectors: &Value, sender: &Value) -> OutboundSenderKey {
    OutboundSenderKey::from_parts(
        uuid(&vectors["distribution_id"]),
        u32::try_from(sender["chain_id"].as_u64().unwrap()).unwrap(),
        SecretKey::from_bytes(b64_32(&sender["chain_key"])),
        KeyPair::from_private(PrivateKey::from_bytes(b64_32(
            &sender["signing_private_key"],
        ))),
    )
}

fn receiver(sender: &Value) -> InboundSenderKey {
    let distribution = SenderKeyDistribution::from_bytes(&b64(&sender["distribution"])).unwrap();
    InboundSenderKey::from_distribution(&distribution)
}

fn messages(sender: &Value) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
    sender["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                u32::try_from(m["iteration"].as_u64().unwrap()).unwrap(),
                b64(&m["plaintext"]),
                b64(&m["message"]),
            )
        })
        .collect()
}

fn snapshot(key: &InboundSenderKey) -> Vec<u8> {
    state::encode(key).unwrap().to_vec()
}

#[test]
fn vectors_come_from_the_pinned_libsignal() {
    let vectors = vectors();
    assert_eq!(vectors["libsignal_client"], "0.103.0");
    assert_eq!(vectors["max_forward_jumps"], u64::from(MAX_FORWARD_JUMPS));
}

#[test]
fn distributions_parse_to_the_keys_and_re_encode_identically() {
    let vectors = vectors();
    for name in ["libsignal", "chatalot"] {
        let sender = sender(&vectors, name);
        let wire = b64(&sender["distribution"]);
        let parsed = SenderKeyDistribution::from_bytes(&wire).unwrap();
        assert_eq!(parsed.distribution_id, uuid(&vectors["distribution_id"]));
        assert_eq!(u64::from(parsed.chain_id), sender["chain_id"]);
        assert_eq!(parsed.iteration, 0);
        assert_eq!(
            parsed.chain_key,
            SecretKey::from_bytes(b64_32(&sender["chain_key"]))
        );
        assert_eq!(
            parsed.signing_key,
            PublicKey::decode(&b64(&sender["signing_public_key"])).unwrap()
        );
        assert_eq!(*parsed.to_bytes(), wire, "{name}: re-encoding differs");
        assert_eq!(
            *outbound(&vectors, sender).distribution().to_bytes(),
            wire,
            "{name}: the same keys here make another distribution"
        );
    }
}

#[test]
fn recorded_messages_decrypt_out_of_order_and_replays_fail() {
    let vectors = vectors();
    for name in ["libsignal", "chatalot"] {
        let sender = sender(&vectors, name);
        let messages = messages(sender);
        let mut receiver = receiver(sender);
        for step in vectors["receive_order"].as_array().unwrap() {
            let index = usize::try_from(step["index"].as_u64().unwrap()).unwrap();
            let (iteration, plaintext, wire) = &messages[index];
            let message = SenderKeyMessage::from_bytes(wire).unwrap();
            assert_eq!(message.iteration(), *iteration);
            assert_eq!(message.as_bytes(), wire.as_slice());
            match step["expect"].as_str().unwrap() {
                "ok" => assert_eq!(
                    &receiver.decrypt(&message).unwrap(),
                    plaintext,
                    "{name} #{index}"
                ),
                error => {
                    let before = snapshot(&receiver);
                    assert_eq!(
                        receiver.decrypt(&message).unwrap_err(),
                        expected_error(error),
                        "{name} #{index}"
                    );
                    assert_eq!(snapshot(&receiver), before);
                }
            }
        }
    }
}

#[test]
fn same_keys_make_the_same_signed_bytes() {
    let vectors = vectors();
    for name in ["libsignal", "chatalot"] {
        let sender = sender(&vectors, name);
        let mut outbound = outbound(&vectors, sender);
        for (iteration, plaintext, wire) in messages(sender) {
            let ours = outbound.encrypt(&plaintext, &mut OsRng).unwrap();
            assert_eq!(ours.iteration(), iteration);
            let signed = wire.len() - SIGNATURE_LEN;
            assert_eq!(ours.as_bytes().len(), wire.len(), "{name} #{iteration}");
            assert_eq!(
                &ours.as_bytes()[..signed],
                &wire[..signed],
                "{name} #{iteration}: signed bytes differ"
            );
        }
    }
}

#[test]
fn fresh_receiver_cases() {
    let vectors = vectors();
    let sender = sender(&vectors, "libsignal");
    let cases = vectors["fresh_receiver_cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let mut receiver = receiver(sender);
        let message = SenderKeyMessage::from_bytes(&b64(&case["message"])).unwrap();
        match case["expect"].as_str().unwrap() {
            "ok" => {
                assert_eq!(
                    receiver.decrypt(&message).unwrap(),
                    b64(&case["plaintext"]),
                    "{name}"
                );
                assert_eq!(message.iteration(), MAX_FORWARD_JUMPS, "{name}");
            }
            error => {
                let before = snapshot(&receiver);
                assert_eq!(
                    receiver.decrypt(&message).unwrap_err(),
                    expected_error(error),
                    "{name}"
                );
                assert_eq!(snapshot(&receiver), before, "{name}: state changed");
            }
        }
    }
}
