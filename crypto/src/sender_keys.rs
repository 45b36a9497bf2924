//! Sender keys: group messages encrypted once for all members, in libsignal's format.
//!
//! Each member device has an [`OutboundSenderKey`] per group conversation: a [`DistributionId`]
//! (a UUID naming the conversation's sender chains), a random 31-bit chain id, a random chain key
//! and a signing key pair. It sends its [`SenderKeyDistribution`] to every other member device
//! over their pairwise Double Ratchet sessions; they keep it as an [`InboundSenderKey`]. A group
//! message is encrypted under the next key of the sender's chain and signed (XEdDSA) with the
//! signing key, so members can read it but only the sender can have written it. When a member
//! leaves or is removed, every remaining sender generates a new chain (new chain id, chain key and
//! signing key) and distributes it again, so the departed member cannot read what follows.
//!
//! - Chain step: message key seed = HMAC-SHA256(CK, 0x01), next CK = HMAC-SHA256(CK, 0x02).
//! - Message keys: HKDF-SHA256(salt zero, IKM = seed, info `WhisperGroup`, 48 bytes) →
//!   IV (16) ‖ AES-256 key (32); AES-256-CBC with PKCS#7.
//! - A receiver verifies the signature before any chain work, jumps at most
//!   [`MAX_FORWARD_JUMPS`] iterations ahead and keeps at most [`MAX_MESSAGE_KEYS`] keys for late
//!   messages; a key is used once, so duplicates fail. A failed decryption changes nothing.
//!
//! # Wire formats (libsignal's, sender key version 3)
//!
//! Both start with the version byte `(3 << 4) | 3` = `0x33`, followed by a protobuf message:
//!
//! ```text
//! SenderKeyDistributionMessage          SenderKeyMessage
//!   1 distribution_uuid  bytes (16)       1 distribution_uuid  bytes (16)
//!   2 chain_id           uint32           2 chain_id           uint32
//!   3 iteration          uint32           3 iteration          uint32
//!   4 chain_key          bytes (32)       4 ciphertext         bytes (16·k)
//!   5 signing_key        bytes (33: 0x05 ‖ key)
//!
//! distribution: 0x33 ‖ protobuf
//! message:      0x33 ‖ protobuf ‖ XEdDSA signature (64) over every preceding byte
//! ```
//!
//! The encoder writes every field, in field-number order, with minimal varints (as libsignal
//! does, so encodings are byte-identical). The decoder is strict: the version byte must be exactly
//! `0x33` (libsignal checks only the high nibble but never writes another), every field must be
//! present exactly once with its declared wire type and size, `uint32` values must fit 32 bits,
//! varints must be minimal, and lengths must stay inside the input. Unknown fields are skipped, as
//! protobuf prescribes, if their wire type is varint, 64-bit, length-delimited or 32-bit; groups
//! and undefined wire types are refused. The message signature covers the bytes as received, so a
//! message carrying unknown fields still verifies.
//!
//! # Chains per sender
//!
//! An [`InboundSenderKey`] holds one chain. libsignal keeps up to five per sender and
//! distribution; callers that want to read in-flight messages of a replaced chain keep several.
//! A caller must not replace a stored key by a distribution of the same chain
//! ([`InboundSenderKey::matches`]): that would rewind the chain and let old messages replay.

use std::collections::VecDeque;

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CryptoError, Result};
use crate::kdf::{self, SecretKey};
use crate::keys::{ENCODED_KEY_LEN, KeyPair, PublicKey, SIGNATURE_LEN};
use crate::xeddsa;

/// Most iterations a receiver advances its chain for one message.
pub const MAX_FORWARD_JUMPS: u32 = 25_000;
/// Most message keys a receiver keeps for messages that arrive late.
pub const MAX_MESSAGE_KEYS: usize = 2000;
/// libsignal's sender key message version.
pub const SENDER_KEY_VERSION: u8 = 3;
/// First byte of both wire formats: the message version in the high nibble, the current version
/// in the low one (both 3).
pub const SENDER_KEY_VERSION_BYTE: u8 = (SENDER_KEY_VERSION << 4) | SENDER_KEY_VERSION;
/// HKDF info of the group message keys.
pub const GROUP_INFO: &[u8] = b"WhisperGroup";

const BLOCK_LEN: usize = 16;
const CHAIN_KEY_LEN: usize = 32;

// Protobuf field numbers, shared by both messages up to 4.
const FIELD_DISTRIBUTION_ID: u32 = 1;
const FIELD_CHAIN_ID: u32 = 2;
const FIELD_ITERATION: u32 = 3;
/// `ciphertext` in a message, `chain_key` in a distribution.
const FIELD_PAYLOAD: u32 = 4;
const FIELD_SIGNING_KEY: u32 = 5;

/// Names one sender key family: in Chatalot, a UUID per group conversation (its 16 bytes in the
/// usual big-endian order), shared by the chains every member sends on in that conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DistributionId([u8; 16]);

impl DistributionId {
    /// Wraps the 16 bytes of a UUID.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl From<[u8; 16]> for DistributionId {
    fn from(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

/// A sender chain key at a given iteration.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ChainKey {
    iteration: u32,
    key: SecretKey,
}

impl ChainKey {
    /// This iteration's message key seed and the chain key of the next iteration.
    fn step(&self) -> Result<(SecretKey, ChainKey)> {
        let iteration = self
            .iteration
            .checked_add(1)
            .ok_or(CryptoError::CounterExhausted)?;
        let (next, message_key) = kdf::chain_step(&self.key)?;
        Ok((
            message_key,
            ChainKey {
                iteration,
                key: next,
            },
        ))
    }
}

/// IV and AES key from a message key seed.
fn cipher_keys(message_key: &SecretKey) -> Result<Zeroizing<[u8; 48]>> {
    let mut okm = Zeroizing::new([0u8; 48]);
    kdf::hkdf_sha256(&[0; 32], message_key.as_bytes(), GROUP_INFO, okm.as_mut())?;
    Ok(okm)
}

mod proto;

/// Checks the version byte and returns the rest.
fn strip_version(bytes: &[u8]) -> Result<&[u8]> {
    match bytes.split_first() {
        None => Err(CryptoError::MalformedMessage("empty")),
        Some((&SENDER_KEY_VERSION_BYTE, rest)) => Ok(rest),
        Some((&version, _)) => Err(CryptoError::UnsupportedMessageVersion(version)),
    }
}

/// What a sender hands each member (inside a pairwise session) so they can read its messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyDistribution {
    /// The sender key family (group conversation) this chain belongs to.
    pub distribution_id: DistributionId,
    /// Identifies the sender's chain; a new chain (after a member leaves) gets a new id.
    pub chain_id: u32,
    /// Iteration the chain key belongs to; members cannot read messages from before it.
    pub iteration: u32,
    /// The chain key at `iteration`.
    pub chain_key: SecretKey,
    /// Public key that verifies the sender's message signatures.
    pub signing_key: PublicKey,
}

impl SenderKeyDistribution {
    /// The wire bytes (secret: send only inside an encrypted session). Zeroized on drop; the
    /// buffer is sized up front so no reallocation leaves a copy behind.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let len = 1
            + proto::bytes_field_len(16)
            + proto::uint32_field_len(self.chain_id)
            + proto::uint32_field_len(self.iteration)
            + proto::bytes_field_len(CHAIN_KEY_LEN)
            + proto::bytes_field_len(ENCODED_KEY_LEN);
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.push(SENDER_KEY_VERSION_BYTE);
        proto::put_bytes(
            &mut out,
            FIELD_DISTRIBUTION_ID,
            self.distribution_id.as_bytes(),
        );
        proto::put_uint32(&mut out, FIELD_CHAIN_ID, self.chain_id);
        proto::put_uint32(&mut out, FIELD_ITERATION, self.iteration);
        proto::put_bytes(&mut out, FIELD_PAYLOAD, self.chain_key.as_bytes());
        proto::put_bytes(&mut out, FIELD_SIGNING_KEY, &self.signing_key.encode());
        debug_assert_eq!(out.len(), len);
        out
    }

    /// Parses wire bytes (see the module docs for what is refused).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        use proto::{WIRE_LEN, WIRE_VARINT};
        let body = strip_version(bytes)?;
        let fields = proto::Fields::decode(
            body,
            [WIRE_LEN, WIRE_VARINT, WIRE_VARINT, WIRE_LEN, WIRE_LEN],
        )?;
        let mut chain_key = fields.array::<CHAIN_KEY_LEN>(FIELD_PAYLOAD, "chain key")?;
        let secret = SecretKey::from_bytes(chain_key);
        chain_key.zeroize();
        Ok(Self {
            distribution_id: DistributionId(
                fields.array(FIELD_DISTRIBUTION_ID, "distribution id")?,
            ),
            chain_id: fields.uint32(FIELD_CHAIN_ID, "chain id")?,
            iteration: fields.uint32(FIELD_ITERATION, "iteration")?,
            chain_key: secret,
            signing_key: PublicKey::decode(fields.bytes(FIELD_SIGNING_KEY, "signing key")?)?,
        })
    }
}

/// One encrypted, signed group message, with the exact bytes it was parsed from (the signature
/// covers those bytes, not a re-encoding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyMessage {
    distribution_id: DistributionId,
    chain_id: u32,
    iteration: u32,
    ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SenderKeyMessage {
    /// The sender key family the message belongs to.
    pub fn distribution_id(&self) -> DistributionId {
        self.distribution_id
    }

    /// The sender's chain.
    pub fn chain_id(&self) -> u32 {
        self.chain_id
    }

    /// Position in the chain; selects the message key.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// The AES-256-CBC ciphertext.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.serialized
    }

    /// The wire bytes, copied.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.serialized.clone()
    }

    /// The bytes the signature covers and the signature.
    fn signed_parts(&self) -> Result<(&[u8], &[u8; SIGNATURE_LEN])> {
        let split = self
            .serialized
            .len()
            .checked_sub(SIGNATURE_LEN)
            .ok_or(CryptoError::MalformedMessage("too short"))?;
        let (signed, signature) = self.serialized.split_at(split);
        let signature = <&[u8; SIGNATURE_LEN]>::try_from(signature)
            .map_err(|_| CryptoError::MalformedMessage("signature"))?;
        Ok((signed, signature))
    }

    /// Encodes and signs a message.
    fn new(
        distribution_id: DistributionId,
        chain_id: u32,
        iteration: u32,
        ciphertext: Vec<u8>,
        signing: &KeyPair,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        let len = 1
            + proto::bytes_field_len(16)
            + proto::uint32_field_len(chain_id)
            + proto::uint32_field_len(iteration)
            + proto::bytes_field_len(ciphertext.len())
            + SIGNATURE_LEN;
        let mut serialized = Vec::with_capacity(len);
        serialized.push(SENDER_KEY_VERSION_BYTE);
        proto::put_bytes(
            &mut serialized,
            FIELD_DISTRIBUTION_ID,
            distribution_id.as_bytes(),
        );
        proto::put_uint32(&mut serialized, FIELD_CHAIN_ID, chain_id);
        proto::put_uint32(&mut serialized, FIELD_ITERATION, iteration);
        proto::put_bytes(&mut serialized, FIELD_PAYLOAD, &ciphertext);
        let signature = xeddsa::sign(signing.private_key(), &serialized, rng);
        serialized.extend_from_slice(&signature);
        Self {
            distribution_id,
            chain_id,
            iteration,
            ciphertext,
            serialized,
        }
    }

    /// Parses wire bytes; the signature is checked by [`InboundSenderKey::decrypt`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        use proto::{WIRE_LEN, WIRE_VARINT};
        let rest = strip_version(bytes)?;
        let body_len = rest
            .len()
            .checked_sub(SIGNATURE_LEN)
            .ok_or(CryptoError::MalformedMessage("too short"))?;
        let fields = proto::Fields::decode(
            &rest[..body_len],
            [WIRE_LEN, WIRE_VARINT, WIRE_VARINT, WIRE_LEN],
        )?;
        let ciphertext = fields.bytes(FIELD_PAYLOAD, "ciphertext")?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK_LEN) {
            return Err(CryptoError::MalformedMessage(
                "ciphertext is not a whole number of blocks",
            ));
        }
        Ok(Self {
            distribution_id: DistributionId(
                fields.array(FIELD_DISTRIBUTION_ID, "distribution id")?,
            ),
            chain_id: fields.uint32(FIELD_CHAIN_ID, "chain id")?,
            iteration: fields.uint32(FIELD_ITERATION, "iteration")?,
            ciphertext: ciphertext.to_vec(),
            serialized: bytes.to_vec(),
        })
    }
}

/// The sending side of a member's sender key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboundSenderKey {
    distribution_id: DistributionId,
    chain_id: u32,
    chain: ChainKey,
    signing: KeyPair,
}

impl OutboundSenderKey {
    /// A fresh chain in `distribution_id`: a random 31-bit chain id (libsignal keeps chain ids
    /// to 31 bits for Java clients), a random chain key and a new signing key pair.
    /// `distribution_id` is a [`DistributionId`] or the UUID's 16 bytes.
    pub fn generate(
        distribution_id: impl Into<DistributionId>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        let mut key = [0u8; CHAIN_KEY_LEN];
        rng.fill_bytes(&mut key);
        let chain_key = SecretKey::from_bytes(key);
        key.zeroize();
        Self::from_parts(
            distribution_id.into(),
            rng.next_u32() >> 1,
            chain_key,
            KeyPair::generate(rng),
        )
    }

    /// A chain at iteration 0 from given parts. For known-answer tests and for importing keys;
    /// new chains come from [`OutboundSenderKey::generate`].
    pub fn from_parts(
        distribution_id: DistributionId,
        chain_id: u32,
        chain_key: SecretKey,
        signing: KeyPair,
    ) -> Self {
        Self {
            distribution_id,
            chain_id,
            chain: ChainKey {
                iteration: 0,
                key: chain_key,
            },
            signing,
        }
    }

    /// The sender key family this chain belongs to.
    pub fn distribution_id(&self) -> DistributionId {
        self.distribution_id
    }

    /// This chain's id.
    pub fn chain_id(&self) -> u32 {
        self.chain_id
    }

    /// The iteration the next message will carry.
    pub fn iteration(&self) -> u32 {
        self.chain.iteration
    }

    /// The distribution for members joining now: they can read messages from here on.
    pub fn distribution(&self) -> SenderKeyDistribution {
        SenderKeyDistribution {
            distribution_id: self.distribution_id,
            chain_id: self.chain_id,
            iteration: self.chain.iteration,
            chain_key: self.chain.key.clone(),
            signing_key: *self.signing.public_key(),
        }
    }

    /// Encrypts and signs the next group message.
    pub fn encrypt(
        &mut self,
        plaintext: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<SenderKeyMessage> {
        let (message_key, next) = self.chain.step()?;
        let keys = cipher_keys(&message_key)?;
        let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(&keys[16..], &keys[..16])
            .map_err(|_| CryptoError::KeyDerivation)?
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
        let message = SenderKeyMessage::new(
            self.distribution_id,
            self.chain_id,
            self.chain.iteration,
            ciphertext,
            &self.signing,
            rng,
        );
        self.chain = next;
        Ok(message)
    }
}

/// A member's copy of another member's sender key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboundSenderKey {
    distribution_id: DistributionId,
    chain_id: u32,
    chain: ChainKey,
    signing_key: PublicKey,
    /// Keys of iterations passed over, oldest first.
    skipped: VecDeque<(u32, SecretKey)>,
}

impl InboundSenderKey {
    /// Stores a received distribution.
    pub fn from_distribution(distribution: &SenderKeyDistribution) -> Self {
        Self {
            distribution_id: distribution.distribution_id,
            chain_id: distribution.chain_id,
            chain: ChainKey {
                iteration: distribution.iteration,
                key: distribution.chain_key.clone(),
            },
            signing_key: distribution.signing_key,
            skipped: VecDeque::new(),
        }
    }

    /// The sender key family this chain belongs to.
    pub fn distribution_id(&self) -> DistributionId {
        self.distribution_id
    }

    /// The sender's chain id.
    pub fn chain_id(&self) -> u32 {
        self.chain_id
    }

    /// Whether `distribution` describes this same chain (distribution id, chain id and signing
    /// key). A caller keeps the stored key then: replacing it would rewind the chain.
    pub fn matches(&self, distribution: &SenderKeyDistribution) -> bool {
        self.distribution_id == distribution.distribution_id
            && self.chain_id == distribution.chain_id
            && self.signing_key == distribution.signing_key
    }

    /// Checks the chain, verifies the signature, then decrypts. On any error the key is exactly
    /// as before.
    pub fn decrypt(&mut self, message: &SenderKeyMessage) -> Result<Vec<u8>> {
        if message.distribution_id != self.distribution_id || message.chain_id != self.chain_id {
            return Err(CryptoError::UnknownSenderKeyChain);
        }
        // Checked before any chain work, so forged messages cannot make us skip keys.
        let (signed, signature) = message.signed_parts()?;
        if !xeddsa::verify(&self.signing_key, signed, signature) {
            return Err(CryptoError::InvalidMessageSignature);
        }
        let mut candidate = self.clone();
        let message_key = candidate.message_key(message.iteration)?;
        let keys = cipher_keys(&message_key)?;
        let plaintext = cbc::Decryptor::<Aes256>::new_from_slices(&keys[16..], &keys[..16])
            .map_err(|_| CryptoError::KeyDerivation)?
            .decrypt_padded_vec_mut::<Pkcs7>(&message.ciphertext)
            .map_err(|_| CryptoError::InvalidPadding)?;
        *self = candidate;
        Ok(plaintext)
    }

    /// How many keys for late messages are stored (for storage sizing and diagnostics).
    pub fn stored_key_count(&self) -> usize {
        self.skipped.len()
    }

    /// The message key for `iteration`, advancing the chain or taking a stored key.
    fn message_key(&mut self, iteration: u32) -> Result<SecretKey> {
        if iteration < self.chain.iteration {
            let index = self
                .skipped
                .iter()
                .position(|(stored, _)| *stored == iteration)
                .ok_or(CryptoError::DuplicateMessage)?;
            return self
                .skipped
                .remove(index)
                .map(|(_, key)| key)
                .ok_or(CryptoError::DuplicateMessage);
        }
        if iteration - self.chain.iteration > MAX_FORWARD_JUMPS {
            return Err(CryptoError::SenderKeyTooFarAhead);
        }
        while self.chain.iteration < iteration {
            let (message_key, next) = self.chain.step()?;
            self.skipped.push_back((self.chain.iteration, message_key));
            if self.skipped.len() > MAX_MESSAGE_KEYS {
                self.skipped.pop_front();
            }
            self.chain = next;
        }
        let (message_key, next) = self.chain.step()?;
        self.chain = next;
        Ok(message_key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;
    use crate::keys::PrivateKey;

    const GROUP: DistributionId = DistributionId::from_bytes([
        0xd1, 0xd1, 0xd1, 0xd1, 0x70, 0x00, 0x11, 0xeb, 0xb3, 0x2a, 0x33, 0xb8, 0xa8, 0xa4, 0x87,
        0xa6,
    ]);

    fn group() -> (OutboundSenderKey, InboundSenderKey) {
        let sender = OutboundSenderKey::generate(GROUP, &mut OsRng);
        let wire = sender.distribution().to_bytes();
        let receiver =
            InboundSenderKey::from_distribution(&SenderKeyDistribution::from_bytes(&wire).unwrap());
        (sender, receiver)
    }

    fn snapshot(key: &InboundSenderKey) -> Vec<u8> {
        crate::state::encode(key).unwrap().to_vec()
    }

    /// Wire bytes made of `version ‖ body`, signed by `signing`.
    fn signed(body: &[u8], signing: &KeyPair) -> Vec<u8> {
        let mut bytes = vec![SENDER_KEY_VERSION_BYTE];
        bytes.extend_from_slice(body);
        let signature = xeddsa::sign(signing.private_key(), &bytes, &mut OsRng);
        bytes.extend_from_slice(&signature);
        bytes
    }

    /// A message body with the given fields, in the given order.
    fn body(fields: &[(u32, proto::Value<'_>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (number, value) in fields {
            match value {
                proto::Value::Varint(v) => proto::put_varint_field(&mut out, *number, *v),
                proto::Value::Bytes(b) => proto::put_bytes(&mut out, *number, b),
                proto::Value::Fixed => unreachable!(),
            }
        }
        out
    }

    /// Decrypting `bad` fails with `expected` and leaves the receiver byte-for-byte unchanged.
    fn rejects(receiver: &mut InboundSenderKey, bad: &SenderKeyMessage, expected: CryptoError) {
        let before = snapshot(receiver);
        assert_eq!(receiver.decrypt(bad).unwrap_err(), expected);
        assert_eq!(snapshot(receiver), before);
    }

    #[test]
    fn round_trip_in_order_and_out_of_order() {
        let (mut sender, mut receiver) = group();
        let messages: Vec<_> = (0..5u8)
            .map(|i| sender.encrypt(&[i; 3], &mut OsRng).unwrap())
            .collect();
        for index in [0, 3, 1, 4, 2] {
            let parsed = SenderKeyMessage::from_bytes(messages[index].as_bytes()).unwrap();
            assert_eq!(parsed, messages[index]);
            assert_eq!(parsed.iteration(), index as u32);
            assert_eq!(receiver.decrypt(&parsed).unwrap(), [index as u8; 3]);
        }
        assert_eq!(receiver.stored_key_count(), 0);
    }

    #[test]
    fn duplicates_are_rejected_without_state_change() {
        let (mut sender, mut receiver) = group();
        let first = sender.encrypt(b"a", &mut OsRng).unwrap();
        let second = sender.encrypt(b"b", &mut OsRng).unwrap();
        let third = sender.encrypt(b"c", &mut OsRng).unwrap();
        receiver.decrypt(&first).unwrap();
        receiver.decrypt(&third).unwrap();
        for replay in [&first, &third] {
            rejects(&mut receiver, replay, CryptoError::DuplicateMessage);
        }
        assert_eq!(receiver.decrypt(&second).unwrap(), b"b");
        rejects(&mut receiver, &second, CryptoError::DuplicateMessage);
    }

    #[test]
    fn forged_or_tampered_messages_fail_signature_first() {
        let (mut sender, mut receiver) = group();
        let genuine = sender.encrypt(b"genuine", &mut OsRng).unwrap();
        let wire = genuine.as_bytes();
        let mut tampered = wire.to_vec();
        let ciphertext_at = wire.len() - SIGNATURE_LEN - 1;
        tampered[ciphertext_at] ^= 1;
        let mut bad_signature = wire.to_vec();
        bad_signature[wire.len() - 1] ^= 0x01;
        // The same body re-stating a far iteration, with the genuine signature.
        let jumped = {
            let mut bytes = vec![SENDER_KEY_VERSION_BYTE];
            bytes.extend_from_slice(&body(&[
                (1, proto::Value::Bytes(GROUP.as_bytes())),
                (2, proto::Value::Varint(sender.chain_id.into())),
                (3, proto::Value::Varint(20_000)),
                (4, proto::Value::Bytes(genuine.ciphertext())),
            ]));
            bytes.extend_from_slice(&wire[wire.len() - SIGNATURE_LEN..]);
            bytes
        };
        // Someone holding the distribution but not the signing key.
        let mut impostor = sender.clone();
        impostor.signing = KeyPair::generate(&mut OsRng);
        let forged = impostor.encrypt(b"forged", &mut OsRng).unwrap();
        for bad in [&tampered, &bad_signature, &jumped, &forged.to_bytes()] {
            let bad = SenderKeyMessage::from_bytes(bad).unwrap();
            rejects(&mut receiver, &bad, CryptoError::InvalidMessageSignature);
        }
        assert_eq!(receiver.decrypt(&genuine).unwrap(), b"genuine");
    }

    #[test]
    fn forward_jump_limit_is_exact() {
        let (sender, receiver) = group();
        let mut far = sender.clone();
        for _ in 0..MAX_FORWARD_JUMPS {
            far.chain = far.chain.step().unwrap().1;
        }
        let at_limit = far.encrypt(b"at the limit", &mut OsRng).unwrap();
        let past_limit = far.encrypt(b"past the limit", &mut OsRng).unwrap();
        assert_eq!(at_limit.iteration(), MAX_FORWARD_JUMPS);

        let mut fresh = receiver.clone();
        rejects(&mut fresh, &past_limit, CryptoError::SenderKeyTooFarAhead);
        assert_eq!(fresh.decrypt(&at_limit).unwrap(), b"at the limit");
        assert_eq!(fresh.stored_key_count(), MAX_MESSAGE_KEYS);
        // From the new position the next message is one step away.
        assert_eq!(fresh.decrypt(&past_limit).unwrap(), b"past the limit");
    }

    #[test]
    fn unknown_chains_are_rejected() {
        let (sender, mut receiver) = group();
        // Genuinely signed with the right keys, but naming another chain or another group.
        let mut other_chain = sender.clone();
        other_chain.chain_id ^= 1;
        let mut other_group = sender.clone();
        other_group.distribution_id = DistributionId::from_bytes([7; 16]);
        let stranger = OutboundSenderKey::generate(GROUP, &mut OsRng);
        for mut other in [other_chain, other_group, stranger] {
            let message = other.encrypt(b"x", &mut OsRng).unwrap();
            rejects(&mut receiver, &message, CryptoError::UnknownSenderKeyChain);
        }
    }

    #[test]
    fn failed_decryption_changes_no_state() {
        let (mut sender, mut receiver) = group();
        // Correctly signed, but the ciphertext does not decrypt to valid padding.
        let garbage = signed(
            &body(&[
                (1, proto::Value::Bytes(GROUP.as_bytes())),
                (2, proto::Value::Varint(sender.chain_id.into())),
                (3, proto::Value::Varint(3)),
                (4, proto::Value::Bytes(&[0x5a; 32])),
            ]),
            &sender.signing,
        );
        let garbage = SenderKeyMessage::from_bytes(&garbage).unwrap();
        rejects(&mut receiver, &garbage, CryptoError::InvalidPadding);
        for i in 0..5u8 {
            let message = sender.encrypt(&[i], &mut OsRng).unwrap();
            assert_eq!(receiver.decrypt(&message).unwrap(), [i]);
        }
    }

    #[test]
    fn late_joiner_cannot_read_earlier_messages() {
        let mut sender = OutboundSenderKey::generate(GROUP, &mut OsRng);
        let early = sender.encrypt(b"before you joined", &mut OsRng).unwrap();
        let mut late = InboundSenderKey::from_distribution(&sender.distribution());
        rejects(&mut late, &early, CryptoError::DuplicateMessage);
        let now = sender.encrypt(b"welcome", &mut OsRng).unwrap();
        assert_eq!(late.decrypt(&now).unwrap(), b"welcome");
    }

    #[test]
    fn rotation_makes_a_new_chain() {
        let (mut sender, receiver) = group();
        sender.encrypt(b"old", &mut OsRng).unwrap();
        let rotated = OutboundSenderKey::generate(GROUP, &mut OsRng);
        assert!(receiver.matches(&sender.distribution()));
        assert!(!receiver.matches(&rotated.distribution()));
        assert!(rotated.chain_id() < 1 << 31);
        assert_eq!(rotated.iteration(), 0);
    }

    #[test]
    fn message_keys_follow_libsignal_derivation() {
        let seed = SecretKey::from_bytes([1; 32]);
        let okm = cipher_keys(&seed).unwrap();
        let mut expected = [0u8; 48];
        hkdf::Hkdf::<sha2::Sha256>::new(None, &[1; 32])
            .expand(b"WhisperGroup", &mut expected)
            .unwrap();
        assert_eq!(*okm, expected);
    }

    /// The layouts, spelled out byte by byte.
    #[test]
    fn wire_layouts_are_libsignals() {
        let signing = KeyPair::from_private(PrivateKey::from_bytes([0x40; 32]));
        let mut sender = OutboundSenderKey::from_parts(
            GROUP,
            300,
            SecretKey::from_bytes([2; 32]),
            signing.clone(),
        );
        let mut expected = vec![0x33, 0x0a, 0x10];
        expected.extend_from_slice(GROUP.as_bytes());
        expected.extend_from_slice(&[0x10, 0xac, 0x02, 0x18, 0x00, 0x22, 0x20]);
        expected.extend_from_slice(&[2; 32]);
        expected.extend_from_slice(&[0x2a, 0x21]);
        expected.extend_from_slice(&signing.public_key().encode());
        assert_eq!(*sender.distribution().to_bytes(), expected);

        let message = sender.encrypt(b"hello", &mut OsRng).unwrap();
        let mut expected = vec![0x33, 0x0a, 0x10];
        expected.extend_from_slice(GROUP.as_bytes());
        expected.extend_from_slice(&[0x10, 0xac, 0x02, 0x18, 0x00, 0x22, 0x10]);
        expected.extend_from_slice(message.ciphertext());
        let (signed, signature) = message.signed_parts().unwrap();
        assert_eq!(signed, expected);
        assert!(xeddsa::verify(signing.public_key(), signed, signature));
        assert_eq!(message.as_bytes().len(), expected.len() + SIGNATURE_LEN);
    }

    #[test]
    fn distribution_round_trips_and_zero_iteration_is_present() {
        let (mut sender, _) = group();
        for _ in 0..200 {
            sender.encrypt(b"", &mut OsRng).unwrap();
        }
        let distribution = sender.distribution();
        let parsed = SenderKeyDistribution::from_bytes(&distribution.to_bytes()).unwrap();
        assert_eq!(parsed, distribution);
        assert_eq!(parsed.iteration, 200);
    }

    #[test]
    fn unknown_fields_are_skipped_and_covered_by_the_signature() {
        let (sender, mut receiver) = group();
        let mut reference = sender.clone();
        let genuine = reference.encrypt(b"with extras", &mut OsRng).unwrap();
        // Fields in another order, plus unknown varint, bytes, fixed64 and fixed32 fields.
        let mut extended = body(&[
            (4, proto::Value::Bytes(genuine.ciphertext())),
            (3, proto::Value::Varint(0)),
            (9, proto::Value::Varint(1 << 40)),
            (1, proto::Value::Bytes(GROUP.as_bytes())),
            (15, proto::Value::Bytes(b"future")),
            (2, proto::Value::Varint(sender.chain_id.into())),
        ]);
        extended.extend_from_slice(&[(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
        extended.extend_from_slice(&[(11 << 3) | 5, 1, 2, 3, 4]);
        let message = SenderKeyMessage::from_bytes(&signed(&extended, &sender.signing)).unwrap();
        assert_eq!(message.ciphertext(), genuine.ciphertext());
        assert_eq!(receiver.decrypt(&message).unwrap(), b"with extras");

        let mut distribution = sender.distribution().to_bytes().to_vec();
        distribution.extend_from_slice(&[(6 << 3) | 2, 0]);
        assert_eq!(
            SenderKeyDistribution::from_bytes(&distribution).unwrap(),
            sender.distribution()
        );
    }

    #[test]
    fn distribution_parsing_is_strict() {
        let (sender, _) = group();
        let wire = sender.distribution().to_bytes().to_vec();
        let distribution = sender.distribution();
        let malformed = |bytes: &[u8]| {
            assert!(
                matches!(
                    SenderKeyDistribution::from_bytes(bytes),
                    Err(CryptoError::MalformedMessage(_) | CryptoError::InvalidPublicKeyEncoding)
                ),
                "accepted {bytes:02x?}"
            );
        };
        for cut in 1..wire.len() {
            malformed(&wire[..cut]);
        }
        assert_eq!(
            SenderKeyDistribution::from_bytes(&[]).unwrap_err(),
            CryptoError::MalformedMessage("empty")
        );
        for version in [0x01, 0x23, 0x34, 0x43, 0x32] {
            let mut wrong = wire.clone();
            wrong[0] = version;
            assert_eq!(
                SenderKeyDistribution::from_bytes(&wrong).unwrap_err(),
                CryptoError::UnsupportedMessageVersion(version)
            );
        }
        let id = distribution.distribution_id.as_bytes();
        let chain_key = distribution.chain_key.as_bytes();
        let signing = distribution.signing_key.encode();
        let encode = |fields: &[(u32, proto::Value<'_>)]| {
            let mut bytes = vec![SENDER_KEY_VERSION_BYTE];
            bytes.extend_from_slice(&body(fields));
            bytes
        };
        let all = [
            (1, proto::Value::Bytes(id)),
            (2, proto::Value::Varint(distribution.chain_id.into())),
            (3, proto::Value::Varint(0)),
            (4, proto::Value::Bytes(chain_key)),
            (5, proto::Value::Bytes(&signing)),
        ];
        assert_eq!(encode(&all), wire);
        // Each field missing, and each field repeated.
        for skip in 0..all.len() {
            let fewer: Vec<_> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, f)| *f)
                .collect();
            malformed(&encode(&fewer));
            let mut more = all.to_vec();
            more.push(all[skip]);
            malformed(&encode(&more));
        }
        // Wrong sizes and wrong wire types.
        for (index, value) in [
            (0, proto::Value::Bytes(&id[..15])),
            (3, proto::Value::Bytes(&chain_key[..31])),
            (4, proto::Value::Bytes(&signing[1..])),
            (4, proto::Value::Bytes(&[0; 33])),
            (1, proto::Value::Bytes(&[1])),
            (0, proto::Value::Varint(1)),
        ] {
            let mut changed = all.to_vec();
            changed[index].1 = value;
            malformed(&encode(&changed));
        }
        // Hand-made encodings: uint32 overflow, non-minimal varint, over-long varint, huge
        // length, group and undefined wire types, field number 0.
        let prefix = encode(&all[..1]);
        let suffix = body(&all[2..]);
        for middle in [
            &[0x10, 0x80, 0x80, 0x80, 0x80, 0x10][..],
            &[0x10, 0x81, 0x00],
            &[
                0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
            &[
                0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ],
            &[0x10, 0x01, 0x32, 0xff, 0xff, 0xff, 0xff, 0x0f],
            &[0x10, 0x01, 0x33, 0x34],
            &[0x10, 0x01, 0x36, 0x00],
            &[0x10, 0x01, 0x02, 0x00],
        ] {
            let mut bytes = prefix.clone();
            bytes.extend_from_slice(middle);
            bytes.extend_from_slice(&suffix);
            malformed(&bytes);
        }
    }

    #[test]
    fn message_parsing_is_strict() {
        let (mut sender, _) = group();
        let wire = sender.encrypt(b"m", &mut OsRng).unwrap().to_bytes();
        for cut in 0..wire.len() {
            assert!(SenderKeyMessage::from_bytes(&wire[..cut]).is_err());
        }
        let mut wrong = wire.clone();
        wrong[0] = 0x44;
        assert_eq!(
            SenderKeyMessage::from_bytes(&wrong).unwrap_err(),
            CryptoError::UnsupportedMessageVersion(0x44)
        );
        for ciphertext in [&[][..], &[0; 15], &[0; 17]] {
            let bytes = signed(
                &body(&[
                    (1, proto::Value::Bytes(GROUP.as_bytes())),
                    (2, proto::Value::Varint(1)),
                    (3, proto::Value::Varint(1)),
                    (4, proto::Value::Bytes(ciphertext)),
                ]),
                &sender.signing,
            );
            assert!(matches!(
                SenderKeyMessage::from_bytes(&bytes),
                Err(CryptoError::MalformedMessage(_))
            ));
        }
    }

    #[test]
    fn state_round_trips_mid_conversation() {
        let (mut sender, mut receiver) = group();
        let messages: Vec<_> = (0..4u8)
            .map(|i| sender.encrypt(&[i], &mut OsRng).unwrap())
            .collect();
        receiver.decrypt(&messages[2]).unwrap();
        let sender_bytes = crate::state::encode(&sender).unwrap();
        let receiver_bytes = crate::state::encode(&receiver).unwrap();
        let mut sender: OutboundSenderKey = crate::state::decode(&sender_bytes).unwrap();
        let mut receiver: InboundSenderKey = crate::state::decode(&receiver_bytes).unwrap();
        assert_eq!(receiver.distribution_id(), GROUP);
        assert_eq!(sender.distribution_id(), GROUP);
        assert_eq!(receiver.chain_id(), sender.chain_id());
        assert_eq!(receiver.stored_key_count(), 2);
        assert_eq!(receiver.decrypt(&messages[0]).unwrap(), [0]);
        rejects(&mut receiver, &messages[2], CryptoError::DuplicateMessage);
        let next = sender.encrypt(b"after reload", &mut OsRng).unwrap();
        assert_eq!(next.iteration(), 4);
        assert_eq!(receiver.decrypt(&next).unwrap(), b"after reload");
    }
}
