//! The initiator's first message: a ratchet message plus what the responder needs for X3DH.
//!
//! Until the initiator has heard back, each of its messages travels as a [`PreKeyMessage`], so
//! the responder can build the session from whichever one arrives first. [`Ciphertext::parse`]
//! tells the two kinds apart by the first byte, because the server's envelope carries only
//! opaque bytes.
//!
//! # Wire format (version 1)
//!
//! ```text
//! offset  length  field
//! 0       1       0x81: bit 7 marks a prekey message, bits 0-6 its version (1)
//! 1       33      Encode(IK_A): initiator identity key
//! 34      33      Encode(EK_A): initiator ephemeral (base) key
//! 67      4       signed prekey id, u32 big-endian
//! 71      1       0x01 when a one-time prekey was used, else 0x00
//! 72      4       one-time prekey id, u32 big-endian (zero when unused)
//! 76      …       the ratchet message in its own wire format (see [`crate::message`])
//! ```
//!
//! These fields are not under a MAC of their own; tampering with any of them changes the X3DH
//! secret or the associated data, so the inner message's MAC fails.

use crate::error::{CryptoError, Result};
use crate::keys::{ENCODED_KEY_LEN, IdentityKeyPair, OneTimePreKey, PublicKey, SignedPreKey};
use crate::message::{MESSAGE_VERSION, Message};
use crate::ratchet::Session;
use crate::x3dh::{self, Initiation};

/// First byte of a version-1 prekey message.
pub const PREKEY_MESSAGE_VERSION: u8 = 0x81;
const PREFIX_LEN: usize = 1 + 2 * ENCODED_KEY_LEN + 4 + 1 + 4;

/// A ratchet message that also carries the initiator's X3DH keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyMessage {
    /// The initiator's identity key.
    pub identity_key: PublicKey,
    /// The initiator's ephemeral key from X3DH.
    pub base_key: PublicKey,
    /// Which signed prekey of the responder's bundle was used.
    pub signed_prekey_id: u32,
    /// Which one-time prekey was used, if any.
    pub one_time_prekey_id: Option<u32>,
    /// The ratchet message itself.
    pub message: Message,
}

impl PreKeyMessage {
    /// Wraps `message` with the X3DH data from `initiation`.
    pub fn new(
        identity: &IdentityKeyPair,
        initiation: &Initiation,
        signed_prekey_id: u32,
        message: Message,
    ) -> Self {
        Self {
            identity_key: *identity.public_key(),
            base_key: initiation.ephemeral_public,
            signed_prekey_id,
            one_time_prekey_id: initiation.used_one_time_prekey_id,
            message,
        }
    }

    /// The wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let inner = self.message.to_bytes();
        let mut out = Vec::with_capacity(PREFIX_LEN + inner.len());
        out.push(PREKEY_MESSAGE_VERSION);
        out.extend_from_slice(&self.identity_key.encode());
        out.extend_from_slice(&self.base_key.encode());
        out.extend_from_slice(&self.signed_prekey_id.to_be_bytes());
        out.push(u8::from(self.one_time_prekey_id.is_some()));
        out.extend_from_slice(&self.one_time_prekey_id.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&inner);
        out
    }

    /// Parses wire bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (&version, _) = bytes
            .split_first()
            .ok_or(CryptoError::MalformedMessage("empty"))?;
        if version != PREKEY_MESSAGE_VERSION {
            return Err(CryptoError::UnsupportedMessageVersion(version));
        }
        if bytes.len() < PREFIX_LEN {
            return Err(CryptoError::MalformedMessage("prekey message too short"));
        }
        let u32_at = |at: usize| {
            <[u8; 4]>::try_from(&bytes[at..at + 4])
                .map(u32::from_be_bytes)
                .map_err(|_| CryptoError::MalformedMessage("prekey id"))
        };
        let one_time_prekey_id = match bytes[71] {
            0 => None,
            1 => Some(u32_at(72)?),
            _ => return Err(CryptoError::MalformedMessage("one-time prekey flag")),
        };
        Ok(Self {
            identity_key: PublicKey::decode(&bytes[1..34])?,
            base_key: PublicKey::decode(&bytes[34..67])?,
            signed_prekey_id: u32_at(67)?,
            one_time_prekey_id,
            message: Message::from_bytes(&bytes[PREFIX_LEN..])?,
        })
    }

    /// The responder's side: run X3DH with the named prekeys, start the session, and decrypt.
    /// Nothing is created unless the message authenticates. The caller deletes the one-time
    /// prekey afterwards, and should check `identity_key` against the sender it expects.
    pub fn accept(
        &self,
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
    ) -> Result<(Session, Vec<u8>)> {
        if signed_prekey.id != self.signed_prekey_id
            || one_time_prekey.map(|key| key.id) != self.one_time_prekey_id
        {
            return Err(CryptoError::PreKeyMismatch);
        }
        let acceptance = x3dh::accept(
            identity,
            signed_prekey,
            one_time_prekey,
            &self.identity_key,
            &self.base_key,
        )?;
        let mut session = Session::responder(
            acceptance.shared_secret,
            acceptance.associated_data,
            signed_prekey.key_pair.clone(),
        );
        let plaintext = session.decrypt(&self.message)?;
        Ok((session, plaintext))
    }
}

/// Any payload this crate produces for one recipient device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ciphertext {
    /// A message in an established session.
    Message(Message),
    /// A message that may start a session.
    PreKey(PreKeyMessage),
}

impl Ciphertext {
    /// Parses wire bytes of either kind, chosen by the first byte.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        match bytes.first() {
            Some(&PREKEY_MESSAGE_VERSION) => PreKeyMessage::from_bytes(bytes).map(Self::PreKey),
            Some(&MESSAGE_VERSION) => Message::from_bytes(bytes).map(Self::Message),
            Some(&other) => Err(CryptoError::UnsupportedMessageVersion(other)),
            None => Err(CryptoError::MalformedMessage("empty")),
        }
    }

    /// The wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Message(message) => message.to_bytes(),
            Self::PreKey(message) => message.to_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;
    use crate::keys::PreKeyBundle;

    struct Responder {
        identity: IdentityKeyPair,
        signed_prekey: SignedPreKey,
        one_time_prekey: OneTimePreKey,
    }

    fn responder() -> Responder {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let signed_prekey = SignedPreKey::generate(21, &identity, &mut OsRng);
        Responder {
            identity,
            signed_prekey,
            one_time_prekey: OneTimePreKey::generate(42, &mut OsRng),
        }
    }

    /// Alice's side up to her first wire bytes.
    fn first_message(
        alice: &IdentityKeyPair,
        bob: &Responder,
        with_one_time: bool,
    ) -> (Session, Vec<u8>) {
        let otk = with_one_time.then_some(&bob.one_time_prekey);
        let bundle = PreKeyBundle::new(&bob.identity, &bob.signed_prekey, otk);
        let initiation = x3dh::initiate(alice, &bundle, &mut OsRng).unwrap();
        let mut session = Session::initiator(
            initiation.shared_secret.clone(),
            initiation.associated_data.clone(),
            bundle.signed_prekey,
            &mut OsRng,
        )
        .unwrap();
        let message = session.encrypt(b"hi bob", &mut OsRng).unwrap();
        let wire =
            PreKeyMessage::new(alice, &initiation, bundle.signed_prekey_id, message).to_bytes();
        (session, wire)
    }

    #[test]
    fn full_first_contact_over_the_wire() {
        for with_one_time in [true, false] {
            let alice_id = IdentityKeyPair::generate(&mut OsRng);
            let bob = responder();
            let (mut alice, wire) = first_message(&alice_id, &bob, with_one_time);
            let Ciphertext::PreKey(prekey) = Ciphertext::parse(&wire).unwrap() else {
                panic!("expected a prekey message");
            };
            assert_eq!(prekey.identity_key, *alice_id.public_key());
            assert_eq!(prekey.one_time_prekey_id, with_one_time.then_some(42));
            let otk = prekey.one_time_prekey_id.map(|_| &bob.one_time_prekey);
            let (mut bob_session, plaintext) = prekey
                .accept(&bob.identity, &bob.signed_prekey, otk)
                .unwrap();
            assert_eq!(plaintext, b"hi bob");

            let reply = Ciphertext::Message(bob_session.encrypt(b"hi alice", &mut OsRng).unwrap())
                .to_bytes();
            let Ciphertext::Message(reply) = Ciphertext::parse(&reply).unwrap() else {
                panic!("expected a ratchet message");
            };
            assert_eq!(alice.decrypt(&reply).unwrap(), b"hi alice");
        }
    }

    #[test]
    fn wrong_or_missing_prekeys_are_refused() {
        let alice_id = IdentityKeyPair::generate(&mut OsRng);
        let bob = responder();
        let (_, wire) = first_message(&alice_id, &bob, true);
        let prekey = PreKeyMessage::from_bytes(&wire).unwrap();
        assert_eq!(
            prekey
                .accept(&bob.identity, &bob.signed_prekey, None)
                .unwrap_err(),
            CryptoError::PreKeyMismatch
        );
        let other_spk = SignedPreKey::generate(22, &bob.identity, &mut OsRng);
        assert_eq!(
            prekey
                .accept(&bob.identity, &other_spk, Some(&bob.one_time_prekey))
                .unwrap_err(),
            CryptoError::PreKeyMismatch
        );
    }

    #[test]
    fn tampered_prefix_fails_authentication() {
        let alice_id = IdentityKeyPair::generate(&mut OsRng);
        let mallory = IdentityKeyPair::generate(&mut OsRng);
        let bob = responder();
        let (_, wire) = first_message(&alice_id, &bob, true);
        // Claiming to be someone else changes DH1 and the associated data.
        let mut impersonated = PreKeyMessage::from_bytes(&wire).unwrap();
        impersonated.identity_key = *mallory.public_key();
        assert_eq!(
            impersonated
                .accept(
                    &bob.identity,
                    &bob.signed_prekey,
                    Some(&bob.one_time_prekey)
                )
                .unwrap_err(),
            CryptoError::MacMismatch
        );
        let mut bad_flag = wire.clone();
        bad_flag[71] = 7;
        assert!(PreKeyMessage::from_bytes(&bad_flag).is_err());
        assert!(PreKeyMessage::from_bytes(&wire[..PREFIX_LEN]).is_err());
        assert_eq!(
            Ciphertext::parse(&[0x33]).unwrap_err(),
            CryptoError::UnsupportedMessageVersion(0x33)
        );
    }
}
