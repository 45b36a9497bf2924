//! Attack cases against the pairwise protocol (X3DH + Double Ratchet), through the public API
//! only: what an attacker on the network, a malicious server or a buggy peer can send, and what
//! the crate must answer. Every rejected decryption is checked to leave the session byte-for-byte
//! unchanged (`state::encode` before and after), and the genuine traffic to still go through.
//!
//! Several cases also exist as unit tests (`src/ratchet/tests.rs`: replays, tampering, MAX_SKIP,
//! swapped AD, low-order ratchet key; `src/x3dh.rs`: bad signatures, low-order bundle keys;
//! `src/xeddsa.rs`: non-canonical inputs; `src/keys.rs`: non-canonical public keys;
//! `src/message.rs`, `src/prekey_message.rs`: malformed wire bytes). Those reach into private
//! fields; these go through the wire formats and the calls an application makes. Sender-key
//! attacks are tested elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use chatalot_crypto::kdf::{self, MessageKeys, SecretKey};
use chatalot_crypto::keys::{
    IdentityKeyPair, KeyPair, OneTimePreKey, PreKeyBundle, PrivateKey, PublicKey, SignedPreKey,
};
use chatalot_crypto::message::{self, Header, MAC_LEN, Message};
use chatalot_crypto::prekey_message::{Ciphertext, PreKeyMessage};
use chatalot_crypto::ratchet::{MAX_SKIP, Session};
use chatalot_crypto::{CryptoError, state, x3dh, xeddsa};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Offsets in a ratchet message on the wire (see `message`).
const RATCHET_KEY: core::ops::Range<usize> = 1..33;
const PREVIOUS_CHAIN_LENGTH: core::ops::Range<usize> = 33..37;
const MESSAGE_NUMBER: core::ops::Range<usize> = 37..41;
const CIPHERTEXT_START: usize = 41;

/// Offsets in a prekey message on the wire (see `prekey_message`).
const PREKEY_IDENTITY_KEY_LAST: usize = 33;
const PREKEY_BASE_KEY_LAST: usize = 66;
const PREKEY_SIGNED_ID: usize = 67;
const PREKEY_ONE_TIME_FLAG: usize = 71;
const PREKEY_ONE_TIME_ID: usize = 72;
const PREKEY_PREFIX_LEN: usize = 76;

/// Smallest ratchet message: version, header, one block, MAC.
const MIN_MESSAGE_LEN: usize = 1 + 40 + 16 + MAC_LEN;

/// Bob's private keys: identity, a signed prekey and a one-time prekey.
struct Responder {
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    one_time_prekey: OneTimePreKey,
}

impl Responder {
    fn new() -> Self {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let signed_prekey = SignedPreKey::generate(7, &identity, &mut OsRng);
        Self {
            identity,
            signed_prekey,
            one_time_prekey: OneTimePreKey::generate(40, &mut OsRng),
        }
    }

    fn bundle(&self, with_one_time: bool) -> PreKeyBundle {
        PreKeyBundle::new(
            &self.identity,
            &self.signed_prekey,
            with_one_time.then_some(&self.one_time_prekey),
        )
    }

    /// What a well-behaved application does with an incoming prekey message: look the prekeys
    /// up by the ids it names (the one-time prekey only while it still exists) and accept.
    fn accept(
        &self,
        wire: &[u8],
        one_time_prekey_still_stored: bool,
    ) -> Result<(Session, Vec<u8>), CryptoError> {
        let Ciphertext::PreKey(prekey) = Ciphertext::parse(wire)? else {
            panic!("expected a prekey message");
        };
        let one_time = prekey
            .one_time_prekey_id
            .filter(|&id| one_time_prekey_still_stored && id == self.one_time_prekey.id)
            .map(|_| &self.one_time_prekey);
        prekey.accept(&self.identity, &self.signed_prekey, one_time)
    }
}

/// Alice's side of first contact with `bundle`: her session and the wire bytes of her first
/// message.
fn first_contact(
    alice: &IdentityKeyPair,
    bundle: &PreKeyBundle,
    text: &[u8],
) -> (Session, Vec<u8>) {
    let initiation = x3dh::initiate(alice, bundle, &mut OsRng).unwrap();
    let mut session = Session::initiator(
        initiation.shared_secret.clone(),
        initiation.associated_data.clone(),
        bundle.signed_prekey,
        &mut OsRng,
    )
    .unwrap();
    let message = session.encrypt(text, &mut OsRng).unwrap();
    let wire = PreKeyMessage::new(alice, &initiation, bundle.signed_prekey_id, message).to_bytes();
    (session, wire)
}

/// Parses wire bytes that must be a ratchet message.
fn parse_message(wire: &[u8]) -> Result<Message, CryptoError> {
    match Ciphertext::parse(wire)? {
        Ciphertext::Message(message) => Ok(message),
        Ciphertext::PreKey(_) => panic!("expected a ratchet message"),
    }
}

/// Alice and Bob after first contact (with a one-time prekey) over the wire and one reply: both
/// have received from the other, and Alice's next message starts a new chain.
fn established() -> (Session, Session) {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let (mut alice, wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"hello bob");
    let (mut bob, plaintext) = bob_keys.accept(&wire, true).unwrap();
    assert_eq!(plaintext, b"hello bob");
    let reply = bob.encrypt(b"hello alice", &mut OsRng).unwrap().to_bytes();
    assert_eq!(
        alice.decrypt(&parse_message(&reply).unwrap()).unwrap(),
        b"hello alice"
    );
    (alice, bob)
}

fn snapshot(session: &Session) -> Vec<u8> {
    state::encode(session).unwrap().to_vec()
}

/// `decrypt` fails with exactly `expected` and the session is byte-for-byte what it was.
fn assert_rejected(session: &mut Session, message: &Message, expected: CryptoError) {
    let before = snapshot(session);
    assert_eq!(session.decrypt(message).unwrap_err(), expected);
    assert_eq!(
        snapshot(session),
        before,
        "a failed decryption changed the session"
    );
}

/// Parses `wire` as a ratchet message and decrypts it; it must fail and leave the session
/// unchanged. Returns the error.
fn wire_error(session: &mut Session, wire: &[u8]) -> CryptoError {
    let before = snapshot(session);
    let error = match Message::from_bytes(wire) {
        Ok(message) => session.decrypt(&message).unwrap_err(),
        Err(error) => error,
    };
    assert_eq!(
        snapshot(session),
        before,
        "a failed decryption changed the session"
    );
    error
}

fn with_ratchet_key(message: &Message, key: [u8; 32]) -> Message {
    let mut forged = message.clone();
    forged.header.ratchet_key = PublicKey::from_bytes(key);
    forged
}

/// The field prime p = 2^255 - 19, little-endian.
fn field_prime() -> [u8; 32] {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
}

/// Every 32-byte string that RFC 7748's X25519 (bit 255 masked, then reduced mod p) maps to a
/// point of small order, so that any DH with it would be all zero: the canonical u-coordinates
/// of the small-order points of the curve and its twist (0, 1, the two points of order 8,
/// p - 1), the non-canonical u = p and u = p + 1 (the only ones whose u + p still fits 255
/// bits), and each of those seven with bit 255 set. The crate refuses the five canonical ones
/// by their all-zero DH output and the nine others as non-canonical encodings.
fn low_order_encodings() -> Vec<[u8; 32]> {
    let mut one = [0u8; 32];
    one[0] = 1;
    let order_eight_a: [u8; 32] = [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ];
    let order_eight_b: [u8; 32] = [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ];
    let p = field_prime();
    let mut p_minus_one = p;
    p_minus_one[0] -= 1;
    let mut p_plus_one = p;
    p_plus_one[0] += 1;
    let canonical_and_reduced = [
        [0u8; 32],
        one,
        order_eight_a,
        order_eight_b,
        p_minus_one,
        p,
        p_plus_one,
    ];
    let mut all = canonical_and_reduced.to_vec();
    for key in canonical_and_reduced {
        let mut high = key;
        high[31] |= 0x80;
        all.push(high);
    }
    all
}

// ---------------------------------------------------------------------------------------------
// Replays
// ---------------------------------------------------------------------------------------------

#[test]
fn replayed_message_is_a_duplicate_and_changes_nothing() {
    let (mut alice, mut bob) = established();
    let wires: Vec<Vec<u8>> = (0..3u8)
        .map(|i| alice.encrypt(&[i], &mut OsRng).unwrap().to_bytes())
        .collect();
    let messages: Vec<Message> = wires.iter().map(|w| parse_message(w).unwrap()).collect();

    assert_eq!(bob.decrypt(&messages[0]).unwrap(), [0]);
    assert_rejected(&mut bob, &messages[0], CryptoError::DuplicateMessage);
    // Out of order: 2 first (1 becomes a skipped key), then 1 from the skipped key.
    assert_eq!(bob.decrypt(&messages[2]).unwrap(), [2]);
    assert_eq!(bob.skipped_key_count(), 1);
    assert_rejected(&mut bob, &messages[2], CryptoError::DuplicateMessage);
    assert_eq!(bob.decrypt(&messages[1]).unwrap(), [1]);
    assert_eq!(bob.skipped_key_count(), 0);
    for message in &messages {
        assert_rejected(&mut bob, message, CryptoError::DuplicateMessage);
    }

    // After both sides ratcheted, a replay from a chain that is gone cannot be told apart from a
    // forgery under an unknown ratchet key: the keys derived for it fail the MAC.
    let reply = bob.encrypt(b"reply", &mut OsRng).unwrap();
    alice.decrypt(&reply).unwrap();
    let next = alice.encrypt(b"next", &mut OsRng).unwrap();
    bob.decrypt(&next).unwrap();
    assert_rejected(&mut bob, &messages[0], CryptoError::MacMismatch);
    assert_rejected(&mut alice, &reply, CryptoError::DuplicateMessage);

    let after = alice.encrypt(b"after", &mut OsRng).unwrap();
    assert_eq!(bob.decrypt(&after).unwrap(), b"after");
}

#[test]
fn replayed_initial_message_after_its_one_time_prekey_is_gone() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let (mut alice, wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"first");
    let (mut bob, plaintext) = bob_keys.accept(&wire, true).unwrap();
    assert_eq!(plaintext, b"first");
    // Bob deletes the one-time prekey now. A replay names it; he no longer has it.
    assert_eq!(
        bob_keys.accept(&wire, false).unwrap_err(),
        CryptoError::PreKeyMismatch
    );
    // Even a new one-time prekey that reuses the id (an application bug) does not open it.
    let Ciphertext::PreKey(prekey) = Ciphertext::parse(&wire).unwrap() else {
        panic!("expected a prekey message");
    };
    let reused_id = OneTimePreKey::generate(bob_keys.one_time_prekey.id, &mut OsRng);
    assert_eq!(
        prekey
            .accept(
                &bob_keys.identity,
                &bob_keys.signed_prekey,
                Some(&reused_id)
            )
            .unwrap_err(),
        CryptoError::MacMismatch
    );
    // Fed to the session it already started, the replay is a duplicate.
    assert_rejected(&mut bob, &prekey.message, CryptoError::DuplicateMessage);

    // Alice's later prekey messages (she has not heard back yet) still go through the session.
    let second = alice.encrypt(b"second", &mut OsRng).unwrap();
    assert_eq!(bob.decrypt(&second).unwrap(), b"second");
    let reply = bob.encrypt(b"reply", &mut OsRng).unwrap();
    assert_eq!(alice.decrypt(&reply).unwrap(), b"reply");
}

#[test]
fn replayed_initial_message_without_one_time_prekey_must_be_caught_by_the_caller() {
    // X3DH's known limitation (spec section 4.2): without a one-time prekey nothing in the
    // message is single-use, so accepting it again rebuilds the same session. The crate cannot
    // see this; an application must remember base keys (or sessions) it has accepted. The replay
    // yields nothing new: the same plaintext and a byte-identical session.
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let (_alice, wire) = first_contact(&alice_id, &bob_keys.bundle(false), b"no one-time key");
    let (bob, plaintext) = bob_keys.accept(&wire, false).unwrap();
    let (replayed, replayed_plaintext) = bob_keys.accept(&wire, false).unwrap();
    assert_eq!(plaintext, replayed_plaintext);
    assert_eq!(snapshot(&bob), snapshot(&replayed));
}

// ---------------------------------------------------------------------------------------------
// Skipping
// ---------------------------------------------------------------------------------------------

#[test]
fn jump_past_max_skip_within_a_chain() {
    let (mut alice, mut bob) = established();
    let first = alice.encrypt(b"0", &mut OsRng).unwrap();
    bob.decrypt(&first).unwrap();
    // Bob has received message 0 of this chain. Message n needs n - 1 skipped keys.
    let messages: Vec<Message> = (1..=MAX_SKIP + 2)
        .map(|_| alice.encrypt(b"x", &mut OsRng).unwrap())
        .collect();
    let too_far = &messages[MAX_SKIP as usize + 1];
    assert_eq!(too_far.header.message_number, MAX_SKIP + 2);
    assert_rejected(&mut bob, too_far, CryptoError::TooManySkippedMessages);
    // A forged counter far ahead is refused before any chain work, whatever its MAC.
    let mut forged = too_far.clone();
    forged.header.message_number = u32::MAX;
    assert_rejected(&mut bob, &forged, CryptoError::TooManySkippedMessages);

    // Exactly MAX_SKIP is allowed, and the rest then arrive normally.
    let at_limit = &messages[MAX_SKIP as usize];
    assert_eq!(at_limit.header.message_number, MAX_SKIP + 1);
    assert_eq!(bob.decrypt(at_limit).unwrap(), b"x");
    assert_eq!(bob.skipped_key_count(), MAX_SKIP as usize);
    assert_eq!(bob.decrypt(too_far).unwrap(), b"x");
    assert_eq!(bob.decrypt(&messages[0]).unwrap(), b"x");
}

#[test]
fn jump_past_max_skip_across_a_ratchet_step() {
    let (mut alice, mut bob) = established();
    let first = alice.encrypt(b"0", &mut OsRng).unwrap();
    bob.decrypt(&first).unwrap();
    // MAX_SKIP + 1 messages of this chain are lost; Alice then starts a new chain, whose PN
    // tells Bob to store all of them.
    for _ in 0..=MAX_SKIP {
        alice.encrypt(b"lost", &mut OsRng).unwrap();
    }
    let reply = bob.encrypt(b"reply", &mut OsRng).unwrap();
    alice.decrypt(&reply).unwrap();
    let new_chain = alice.encrypt(b"new chain", &mut OsRng).unwrap();
    assert_eq!(new_chain.header.previous_chain_length, MAX_SKIP + 2);
    assert_rejected(&mut bob, &new_chain, CryptoError::TooManySkippedMessages);
}

// ---------------------------------------------------------------------------------------------
// Tampering
// ---------------------------------------------------------------------------------------------

#[test]
fn tampered_header_fields_ciphertext_or_mac_fail_and_genuine_still_decrypts() {
    let (mut alice, mut bob) = established();
    // `opening` starts Alice's new chain (a ratchet step for Bob); `genuine` is mid-chain.
    let opening = alice.encrypt(b"opening", &mut OsRng).unwrap();
    let genuine = alice.encrypt(&[0x42; 20], &mut OsRng).unwrap();
    let other = alice.encrypt(b"other", &mut OsRng).unwrap();

    for message in [&opening, &genuine] {
        let mut key = *message.header.ratchet_key.as_bytes();
        key[0] ^= 0x01;
        assert_rejected(
            &mut bob,
            &with_ratchet_key(message, key),
            CryptoError::MacMismatch,
        );
        // Bit 255 set: RFC 7748 would mask it (same DH); the key is refused as non-canonical.
        let mut key = *message.header.ratchet_key.as_bytes();
        key[31] ^= 0x80;
        assert_rejected(
            &mut bob,
            &with_ratchet_key(message, key),
            CryptoError::InvalidPublicKeyEncoding,
        );
        for previous in [0, message.header.previous_chain_length + 1] {
            let mut forged = message.clone();
            forged.header.previous_chain_length = previous;
            if forged != *message {
                assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
            }
        }
        let mut forged = message.clone();
        forged.header.message_number += 1;
        assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        // Ciphertext: any block changed, one dropped, one added, all replaced.
        for block in 0..message.ciphertext.len() / 16 {
            let mut forged = message.clone();
            forged.ciphertext[block * 16 + 5] ^= 0x20;
            assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        }
        if message.ciphertext.len() > 16 {
            let mut forged = message.clone();
            forged.ciphertext.truncate(message.ciphertext.len() - 16);
            assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        }
        let mut forged = message.clone();
        forged.ciphertext.extend_from_slice(&[0; 16]);
        assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        let mut forged = message.clone();
        forged.ciphertext = other.ciphertext.clone();
        assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        // MAC: first and last byte, all zero, another message's.
        for index in [0, MAC_LEN - 1] {
            let mut forged = message.clone();
            forged.mac[index] ^= 0x01;
            assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        }
        let mut forged = message.clone();
        forged.mac = [0; MAC_LEN];
        assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        let mut forged = message.clone();
        forged.mac = other.mac;
        assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
        // The version byte is outside the MAC but refused before anything else.
        let mut wire = message.to_bytes();
        for version in 0..=u8::MAX {
            if version == message::MESSAGE_VERSION {
                continue;
            }
            wire[0] = version;
            assert_eq!(
                Message::from_bytes(&wire).unwrap_err(),
                CryptoError::UnsupportedMessageVersion(version)
            );
        }

        // The genuine message decrypts after all of that.
        let text = bob.decrypt(message).unwrap();
        assert!(text == b"opening" || text == [0x42; 20]);
    }

    // A counter already used in this chain reads as a replay, before the MAC is even computed.
    let mut forged = other.clone();
    forged.header.message_number = genuine.header.message_number;
    assert_rejected(&mut bob, &forged, CryptoError::DuplicateMessage);
    assert_eq!(bob.decrypt(&other).unwrap(), b"other");
}

/// The error Bob must give for a single-bit change of a mid-chain message he has not received,
/// when he has received exactly message `received - 1` of that chain.
fn expected_for_flip(flipped: &[u8], genuine: &Message, received: u32) -> CryptoError {
    if flipped[0] != message::MESSAGE_VERSION {
        return CryptoError::UnsupportedMessageVersion(flipped[0]);
    }
    let key: [u8; 32] = flipped[RATCHET_KEY].try_into().unwrap();
    if !PublicKey::from_bytes(key).is_canonical() {
        return CryptoError::InvalidPublicKeyEncoding;
    }
    let header = Message::from_bytes(flipped).unwrap().header;
    if header.ratchet_key != genuine.header.ratchet_key {
        return CryptoError::MacMismatch;
    }
    if header.message_number < received {
        return CryptoError::DuplicateMessage;
    }
    if u64::from(header.message_number) > u64::from(received) + u64::from(MAX_SKIP) {
        return CryptoError::TooManySkippedMessages;
    }
    CryptoError::MacMismatch
}

#[test]
fn every_single_bit_change_of_a_message_is_refused_precisely() {
    let (mut alice, mut bob) = established();
    let opening = alice.encrypt(b"opening", &mut OsRng).unwrap();
    bob.decrypt(&opening).unwrap();
    let genuine = alice.encrypt(&[7; 20], &mut OsRng).unwrap();
    let wire = genuine.to_bytes();
    let mut flips = 0;
    for index in 0..wire.len() {
        for bit in 0..8 {
            let mut flipped = wire.clone();
            flipped[index] ^= 1 << bit;
            let expected = expected_for_flip(&flipped, &genuine, 1);
            assert_eq!(
                wire_error(&mut bob, &flipped),
                expected,
                "byte {index} bit {bit}"
            );
            flips += 1;
        }
    }
    assert_eq!(flips, wire.len() * 8);
    assert_eq!(bob.decrypt(&genuine).unwrap(), [7; 20]);
}

#[test]
fn tampered_prekey_message_is_refused_and_genuine_still_accepted() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let mallory = IdentityKeyPair::generate(&mut OsRng);
    let (_alice, wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"first contact");

    let accept = |bytes: &[u8]| bob_keys.accept(bytes, true).map(|(_, text)| text);
    let modified = |index: usize, value: u8| {
        let mut bytes = wire.clone();
        bytes[index] = value;
        bytes
    };

    // Identity key replaced: DH1 and the associated data change.
    let mut impersonation = wire.clone();
    impersonation[2..34].copy_from_slice(mallory.public_key().as_bytes());
    assert_eq!(
        accept(&impersonation).unwrap_err(),
        CryptoError::MacMismatch
    );
    assert_eq!(
        accept(&modified(3, wire[3] ^ 0x01)).unwrap_err(),
        CryptoError::MacMismatch
    );
    // Base key changed (low bit): DH2..DH4 change.
    assert_eq!(
        accept(&modified(35, wire[35] ^ 0x01)).unwrap_err(),
        CryptoError::MacMismatch
    );
    // Key type bytes.
    for index in [1, 34] {
        assert_eq!(
            accept(&modified(index, 0x06)).unwrap_err(),
            CryptoError::InvalidPublicKeyEncoding
        );
    }
    // Prekey ids and the one-time flag name keys other than the ones Bob has.
    assert_eq!(
        accept(&modified(
            PREKEY_SIGNED_ID + 3,
            wire[PREKEY_SIGNED_ID + 3] ^ 0x01
        ))
        .unwrap_err(),
        CryptoError::PreKeyMismatch
    );
    assert_eq!(
        accept(&modified(
            PREKEY_ONE_TIME_ID + 3,
            wire[PREKEY_ONE_TIME_ID + 3] ^ 0x01
        ))
        .unwrap_err(),
        CryptoError::PreKeyMismatch
    );
    // Flag cleared: Bob runs X3DH without the one-time prekey and disagrees with Alice.
    assert_eq!(
        accept(&modified(PREKEY_ONE_TIME_FLAG, 0)).unwrap_err(),
        CryptoError::MacMismatch
    );
    assert_eq!(
        accept(&modified(PREKEY_ONE_TIME_FLAG, 2)).unwrap_err(),
        CryptoError::MalformedMessage("one-time prekey flag")
    );
    // The inner message's header, ciphertext and MAC.
    for index in [
        PREKEY_PREFIX_LEN + RATCHET_KEY.start,
        PREKEY_PREFIX_LEN + PREVIOUS_CHAIN_LENGTH.end - 1,
        PREKEY_PREFIX_LEN + MESSAGE_NUMBER.end - 1,
        PREKEY_PREFIX_LEN + CIPHERTEXT_START,
        wire.len() - 1,
    ] {
        assert_eq!(
            accept(&modified(index, wire[index] ^ 0x04)).unwrap_err(),
            CryptoError::MacMismatch,
            "byte {index}"
        );
    }

    assert_eq!(accept(&wire).unwrap(), b"first contact");
}

#[test]
fn every_single_bit_change_of_a_prekey_message_is_refused() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let (_alice, wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"first contact");
    let mut accepted = Vec::new();
    let mut non_canonical = Vec::new();
    for index in 0..wire.len() {
        for bit in 0..8 {
            let mut flipped = wire.clone();
            flipped[index] ^= 1 << bit;
            match bob_keys.accept(&flipped, true) {
                Ok((_, text)) => {
                    assert_eq!(text, b"first contact");
                    accepted.push((index, bit));
                }
                Err(CryptoError::InvalidPublicKeyEncoding) => non_canonical.push((index, bit)),
                Err(error) => assert_ne!(error, CryptoError::InvalidPadding, "byte {index}"),
            }
        }
    }
    // Bit 255 of the base key is not authenticated (X3DH binds the identity keys into the AD,
    // not the base key) and RFC 7748 would mask it, giving a different-looking first message
    // with the same X3DH secret; the crate refuses it as a non-canonical key, so the message
    // bytes cannot be changed without refusal (and a replay cache keyed on base-key bytes holds).
    assert!(accepted.is_empty(), "{accepted:?}");
    // Refused as key encodings: every flip of the two type bytes, and bit 255 of the identity
    // key, the base key and the inner ratchet key.
    let type_bytes = [1, PREKEY_IDENTITY_KEY_LAST + 1];
    let (type_byte_flips, key_flips): (Vec<_>, Vec<_>) = non_canonical
        .into_iter()
        .partition(|(index, _)| type_bytes.contains(index));
    assert_eq!(type_byte_flips.len(), 16);
    assert_eq!(
        key_flips,
        vec![
            (PREKEY_IDENTITY_KEY_LAST, 7),
            (PREKEY_BASE_KEY_LAST, 7),
            (PREKEY_PREFIX_LEN + RATCHET_KEY.end - 1, 7),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Identities, signatures and keys
// ---------------------------------------------------------------------------------------------

#[test]
fn swapped_identities_in_associated_data_fail_the_mac() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let bundle = bob_keys.bundle(true);
    let initiation = x3dh::initiate(&alice_id, &bundle, &mut OsRng).unwrap();
    let acceptance = x3dh::accept(
        &bob_keys.identity,
        &bob_keys.signed_prekey,
        Some(&bob_keys.one_time_prekey),
        alice_id.public_key(),
        &initiation.ephemeral_public,
    )
    .unwrap();
    // AD is initiator first on both sides.
    let alice_then_bob =
        x3dh::associated_data(alice_id.public_key(), bob_keys.identity.public_key());
    let bob_then_alice =
        x3dh::associated_data(bob_keys.identity.public_key(), alice_id.public_key());
    assert_eq!(initiation.associated_data, alice_then_bob);
    assert_eq!(acceptance.associated_data, alice_then_bob);

    let mut alice = Session::initiator(
        initiation.shared_secret.clone(),
        initiation.associated_data.clone(),
        bundle.signed_prekey,
        &mut OsRng,
    )
    .unwrap();
    let message = alice
        .encrypt(b"bound to both identities", &mut OsRng)
        .unwrap();

    // Bob accepting with the identities reversed.
    let mut reversed_bob = Session::responder(
        acceptance.shared_secret.clone(),
        bob_then_alice.clone(),
        bob_keys.signed_prekey.key_pair.clone(),
    );
    assert_rejected(&mut reversed_bob, &message, CryptoError::MacMismatch);

    // Alice sealing with the identities reversed, to an honest Bob.
    let mut reversed_alice = Session::initiator(
        initiation.shared_secret.clone(),
        bob_then_alice,
        bundle.signed_prekey,
        &mut OsRng,
    )
    .unwrap();
    let reversed = reversed_alice.encrypt(b"reversed", &mut OsRng).unwrap();
    let wire =
        PreKeyMessage::new(&alice_id, &initiation, bundle.signed_prekey_id, reversed).to_bytes();
    assert_eq!(
        bob_keys.accept(&wire, true).unwrap_err(),
        CryptoError::MacMismatch
    );

    // With the right order everything opens.
    let mut bob = Session::responder(
        acceptance.shared_secret,
        acceptance.associated_data,
        bob_keys.signed_prekey.key_pair.clone(),
    );
    assert_eq!(bob.decrypt(&message).unwrap(), b"bound to both identities");
}

#[test]
fn reflected_message_fails_the_mac() {
    // Alice's own message sent back to her: her ratchet key looks new to her, and what she
    // derives for it does not match what she sealed with.
    let (mut alice, _bob) = established();
    let own = alice.encrypt(b"mine", &mut OsRng).unwrap();
    assert_rejected(&mut alice, &own, CryptoError::MacMismatch);
}

#[test]
fn bundle_with_bad_signed_prekey_signature_is_refused() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let mallory = IdentityKeyPair::generate(&mut OsRng);
    let genuine = bob_keys.bundle(true);
    let refused = |bundle: &PreKeyBundle| {
        assert_eq!(
            x3dh::initiate(&alice_id, bundle, &mut OsRng).unwrap_err(),
            CryptoError::InvalidSignedPreKeySignature
        );
    };

    for (index, bit) in [(0, 0x01), (31, 0x40), (32, 0x01), (62, 0x10), (63, 0x01)] {
        let mut bundle = genuine.clone();
        bundle.signed_prekey_signature[index] ^= bit;
        refused(&bundle);
    }
    let mut bundle = genuine.clone();
    bundle.signed_prekey_signature = [0; 64];
    refused(&bundle);
    // Bit 7 of the last byte marks libsignal's sign-bit form; set on a spec-form signature it
    // names the wrong Edwards key.
    let mut bundle = genuine.clone();
    bundle.signed_prekey_signature[63] |= 0x80;
    refused(&bundle);
    // s + q satisfies the equation mod q but is not canonical.
    let mut bundle = genuine.clone();
    let group_order: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, add) in bundle.signed_prekey_signature[32..]
        .iter_mut()
        .zip(group_order)
    {
        let sum = u16::from(*byte) + u16::from(add) + carry;
        *byte = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    refused(&bundle);
    // R.y = p is not a canonical encoding.
    let mut bundle = genuine.clone();
    bundle.signed_prekey_signature[..32].copy_from_slice(&field_prime());
    refused(&bundle);
    // Substituted prekey, with Bob's signature over his real one.
    let mut bundle = genuine.clone();
    bundle.signed_prekey = *KeyPair::generate(&mut OsRng).public_key();
    refused(&bundle);
    // Substituted prekey signed by someone else; substituted identity.
    let forged = SignedPreKey::generate(genuine.signed_prekey_id, &mallory, &mut OsRng);
    refused(&PreKeyBundle::new(&bob_keys.identity, &forged, None));
    let mut bundle = genuine.clone();
    bundle.identity_key = *mallory.public_key();
    refused(&bundle);
    // Bob's signature over the raw key rather than Encode(SPK).
    let mut bundle = genuine.clone();
    bundle.signed_prekey_signature = bob_keys
        .identity
        .sign(bundle.signed_prekey.as_bytes(), &mut OsRng);
    refused(&bundle);

    assert!(x3dh::initiate(&alice_id, &genuine, &mut OsRng).is_ok());
}

#[test]
fn low_order_keys_are_refused_everywhere() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let (_alice, good_wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"hi");
    let (mut alice_session, mut bob_session) = established();
    let mid_chain = {
        let opening = alice_session.encrypt(b"opening", &mut OsRng).unwrap();
        bob_session.decrypt(&opening).unwrap();
        alice_session.encrypt(b"next", &mut OsRng).unwrap()
    };
    let encodings = low_order_encodings();
    assert_eq!(encodings.len(), 14);
    let (mut canonical_count, mut non_canonical_count) = (0, 0);

    for bad in encodings {
        let what = format!("{bad:02x?}");
        let mut encoded = vec![0x05];
        encoded.extend_from_slice(&bad);
        // The five canonical encodings decode and fail at their all-zero DH; the nine
        // non-canonical ones are refused as encodings wherever they appear, before any DH.
        let key = PublicKey::from_bytes(bad);
        let expected = if key.is_canonical() {
            canonical_count += 1;
            assert_eq!(PublicKey::decode(&encoded).unwrap(), key, "{what}");
            CryptoError::LowOrderPublicKey
        } else {
            non_canonical_count += 1;
            assert_eq!(
                PublicKey::decode(&encoded).unwrap_err(),
                CryptoError::InvalidPublicKeyEncoding,
                "{what}"
            );
            CryptoError::InvalidPublicKeyEncoding
        };

        assert_eq!(
            PrivateKey::generate(&mut OsRng)
                .diffie_hellman(&key)
                .unwrap_err(),
            expected,
            "{what}"
        );
        // Bundle: a low-order identity key fails signature verification first (XEdDSA refuses
        // small-order keys); a low-order signed prekey that Bob really signed, and an unsigned
        // low-order one-time prekey, fail at their DH. Non-canonical keys are refused before
        // the signature is checked.
        let mut bundle = bob_keys.bundle(true);
        bundle.identity_key = key;
        assert_eq!(
            x3dh::initiate(&alice_id, &bundle, &mut OsRng).unwrap_err(),
            if key.is_canonical() {
                CryptoError::InvalidSignedPreKeySignature
            } else {
                CryptoError::InvalidPublicKeyEncoding
            },
            "{what}"
        );
        let mut bundle = bob_keys.bundle(true);
        bundle.signed_prekey = key;
        bundle.signed_prekey_signature = bob_keys.identity.sign(&key.encode(), &mut OsRng);
        assert_eq!(
            x3dh::initiate(&alice_id, &bundle, &mut OsRng).unwrap_err(),
            expected,
            "{what}"
        );
        let mut bundle = bob_keys.bundle(true);
        bundle.one_time_prekey = Some((bob_keys.one_time_prekey.id, key));
        assert_eq!(
            x3dh::initiate(&alice_id, &bundle, &mut OsRng).unwrap_err(),
            expected,
            "{what}"
        );
        assert_eq!(
            Session::initiator(SecretKey::from_bytes([1; 32]), Vec::new(), key, &mut OsRng)
                .unwrap_err(),
            expected,
            "{what}"
        );
        // Prekey message: identity key or base key.
        for start in [2, 35] {
            let mut wire = good_wire.clone();
            wire[start..start + 32].copy_from_slice(&bad);
            assert_eq!(
                bob_keys.accept(&wire, true).unwrap_err(),
                expected,
                "{what} at {start}"
            );
        }
        // Ratchet header of an established session, on the wire and in a hand-built message.
        let mut wire = mid_chain.to_bytes();
        wire[RATCHET_KEY].copy_from_slice(&bad);
        assert_eq!(wire_error(&mut bob_session, &wire), expected, "{what}");
        assert_rejected(
            &mut bob_session,
            &with_ratchet_key(&mid_chain, bad),
            expected,
        );
    }
    assert_eq!((canonical_count, non_canonical_count), (5, 9));
    assert_eq!(bob_session.decrypt(&mid_chain).unwrap(), b"next");
}

#[test]
fn non_canonical_keys_are_refused_everywhere() {
    // A key is canonical when its 32 bytes, little-endian, are below p = 2^255 - 19 (bit 255
    // clear included). RFC 7748 X25519 would mask bit 255 and reduce u >= p, so a non-canonical
    // encoding of a key would compute the same DH as the key itself; the crate refuses such
    // encodings with InvalidPublicKeyEncoding wherever a key enters: `PublicKey::decode`, the
    // ratchet header parse, `Session::decrypt`, `x3dh::initiate` (before the signature check)
    // and `PrivateKey::diffie_hellman`. `xeddsa::verify` refuses u >= p as well.
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let high = |key: &PublicKey| {
        let mut bytes = *key.as_bytes();
        bytes[31] |= 0x80;
        PublicKey::from_bytes(bytes)
    };
    let refused = |bundle: &PreKeyBundle| {
        assert_eq!(
            x3dh::initiate(&alice_id, bundle, &mut OsRng).unwrap_err(),
            CryptoError::InvalidPublicKeyEncoding
        );
    };

    // Decoding: the encoded form of each is refused.
    let genuine = bob_keys.bundle(true);
    for key in [genuine.identity_key, genuine.signed_prekey] {
        assert_eq!(
            PublicKey::decode(&high(&key).encode()).unwrap_err(),
            CryptoError::InvalidPublicKeyEncoding
        );
    }
    // XEdDSA: Bob's genuine signature does not verify under his identity key's twin.
    let signature = bob_keys.identity.sign(b"m", &mut OsRng);
    assert!(xeddsa::verify(&genuine.identity_key, b"m", &signature));
    assert!(!xeddsa::verify(
        &high(&genuine.identity_key),
        b"m",
        &signature
    ));

    // Identity key in a bundle, even with Bob's genuine signature.
    let mut bundle = bob_keys.bundle(true);
    bundle.identity_key = high(&bundle.identity_key);
    refused(&bundle);
    // Signed prekey altered in transit.
    let mut bundle = bob_keys.bundle(true);
    bundle.signed_prekey = high(&bundle.signed_prekey);
    refused(&bundle);
    // A signed prekey that Bob signed in its non-canonical form.
    let mut bundle = bob_keys.bundle(true);
    bundle.signed_prekey = high(&bundle.signed_prekey);
    bundle.signed_prekey_signature = bob_keys
        .identity
        .sign(&bundle.signed_prekey.encode(), &mut OsRng);
    refused(&bundle);
    // A one-time prekey with bit 255 set (unsigned: a server can do this).
    let mut bundle = bob_keys.bundle(true);
    let (id, key) = bundle.one_time_prekey.unwrap();
    bundle.one_time_prekey = Some((id, high(&key)));
    refused(&bundle);
    // The responder's side: a non-canonical initiator identity or base key.
    for (identity, base) in [
        (
            high(alice_id.public_key()),
            *KeyPair::generate(&mut OsRng).public_key(),
        ),
        (
            *alice_id.public_key(),
            high(KeyPair::generate(&mut OsRng).public_key()),
        ),
    ] {
        assert_eq!(
            x3dh::accept(
                &bob_keys.identity,
                &bob_keys.signed_prekey,
                Some(&bob_keys.one_time_prekey),
                &identity,
                &base,
            )
            .unwrap_err(),
            CryptoError::InvalidPublicKeyEncoding
        );
    }
    assert!(x3dh::initiate(&alice_id, &genuine, &mut OsRng).is_ok());

    // Ratchet key in a header: refused at parse time on the wire, and by `decrypt` in a
    // hand-built message, with the session unchanged either way.
    let (mut alice, mut bob) = established();
    let message = alice.encrypt(b"m", &mut OsRng).unwrap();
    let altered = with_ratchet_key(&message, *high(&message.header.ratchet_key).as_bytes());
    assert_rejected(&mut bob, &altered, CryptoError::InvalidPublicKeyEncoding);
    let mut wire = message.to_bytes();
    wire[RATCHET_KEY.end - 1] ^= 0x80;
    assert_eq!(
        wire_error(&mut bob, &wire),
        CryptoError::InvalidPublicKeyEncoding
    );
    assert_eq!(bob.decrypt(&message).unwrap(), b"m");

    // Prekey message: bit 255 of the identity key, the base key or the inner ratchet key
    // flipped in transit is refused when the message is parsed; the genuine message still
    // opens. (Bit 255 of the base key is not authenticated: under RFC 7748 the altered message
    // would be accepted with the same content, defeating a replay cache keyed on its bytes.)
    let (_, wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"first");
    for index in [
        PREKEY_IDENTITY_KEY_LAST,
        PREKEY_BASE_KEY_LAST,
        PREKEY_PREFIX_LEN + RATCHET_KEY.end - 1,
    ] {
        let mut altered = wire.clone();
        altered[index] ^= 0x80;
        assert_eq!(
            Ciphertext::parse(&altered).unwrap_err(),
            CryptoError::InvalidPublicKeyEncoding,
            "byte {index}"
        );
        assert_eq!(
            bob_keys.accept(&altered, true).unwrap_err(),
            CryptoError::InvalidPublicKeyEncoding,
            "byte {index}"
        );
    }
    assert_eq!(bob_keys.accept(&wire, true).unwrap().1, b"first");
}

// ---------------------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------------------

#[test]
fn truncated_or_oversized_messages_are_malformed() {
    let (mut alice, mut bob) = established();
    let opening = alice.encrypt(b"opening", &mut OsRng).unwrap();
    bob.decrypt(&opening).unwrap();
    let genuine = alice.encrypt(&[1; 40], &mut OsRng).unwrap();
    let wire = genuine.to_bytes();
    assert_eq!(wire.len(), MIN_MESSAGE_LEN + 32);

    // Every truncation: malformed, unless it happens to drop whole blocks (then the MAC fails).
    for len in 0..wire.len() {
        let error = wire_error(&mut bob, &wire[..len]);
        let whole_blocks = len >= MIN_MESSAGE_LEN && (len - MIN_MESSAGE_LEN).is_multiple_of(16);
        match len {
            0 => assert_eq!(error, CryptoError::MalformedMessage("empty")),
            _ if len < MIN_MESSAGE_LEN => {
                assert_eq!(error, CryptoError::MalformedMessage("too short"), "{len}");
            }
            _ if whole_blocks => assert_eq!(error, CryptoError::MacMismatch, "{len}"),
            _ => assert_eq!(
                error,
                CryptoError::MalformedMessage("ciphertext is not a whole number of blocks"),
                "{len}"
            ),
        }
    }
    // Trailing bytes: malformed unless whole blocks; a large tail is simply unauthenticated
    // (the crate has no size limit of its own; the server bounds message sizes).
    for extra in 1..=48 {
        let mut longer = wire.clone();
        longer.extend(core::iter::repeat_n(0xa5, extra));
        let error = wire_error(&mut bob, &longer);
        if extra.is_multiple_of(16) {
            assert_eq!(error, CryptoError::MacMismatch, "{extra}");
        } else {
            assert!(
                matches!(error, CryptoError::MalformedMessage(_)),
                "{extra}: {error:?}"
            );
        }
    }
    let mut huge = wire.clone();
    huge.extend(core::iter::repeat_n(0, 1 << 16));
    assert_eq!(wire_error(&mut bob, &huge), CryptoError::MacMismatch);

    assert_eq!(bob.decrypt(&genuine).unwrap(), [1; 40]);
}

#[test]
fn truncated_or_oversized_prekey_messages_are_malformed() {
    let bob_keys = Responder::new();
    let alice_id = IdentityKeyPair::generate(&mut OsRng);
    let (_alice, wire) = first_contact(&alice_id, &bob_keys.bundle(true), b"first");
    for len in 0..wire.len() {
        let error = bob_keys.accept(&wire[..len], true).unwrap_err();
        let inner = len.saturating_sub(PREKEY_PREFIX_LEN);
        let whole_blocks = inner >= MIN_MESSAGE_LEN && (inner - MIN_MESSAGE_LEN).is_multiple_of(16);
        if whole_blocks {
            assert_eq!(error, CryptoError::MacMismatch, "{len}");
        } else {
            assert!(
                matches!(error, CryptoError::MalformedMessage(_)),
                "{len}: {error:?}"
            );
        }
    }
    assert_eq!(
        bob_keys
            .accept(&wire[..PREKEY_PREFIX_LEN - 1], true)
            .unwrap_err(),
        CryptoError::MalformedMessage("prekey message too short")
    );
    for extra in [1, 15, 16, 17] {
        let mut longer = wire.clone();
        longer.extend(core::iter::repeat_n(0, extra));
        let error = bob_keys.accept(&longer, true).unwrap_err();
        if extra.is_multiple_of(16) {
            assert_eq!(error, CryptoError::MacMismatch);
        } else {
            assert!(
                matches!(error, CryptoError::MalformedMessage(_)),
                "{error:?}"
            );
        }
    }
    assert_eq!(bob_keys.accept(&wire, true).unwrap().1, b"first");
}

// ---------------------------------------------------------------------------------------------
// MAC before decryption
// ---------------------------------------------------------------------------------------------

/// AES-256-CBC-PKCS#7 decryption with the keys a message key expands to.
fn decrypt_with(keys: &MessageKeys, ciphertext: &[u8]) -> Option<Vec<u8>> {
    cbc::Decryptor::<Aes256>::new(&keys.cipher_key.into(), &keys.iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .ok()
}

#[test]
fn mac_is_checked_before_padding() {
    // With the message key in hand (message layer), build a ciphertext whose padding is
    // invalid: a bit flipped in the first block corrupts the last plaintext byte of a full
    // padding block (0x10 -> 0x11).
    let message_key = SecretKey::from_bytes([0x33; 32]);
    let keys = kdf::message_keys(&message_key).unwrap();
    let header = Header {
        ratchet_key: *KeyPair::generate(&mut OsRng).public_key(),
        previous_chain_length: 0,
        message_number: 0,
    };
    let ad = b"associated data";
    let sealed = message::seal(&message_key, ad, header, &[0x61; 16]).unwrap();
    assert_eq!(sealed.ciphertext.len(), 32);
    let mut bad_padding = sealed.clone();
    bad_padding.ciphertext[15] ^= 0x01;
    assert_eq!(decrypt_with(&keys, &bad_padding.ciphertext), None);

    // Without a valid MAC the answer is MacMismatch: the padding is never looked at, so there
    // is no padding oracle.
    assert_eq!(
        message::open(&message_key, ad, &bad_padding).unwrap_err(),
        CryptoError::MacMismatch
    );
    // Only someone holding the MAC key can get as far as the padding check.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&keys.mac_key).unwrap();
    mac.update(ad);
    mac.update(&header.encode());
    mac.update(&bad_padding.ciphertext);
    bad_padding.mac = mac.finalize().into_bytes().into();
    assert_eq!(
        message::open(&message_key, ad, &bad_padding).unwrap_err(),
        CryptoError::InvalidPadding
    );
    assert_eq!(
        *message::open(&message_key, ad, &sealed).unwrap(),
        [0x61; 16]
    );
}

#[test]
fn forged_ciphertexts_never_reach_the_padding_check() {
    let (mut alice, mut bob) = established();
    let opening = alice.encrypt(b"opening", &mut OsRng).unwrap();
    bob.decrypt(&opening).unwrap();
    let genuine = alice.encrypt(&[9; 31], &mut OsRng).unwrap();
    // Random ciphertexts decrypt to bad padding ~255 times in 256; none gets past the MAC.
    for _ in 0..256 {
        let mut forged = genuine.clone();
        OsRng.fill_bytes(&mut forged.ciphertext);
        assert_rejected(&mut bob, &forged, CryptoError::MacMismatch);
    }
    assert_eq!(bob.decrypt(&genuine).unwrap(), [9; 31]);
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
fn zeroizable<T: zeroize::Zeroize>() {}

#[test]
fn secret_types_are_zeroized_and_redacted() {
    // Zeroization itself cannot be observed from safe Rust; what can be checked is that every
    // secret-holding type is one that wipes itself, and that Debug output carries no secret.
    zeroized_on_drop::<SecretKey>();
    zeroized_on_drop::<MessageKeys>();
    // What PrivateKey wraps: x25519-dalek's `zeroize` feature derives Zeroize with
    // `zeroize(drop)`, a Drop that wipes it (without the ZeroizeOnDrop marker trait).
    zeroizable::<x25519_dalek::StaticSecret>();
    let identity = IdentityKeyPair::generate(&mut OsRng);
    let _: zeroize::Zeroizing<[u8; 32]> = identity.private_key().to_bytes();
    let (alice, _bob) = established();
    let _: zeroize::Zeroizing<Vec<u8>> = state::encode(&alice).unwrap();

    let private_hex: String = identity
        .private_key()
        .to_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let debug = format!("{identity:?} {alice:?}");
    assert!(debug.contains("<redacted>"));
    assert!(!debug.contains(&private_hex));
    let secret = SecretKey::from_bytes([0xab; 32]);
    assert!(!format!("{secret:?}").contains("abab"));
}
