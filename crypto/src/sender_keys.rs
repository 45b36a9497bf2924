//! Sender keys: group messages encrypted once for all members (libsignal's construction).
//!
//! Each member has an [`OutboundSenderKey`]: a random chain key and a signing key pair. It sends
//! its [`SenderKeyDistribution`] to every other member over their pairwise Double Ratchet
//! sessions; they keep it as an [`InboundSenderKey`]. A group message is encrypted under the
//! next key of the sender's chain and signed (XEdDSA) with the signing key, so members can read
//! it but only the sender can have written it.
//!
//! - Chain step: message key seed = HMAC-SHA256(CK, 0x01), next CK = HMAC-SHA256(CK, 0x02).
//! - Message keys: HKDF-SHA256(salt zero, IKM = seed, info `WhisperGroup`, 48 bytes) →
//!   IV (16) ‖ AES-256 key (32); AES-256-CBC with PKCS#7.
//! - A receiver jumps at most [`MAX_FORWARD_JUMPS`] iterations ahead and keeps at most
//!   [`MAX_MESSAGE_KEYS`] keys for late messages; a key is used once, so duplicates fail.
//!
//! # Wire formats (version 1)
//!
//! ```text
//! distribution: version(1) ‖ chain id (u32 BE) ‖ iteration (u32 BE) ‖ chain key (32) ‖ Encode(signing key) (33)
//! message:      version(1) ‖ chain id (u32 BE) ‖ iteration (u32 BE) ‖ ciphertext (16·k) ‖ signature (64)
//! ```
//!
//! The message signature covers every byte before it. These layouts carry the same fields as
//! libsignal's protobuf messages but are not byte-compatible with them.

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
/// Version byte of both wire formats.
pub const SENDER_KEY_VERSION: u8 = 1;
/// HKDF info of the group message keys.
pub const GROUP_INFO: &[u8] = b"WhisperGroup";

const COUNTERS_LEN: usize = 1 + 4 + 4;
const DISTRIBUTION_LEN: usize = COUNTERS_LEN + 32 + ENCODED_KEY_LEN;
const BLOCK_LEN: usize = 16;

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

fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    bytes
        .get(at..at + 4)
        .and_then(|slice| <[u8; 4]>::try_from(slice).ok())
        .map(u32::from_be_bytes)
        .ok_or(CryptoError::MalformedMessage("truncated counter"))
}

/// What a sender hands each member (inside a pairwise session) so they can read its messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyDistribution {
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
    /// The wire bytes (secret: send only inside an encrypted session).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(DISTRIBUTION_LEN));
        out.push(SENDER_KEY_VERSION);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.iteration.to_be_bytes());
        out.extend_from_slice(self.chain_key.as_bytes());
        out.extend_from_slice(&self.signing_key.encode());
        out
    }

    /// Parses wire bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (&version, _) = bytes
            .split_first()
            .ok_or(CryptoError::MalformedMessage("empty"))?;
        if version != SENDER_KEY_VERSION {
            return Err(CryptoError::UnsupportedMessageVersion(version));
        }
        if bytes.len() != DISTRIBUTION_LEN {
            return Err(CryptoError::MalformedMessage(
                "sender key distribution length",
            ));
        }
        let chain_key = <[u8; 32]>::try_from(&bytes[COUNTERS_LEN..COUNTERS_LEN + 32])
            .map_err(|_| CryptoError::MalformedMessage("chain key"))?;
        Ok(Self {
            chain_id: read_u32(bytes, 1)?,
            iteration: read_u32(bytes, 5)?,
            chain_key: SecretKey::from_bytes(chain_key),
            signing_key: PublicKey::decode(&bytes[COUNTERS_LEN + 32..])?,
        })
    }
}

/// One encrypted, signed group message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyMessage {
    /// The sender's chain.
    pub chain_id: u32,
    /// Position in the chain; selects the message key.
    pub iteration: u32,
    /// AES-256-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    /// XEdDSA signature over every preceding wire byte.
    pub signature: [u8; SIGNATURE_LEN],
}

impl SenderKeyMessage {
    /// The bytes the signature covers.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(COUNTERS_LEN + self.ciphertext.len() + SIGNATURE_LEN);
        out.push(SENDER_KEY_VERSION);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.iteration.to_be_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// The wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses wire bytes; the signature is checked by [`InboundSenderKey::decrypt`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (&version, _) = bytes
            .split_first()
            .ok_or(CryptoError::MalformedMessage("empty"))?;
        if version != SENDER_KEY_VERSION {
            return Err(CryptoError::UnsupportedMessageVersion(version));
        }
        if bytes.len() < COUNTERS_LEN + BLOCK_LEN + SIGNATURE_LEN {
            return Err(CryptoError::MalformedMessage("too short"));
        }
        let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let ciphertext = &body[COUNTERS_LEN..];
        if ciphertext.len() % BLOCK_LEN != 0 {
            return Err(CryptoError::MalformedMessage(
                "ciphertext is not a whole number of blocks",
            ));
        }
        Ok(Self {
            chain_id: read_u32(body, 1)?,
            iteration: read_u32(body, 5)?,
            ciphertext: ciphertext.to_vec(),
            signature: <[u8; SIGNATURE_LEN]>::try_from(signature)
                .map_err(|_| CryptoError::MalformedMessage("signature"))?,
        })
    }
}

/// The sending side of a member's sender key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboundSenderKey {
    chain_id: u32,
    chain: ChainKey,
    signing: KeyPair,
}

impl OutboundSenderKey {
    /// A fresh chain with a random id, random chain key and a new signing key pair.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        let chain = ChainKey {
            iteration: 0,
            key: SecretKey::from_bytes(key),
        };
        key.zeroize();
        Self {
            chain_id: rng.next_u32(),
            chain,
            signing: KeyPair::generate(rng),
        }
    }

    /// The distribution for members joining now: they can read messages from here on.
    pub fn distribution(&self) -> SenderKeyDistribution {
        SenderKeyDistribution {
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
        let mut message = SenderKeyMessage {
            chain_id: self.chain_id,
            iteration: self.chain.iteration,
            ciphertext,
            signature: [0; 64],
        };
        message.signature = xeddsa::sign(self.signing.private_key(), &message.signed_bytes(), rng);
        self.chain = next;
        Ok(message)
    }
}

/// A member's copy of another member's sender key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboundSenderKey {
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
            chain_id: distribution.chain_id,
            chain: ChainKey {
                iteration: distribution.iteration,
                key: distribution.chain_key.clone(),
            },
            signing_key: distribution.signing_key,
            skipped: VecDeque::new(),
        }
    }

    /// Verifies the signature, then decrypts. On any error the key is exactly as before.
    pub fn decrypt(&mut self, message: &SenderKeyMessage) -> Result<Vec<u8>> {
        if message.chain_id != self.chain_id {
            return Err(CryptoError::UnknownSenderKeyChain);
        }
        // Checked before any chain work, so forged messages cannot make us skip keys.
        if !xeddsa::verify(
            &self.signing_key,
            &message.signed_bytes(),
            &message.signature,
        ) {
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

    use rand_core::OsRng;

    use super::*;

    fn group() -> (OutboundSenderKey, InboundSenderKey) {
        let sender = OutboundSenderKey::generate(&mut OsRng);
        let wire = sender.distribution().to_bytes();
        let receiver =
            InboundSenderKey::from_distribution(&SenderKeyDistribution::from_bytes(&wire).unwrap());
        (sender, receiver)
    }

    fn snapshot(key: &InboundSenderKey) -> Vec<u8> {
        crate::state::encode(key).unwrap().to_vec()
    }

    #[test]
    fn round_trip_in_order_and_out_of_order() {
        let (mut sender, mut receiver) = group();
        let messages: Vec<_> = (0..5u8)
            .map(|i| sender.encrypt(&[i; 3], &mut OsRng).unwrap())
            .collect();
        for index in [0, 3, 1, 4, 2] {
            let wire = messages[index].to_bytes();
            let parsed = SenderKeyMessage::from_bytes(&wire).unwrap();
            assert_eq!(receiver.decrypt(&parsed).unwrap(), [index as u8; 3]);
        }
    }

    #[test]
    fn duplicates_are_rejected_without_state_change() {
        let (mut sender, mut receiver) = group();
        let first = sender.encrypt(b"a", &mut OsRng).unwrap();
        let third = {
            sender.encrypt(b"b", &mut OsRng).unwrap();
            sender.encrypt(b"c", &mut OsRng).unwrap()
        };
        receiver.decrypt(&first).unwrap();
        receiver.decrypt(&third).unwrap();
        for replay in [&first, &third] {
            let before = snapshot(&receiver);
            assert_eq!(
                receiver.decrypt(replay).unwrap_err(),
                CryptoError::DuplicateMessage
            );
            assert_eq!(snapshot(&receiver), before);
        }
    }

    #[test]
    fn forged_or_tampered_messages_fail_signature_first() {
        let (mut sender, mut receiver) = group();
        let genuine = sender.encrypt(b"genuine", &mut OsRng).unwrap();
        let mut tampered = genuine.clone();
        tampered.ciphertext[0] ^= 1;
        let mut jumped = genuine.clone();
        jumped.iteration = 20_000;
        // Someone holding the distribution but not the signing key.
        let mut impostor = sender.clone();
        impostor.signing = KeyPair::generate(&mut OsRng);
        let forged = impostor.encrypt(b"forged", &mut OsRng).unwrap();
        for bad in [&tampered, &jumped, &forged] {
            let before = snapshot(&receiver);
            assert_eq!(
                receiver.decrypt(bad).unwrap_err(),
                CryptoError::InvalidMessageSignature
            );
            assert_eq!(snapshot(&receiver), before);
        }
        assert_eq!(receiver.decrypt(&genuine).unwrap(), b"genuine");
    }

    #[test]
    fn jump_limit_and_unknown_chain() {
        let (mut sender, mut receiver) = group();
        // Advance the sender past the limit without building thousands of messages.
        sender.chain = ChainKey {
            iteration: 0,
            key: sender.chain.key.clone(),
        };
        let mut far = sender.clone();
        for _ in 0..=MAX_FORWARD_JUMPS {
            far.chain = far.chain.step().unwrap().1;
        }
        let too_far = far.encrypt(b"far", &mut OsRng).unwrap();
        assert_eq!(
            receiver.decrypt(&too_far).unwrap_err(),
            CryptoError::SenderKeyTooFarAhead
        );

        let other = OutboundSenderKey::generate(&mut OsRng)
            .encrypt(b"x", &mut OsRng)
            .unwrap();
        assert_eq!(
            receiver.decrypt(&other).unwrap_err(),
            CryptoError::UnknownSenderKeyChain
        );

        let near = sender.encrypt(b"near", &mut OsRng).unwrap();
        assert_eq!(receiver.decrypt(&near).unwrap(), b"near");
    }

    #[test]
    fn late_joiner_cannot_read_earlier_messages() {
        let mut sender = OutboundSenderKey::generate(&mut OsRng);
        let early = sender.encrypt(b"before you joined", &mut OsRng).unwrap();
        let mut late = InboundSenderKey::from_distribution(&sender.distribution());
        assert_eq!(
            late.decrypt(&early).unwrap_err(),
            CryptoError::DuplicateMessage
        );
        let now = sender.encrypt(b"welcome", &mut OsRng).unwrap();
        assert_eq!(late.decrypt(&now).unwrap(), b"welcome");
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

    #[test]
    fn wire_parsing_rejects_bad_input() {
        let (mut sender, _) = group();
        let wire = sender.distribution().to_bytes();
        assert!(SenderKeyDistribution::from_bytes(&wire[..wire.len() - 1]).is_err());
        let mut wrong_version = wire.to_vec();
        wrong_version[0] = 9;
        assert_eq!(
            SenderKeyDistribution::from_bytes(&wrong_version).unwrap_err(),
            CryptoError::UnsupportedMessageVersion(9)
        );
        let message = sender.encrypt(b"m", &mut OsRng).unwrap().to_bytes();
        assert!(SenderKeyMessage::from_bytes(&message[..message.len() - 1]).is_err());
        assert!(SenderKeyMessage::from_bytes(&[]).is_err());
    }
}
