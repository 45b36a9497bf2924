//! X3DH and the Double Ratchet against the Python `x3dh` / `doubleratchet` packages, without
//! Python: the transcripts in `tests/vectors/python_x3dh_ratchet.json`, recorded by
//! `crypto/interop/python/run.sh --generate-kat` with every key of both sides fixed (each side's
//! messages were decrypted by the other side while recording).
//!
//! Each transcript is replayed with both parties in this crate, fed the recorded keys through a
//! scripted random source: the signed-prekey signature, the ephemeral key, the X3DH secret and
//! associated data, and every message (Python's and ours) must come out byte for byte as
//! recorded; every delivery must decrypt to the recorded plaintext, after a forged copy of it was
//! refused; lost messages stay undelivered.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::CryptoError;
use chatalot_crypto::keys::{
    IdentityKeyPair, KeyPair, OneTimePreKey, PreKeyBundle, PrivateKey, SIGNATURE_LEN, SignedPreKey,
};
use chatalot_crypto::prekey_message::{Ciphertext, PreKeyMessage};
use chatalot_crypto::ratchet::Session;
use chatalot_crypto::{x3dh, xeddsa};
use rand_core::{CryptoRng, RngCore};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/python_x3dh_ratchet.json");

fn b64(value: &Value) -> Vec<u8> {
    STANDARD
        .decode(value.as_str().expect("base64 string"))
        .unwrap()
}

fn b64_32(value: &Value) -> [u8; 32] {
    b64(value).try_into().unwrap()
}

/// Hands out exactly the recorded bytes; any further draw means the crate wanted randomness the
/// transcript does not account for.
struct Scripted {
    bytes: Vec<u8>,
    used: usize,
}

impl Scripted {
    fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            used: 0,
        }
    }
}

impl RngCore for Scripted {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let end = self.used + dest.len();
        assert!(end <= self.bytes.len(), "unscripted randomness requested");
        dest.copy_from_slice(&self.bytes[self.used..end]);
        self.used = end;
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Scripted {}

fn identity(party: &Value) -> IdentityKeyPair {
    let identity = IdentityKeyPair::from_private(PrivateKey::from_bytes(b64_32(
        &party["identity_private_key"],
    )));
    assert_eq!(
        identity.public_key().encode().to_vec(),
        b64(&party["identity_key"])
    );
    identity
}

fn key_pair(record: &Value) -> KeyPair {
    let pair = KeyPair::from_private(PrivateKey::from_bytes(b64_32(&record["private_key"])));
    assert_eq!(
        pair.public_key().encode().to_vec(),
        b64(&record["public_key"])
    );
    pair
}

fn id(record: &Value) -> u32 {
    u32::try_from(record["id"].as_u64().unwrap()).unwrap()
}

/// A copy of `wire` with the last MAC byte changed.
fn forged(wire: &[u8]) -> Vec<u8> {
    let mut bad = wire.to_vec();
    *bad.last_mut().unwrap() ^= 0x01;
    bad
}

fn replay(session: &Value) -> usize {
    let name = session["name"].as_str().unwrap();
    let alice = identity(&session["alice"]);
    let bob = identity(&session["bob"]);

    // Bob's prekeys; XEdDSA with the recorded nonce reproduces the recorded signature exactly.
    let spk_record = &session["bob"]["signed_prekey"];
    let spk_pair = key_pair(spk_record);
    let signature: [u8; SIGNATURE_LEN] = b64(&spk_record["signature"]).try_into().unwrap();
    let encoded_spk = spk_pair.public_key().encode();
    assert!(
        xeddsa::verify(bob.public_key(), &encoded_spk, &signature),
        "{name}"
    );
    // Our signature from the recorded nonce Z: byte for byte what the peer program recorded when
    // Bob is ours. Python's xeddsa (libxeddsa) derives r = hash1(a || M || Z) from the clamped
    // private key as is when no negation is needed, where the XEdDSA specification (and this
    // crate) use a = k mod q; r is private to the signer, so both signatures are valid and each
    // side verifies the other's, but the bytes differ.
    let ours = bob.sign(
        &encoded_spk,
        &mut Scripted::new(&b64(&spk_record["signature_nonce"])),
    );
    assert!(xeddsa::verify(bob.public_key(), &encoded_spk, &ours));
    if session["bob"]["implementation"] == "rust" {
        assert_eq!(ours, signature, "{name}: signature from the recorded nonce");
    }
    let signed_prekey = SignedPreKey {
        id: id(spk_record),
        key_pair: spk_pair,
        signature,
    };
    let one_time = &session["bob"]["one_time_prekey"];
    let one_time_prekey = (!one_time.is_null()).then(|| OneTimePreKey {
        id: id(one_time),
        key_pair: key_pair(one_time),
    });

    // X3DH from both ends gives the recorded secret and associated data.
    let bundle = PreKeyBundle::new(&bob, &signed_prekey, one_time_prekey.as_ref());
    let ephemeral = b64(&session["alice"]["ephemeral_private_key"]);
    let initiation = x3dh::initiate(&alice, &bundle, &mut Scripted::new(&ephemeral)).unwrap();
    assert_eq!(
        initiation.ephemeral_public.encode().to_vec(),
        b64(&session["alice"]["ephemeral_key"]),
        "{name}"
    );
    assert_eq!(
        initiation.shared_secret.as_bytes().to_vec(),
        b64(&session["shared_secret"]),
        "{name}: X3DH secret"
    );
    assert_eq!(
        initiation.associated_data,
        b64(&session["associated_data"]),
        "{name}: AD"
    );
    let acceptance = x3dh::accept(
        &bob,
        &signed_prekey,
        one_time_prekey.as_ref(),
        alice.public_key(),
        &initiation.ephemeral_public,
    )
    .unwrap();
    assert_eq!(acceptance.shared_secret, initiation.shared_secret, "{name}");
    assert_eq!(
        acceptance.associated_data, initiation.associated_data,
        "{name}"
    );

    // Alice's first ratchet key is the one her first message names.
    let messages = session["messages"].as_array().unwrap();
    let first = messages
        .iter()
        .find(|message| message["sender"] == "alice")
        .unwrap();
    let mut alice_session = Session::initiator(
        initiation.shared_secret.clone(),
        initiation.associated_data.clone(),
        *signed_prekey.key_pair.public_key(),
        &mut Scripted::new(&b64(&first["ratchet_private_key"])),
    )
    .unwrap();
    let mut alice_heard_back = false;
    let mut bob_session: Option<Session> = None;
    let mut delivered = 0;

    for event in session["events"].as_array().unwrap() {
        let message = &messages[usize::try_from(event[1].as_u64().unwrap()).unwrap()];
        let label = message["label"].as_str().unwrap();
        let plaintext = b64(&message["plaintext"]);
        let wire = b64(&message["wire"]);
        let from_alice = message["sender"] == "alice";
        match (event[0].as_str().unwrap(), from_alice) {
            ("encrypt", true) => {
                let mut rng = Scripted::new(&b64(&message["ratchet_private_key"]));
                let sealed = alice_session.encrypt(&plaintext, &mut rng).unwrap();
                let ours = if alice_heard_back {
                    Ciphertext::Message(sealed)
                } else {
                    Ciphertext::PreKey(PreKeyMessage::new(
                        &alice,
                        &initiation,
                        signed_prekey.id,
                        sealed,
                    ))
                };
                assert_eq!(ours.to_bytes(), wire, "{name}: {label} byte for byte");
            }
            ("encrypt", false) => {
                let mut rng = Scripted::new(&b64(&message["ratchet_private_key"]));
                let sealed = bob_session
                    .as_mut()
                    .expect("Bob answers only after a message")
                    .encrypt(&plaintext, &mut rng)
                    .unwrap();
                assert_eq!(sealed.to_bytes(), wire, "{name}: {label} byte for byte");
            }
            ("decrypt", true) => {
                match (
                    Ciphertext::parse(&wire).unwrap(),
                    Ciphertext::parse(&forged(&wire)).unwrap(),
                ) {
                    (Ciphertext::PreKey(prekey), Ciphertext::PreKey(bad)) => {
                        assert_eq!(prekey.identity_key, *alice.public_key(), "{name}: {label}");
                        assert_eq!(prekey.base_key, initiation.ephemeral_public, "{name}");
                        match bob_session.as_mut() {
                            None => {
                                assert_eq!(
                                    bad.accept(&bob, &signed_prekey, one_time_prekey.as_ref())
                                        .unwrap_err(),
                                    CryptoError::MacMismatch
                                );
                                let (session, decrypted) = prekey
                                    .accept(&bob, &signed_prekey, one_time_prekey.as_ref())
                                    .unwrap();
                                assert_eq!(decrypted, plaintext, "{name}: {label}");
                                bob_session = Some(session);
                            }
                            Some(session) => {
                                assert_eq!(
                                    session.decrypt(&bad.message).unwrap_err(),
                                    CryptoError::MacMismatch
                                );
                                assert_eq!(
                                    session.decrypt(&prekey.message).unwrap(),
                                    plaintext,
                                    "{name}: {label}"
                                );
                            }
                        }
                    }
                    // Sent after Alice heard back: a plain ratchet message.
                    (Ciphertext::Message(inner), Ciphertext::Message(bad)) => {
                        let session = bob_session.as_mut().expect("Bob has a session");
                        assert_eq!(session.decrypt(&bad).unwrap_err(), CryptoError::MacMismatch);
                        assert_eq!(
                            session.decrypt(&inner).unwrap(),
                            plaintext,
                            "{name}: {label}"
                        );
                    }
                    _ => unreachable!("a forged copy parses like the original"),
                }
                delivered += 1;
            }
            ("decrypt", false) => {
                let Ciphertext::Message(inner) = Ciphertext::parse(&wire).unwrap() else {
                    panic!("{name}: {label}: Bob never sends prekey messages");
                };
                let Ciphertext::Message(bad) = Ciphertext::parse(&forged(&wire)).unwrap() else {
                    unreachable!()
                };
                assert_eq!(
                    alice_session.decrypt(&bad).unwrap_err(),
                    CryptoError::MacMismatch
                );
                assert_eq!(
                    alice_session.decrypt(&inner).unwrap(),
                    plaintext,
                    "{name}: {label}"
                );
                alice_heard_back = true;
                delivered += 1;
            }
            (other, _) => panic!("{name}: unknown event {other}"),
        }
    }
    delivered
}

#[test]
fn python_transcripts_replay_byte_for_byte() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let sessions = vectors["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let implementations: Vec<_> = sessions
        .iter()
        .map(|session| session["alice"]["implementation"].as_str().unwrap())
        .collect();
    assert_eq!(implementations, ["python", "rust"], "both directions");
    for session in sessions {
        let messages = session["messages"].as_array().unwrap().len();
        let delivered = replay(session);
        // The script loses some messages on purpose; everything else arrived.
        let decrypt_events = session["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event[0] == "decrypt")
            .count();
        assert_eq!(delivered, decrypt_events);
        assert!(
            delivered > 10 && delivered < messages,
            "{delivered} of {messages}"
        );
    }
}

#[test]
fn replayed_python_messages_are_refused() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let session = &vectors["sessions"][0];
    let bob = identity(&session["bob"]);
    let spk_record = &session["bob"]["signed_prekey"];
    let signed_prekey = SignedPreKey {
        id: id(spk_record),
        key_pair: key_pair(spk_record),
        signature: b64(&spk_record["signature"]).try_into().unwrap(),
    };
    let one_time = &session["bob"]["one_time_prekey"];
    let one_time_prekey = OneTimePreKey {
        id: id(one_time),
        key_pair: key_pair(one_time),
    };
    let first = &session["messages"][0];
    assert_eq!(first["kind"], "prekey");
    let Ciphertext::PreKey(prekey) = Ciphertext::parse(&b64(&first["wire"])).unwrap() else {
        panic!("the first message is a prekey message");
    };
    let (mut bob_session, plaintext) = prekey
        .accept(&bob, &signed_prekey, Some(&one_time_prekey))
        .unwrap();
    assert_eq!(plaintext, b64(&first["plaintext"]));
    assert_eq!(
        bob_session.decrypt(&prekey.message).unwrap_err(),
        CryptoError::DuplicateMessage
    );
    // Without the one-time prekey it named (deleted after first use) no session can start.
    assert_eq!(
        prekey.accept(&bob, &signed_prekey, None).unwrap_err(),
        CryptoError::PreKeyMismatch
    );
    // Python's message names Bob's identity in the AD: a different responder identity fails.
    let stranger = IdentityKeyPair::from_private(PrivateKey::from_bytes([7; 32]));
    assert_ne!(stranger.public_key(), bob.public_key());
    assert_eq!(
        prekey
            .accept(&stranger, &signed_prekey, Some(&one_time_prekey))
            .unwrap_err(),
        CryptoError::MacMismatch
    );
}
