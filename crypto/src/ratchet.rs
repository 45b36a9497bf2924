//! The Double Ratchet (Signal specification, revision 1) over the keys X3DH agreed.
//!
//! A [`Session`] holds one side of a conversation. Every message advances a symmetric chain
//! (fresh message key, old one forgotten: forward secrecy), and each change of speaker advances
//! the Diffie-Hellman ratchet (fresh X25519 key pair mixed into the root key: break-in recovery).
//!
//! One timing difference from the specification's pseudocode, invisible on the wire: the spec
//! generates the next sending key pair inside `RatchetDecrypt`; here it is generated on the next
//! [`Session::encrypt`], which is where the randomness is available. The root-chain inputs are
//! the same in the same order, so both peers derive exactly what the spec derives.
//!
//! Failure leaves the session untouched: [`Session::decrypt`] works on a copy and commits it only
//! after the MAC checked out, so a forged, replayed or corrupt message cannot advance a chain,
//! burn a skipped key or desynchronise the peers.

use std::collections::VecDeque;

use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::error::{CryptoError, Result};
use crate::kdf::{self, SecretKey};
use crate::keys::{KeyPair, PublicKey};
use crate::message::{self, Header, Message};
use crate::x3dh::SharedSecret;

/// Most message keys one receiving chain may skip over for one incoming message. Bounds the work
/// a forged header can cause and how far a peer can run ahead.
pub const MAX_SKIP: u32 = 1000;
/// Most skipped message keys kept across all chains; the oldest are dropped beyond this.
pub const MAX_SKIPPED_KEYS: usize = 2000;

/// A message key kept for a message that has not arrived yet.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SkippedKey {
    ratchet_key: PublicKey,
    message_number: u32,
    message_key: SecretKey,
}

/// One side of a Double Ratchet conversation. Secrets are zeroized when it drops; store it with
/// [`crate::state`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    /// X3DH associated data; every header is appended to it under the MAC.
    associated_data: Vec<u8>,
    /// DHs: our current ratchet key pair.
    self_ratchet: KeyPair,
    /// DHr: the peer's current ratchet public key, once known.
    remote_ratchet: Option<PublicKey>,
    /// RK.
    root_key: SecretKey,
    /// CKs; `None` before the first send and after a receiving step until the next send.
    sending_chain: Option<SecretKey>,
    /// CKr; `None` until the first message from the peer.
    receiving_chain: Option<SecretKey>,
    /// Ns.
    sent: u32,
    /// Nr.
    received: u32,
    /// PN.
    previous_sending_chain_length: u32,
    /// MKSKIPPED, oldest first so eviction drops the oldest.
    skipped: VecDeque<SkippedKey>,
}

impl Session {
    /// `RatchetInitAlice`: the initiator starts with the responder's signed prekey as the peer's
    /// ratchet key and can send at once.
    pub fn initiator(
        shared_secret: SharedSecret,
        associated_data: Vec<u8>,
        responder_signed_prekey: PublicKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self> {
        let self_ratchet = KeyPair::generate(rng);
        let dh = self_ratchet
            .private_key()
            .diffie_hellman(&responder_signed_prekey)?;
        let (root_key, sending_chain) = kdf::root_step(&shared_secret, &dh)?;
        Ok(Self {
            associated_data,
            self_ratchet,
            remote_ratchet: Some(responder_signed_prekey),
            root_key,
            sending_chain: Some(sending_chain),
            receiving_chain: None,
            sent: 0,
            received: 0,
            previous_sending_chain_length: 0,
            skipped: VecDeque::new(),
        })
    }

    /// `RatchetInitBob`: the responder's first ratchet key pair is its signed prekey; it can send
    /// only after the initiator's first message arrived.
    pub fn responder(
        shared_secret: SharedSecret,
        associated_data: Vec<u8>,
        signed_prekey: KeyPair,
    ) -> Self {
        Self {
            associated_data,
            self_ratchet: signed_prekey,
            remote_ratchet: None,
            root_key: shared_secret,
            sending_chain: None,
            receiving_chain: None,
            sent: 0,
            received: 0,
            previous_sending_chain_length: 0,
            skipped: VecDeque::new(),
        }
    }

    /// The X3DH associated data this session authenticates.
    pub fn associated_data(&self) -> &[u8] {
        &self.associated_data
    }

    /// Encrypts the next message, first completing a pending Diffie-Hellman ratchet step.
    pub fn encrypt(
        &mut self,
        plaintext: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Message> {
        if self.sending_chain.is_none() {
            let remote = self.remote_ratchet.ok_or(CryptoError::NoSendingChain)?;
            let self_ratchet = KeyPair::generate(rng);
            let dh = self_ratchet.private_key().diffie_hellman(&remote)?;
            let (root_key, sending_chain) = kdf::root_step(&self.root_key, &dh)?;
            self.self_ratchet = self_ratchet;
            self.root_key = root_key;
            self.sending_chain = Some(sending_chain);
        }
        let next_sent = self
            .sent
            .checked_add(1)
            .ok_or(CryptoError::CounterExhausted)?;
        let chain = self
            .sending_chain
            .as_ref()
            .ok_or(CryptoError::NoSendingChain)?;
        let (next_chain, message_key) = kdf::chain_step(chain)?;
        let header = Header {
            ratchet_key: *self.self_ratchet.public_key(),
            previous_chain_length: self.previous_sending_chain_length,
            message_number: self.sent,
        };
        let message = message::seal(&message_key, &self.associated_data, header, plaintext)?;
        self.sending_chain = Some(next_chain);
        self.sent = next_sent;
        Ok(message)
    }

    /// Decrypts a message. On any error the session is exactly as it was before the call.
    /// A non-canonical ratchet key (possible only in a `Message` built by hand:
    /// [`Message::from_bytes`] refuses one) is [`CryptoError::InvalidPublicKeyEncoding`] before
    /// any other check.
    pub fn decrypt(&mut self, message: &Message) -> Result<Vec<u8>> {
        if !message.header.ratchet_key.is_canonical() {
            return Err(CryptoError::InvalidPublicKeyEncoding);
        }
        let mut candidate = self.clone();
        let mut plaintext = candidate.decrypt_in_place(message)?;
        *self = candidate;
        Ok(core::mem::take(&mut *plaintext))
    }

    /// `RatchetDecrypt` on `self`; only ever called on a scratch copy.
    fn decrypt_in_place(&mut self, message: &Message) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let header = &message.header;
        if let Some(index) = self.skipped.iter().position(|key| {
            key.ratchet_key == header.ratchet_key && key.message_number == header.message_number
        }) {
            let skipped = self
                .skipped
                .remove(index)
                .ok_or(CryptoError::DuplicateMessage)?;
            return message::open(&skipped.message_key, &self.associated_data, message);
        }
        if self.remote_ratchet != Some(header.ratchet_key) {
            self.skip_message_keys(header.previous_chain_length)?;
            self.receive_ratchet_step(header.ratchet_key)?;
        } else if header.message_number < self.received {
            // Its key was used (or skipped and since used or evicted): a replay.
            return Err(CryptoError::DuplicateMessage);
        }
        self.skip_message_keys(header.message_number)?;
        // Only reachable by a forged header naming the peer's signed prekey to a fresh initiator.
        let chain = self
            .receiving_chain
            .as_ref()
            .ok_or(CryptoError::MalformedMessage(
                "no receiving chain for this ratchet key",
            ))?;
        let (next_chain, message_key) = kdf::chain_step(chain)?;
        self.receiving_chain = Some(next_chain);
        self.received = self
            .received
            .checked_add(1)
            .ok_or(CryptoError::CounterExhausted)?;
        message::open(&message_key, &self.associated_data, message)
    }

    /// `SkipMessageKeys(until)`: store the receiving chain's keys up to (not including) `until`.
    fn skip_message_keys(&mut self, until: u32) -> Result<()> {
        if u64::from(until) > u64::from(self.received) + u64::from(MAX_SKIP) {
            return Err(CryptoError::TooManySkippedMessages);
        }
        let (Some(remote), Some(mut chain)) = (self.remote_ratchet, self.receiving_chain.clone())
        else {
            return Ok(());
        };
        while self.received < until {
            let (next_chain, message_key) = kdf::chain_step(&chain)?;
            self.skipped.push_back(SkippedKey {
                ratchet_key: remote,
                message_number: self.received,
                message_key,
            });
            if self.skipped.len() > MAX_SKIPPED_KEYS {
                self.skipped.pop_front();
            }
            chain = next_chain;
            self.received += 1;
        }
        self.receiving_chain = Some(chain);
        Ok(())
    }

    /// The receiving half of `DHRatchet`; the sending half waits for the next [`Self::encrypt`].
    fn receive_ratchet_step(&mut self, remote: PublicKey) -> Result<()> {
        let dh = self.self_ratchet.private_key().diffie_hellman(&remote)?;
        let (root_key, receiving_chain) = kdf::root_step(&self.root_key, &dh)?;
        self.previous_sending_chain_length = self.sent;
        self.sent = 0;
        self.received = 0;
        self.remote_ratchet = Some(remote);
        self.root_key = root_key;
        self.receiving_chain = Some(receiving_chain);
        self.sending_chain = None;
        Ok(())
    }

    /// How many skipped message keys are stored (for tests and diagnostics).
    pub fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }
}

#[cfg(test)]
mod tests;
