//! Group operations: sender keys in libsignal's format.
//!
//! The peer keeps one outbound chain per distribution id (creating again rotates it) and one
//! inbound chain per (sender name, distribution id). Processing a distribution of the chain
//! already stored keeps the stored key, as libsignal does, so a re-sent distribution cannot rewind
//! the chain and re-open old messages; any other distribution replaces it (rotation).
//! Distribution ids are UUID strings (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).

use std::collections::HashMap;

use chatalot_crypto::kdf::SecretKey;
use chatalot_crypto::keys::{KeyPair, PrivateKey};
use chatalot_crypto::sender_keys::{
    DistributionId, InboundSenderKey, OutboundSenderKey, SenderKeyDistribution, SenderKeyMessage,
};
use chatalot_crypto::state;
use rand_core::OsRng;
use serde_json::{Value, json};

use crate::wire::{self, PeerError};

#[derive(Default)]
pub struct State {
    outbound: HashMap<DistributionId, OutboundSenderKey>,
    inbound: HashMap<(String, DistributionId), InboundSenderKey>,
}

impl State {
    /// Answers `op` if it is one of this module's operations, else `None`.
    pub fn handle(&mut self, op: &str, params: &Value) -> Result<Option<Value>, PeerError> {
        let answer = match op {
            "sender_key_create" => self.create(params)?,
            "sender_key_distribution" => self.distribution(params)?,
            "sender_key_process" => self.process(params)?,
            "sender_key_encrypt" => self.encrypt(params)?,
            "sender_key_decrypt" => self.decrypt(params)?,
            "sender_key_export" => self.export(params)?,
            "sender_key_import" => self.import(params)?,
            _ => return Ok(None),
        };
        Ok(Some(answer))
    }

    /// `{distribution_id, chain_id?, chain_key?, signing_private_key?}` → a new outbound chain
    /// (replacing any earlier one for that id); random parts unless given (known-answer tests).
    fn create(&mut self, params: &Value) -> Result<Value, PeerError> {
        let distribution_id = distribution_id(params, "distribution_id")?;
        let mut key = OutboundSenderKey::generate(distribution_id, &mut OsRng);
        let fixed_chain_key = fixed_32(params, "chain_key")?;
        let fixed_signing = fixed_32(params, "signing_private_key")?;
        let fixed_chain_id = match params.get("chain_id") {
            None | Some(Value::Null) => None,
            Some(_) => Some(wire::u32_param(params, "chain_id")?),
        };
        if fixed_chain_key.is_some() || fixed_signing.is_some() || fixed_chain_id.is_some() {
            let random = key.distribution();
            let signing = match fixed_signing {
                Some(bytes) => KeyPair::from_private(PrivateKey::from_bytes(bytes)),
                None => KeyPair::generate(&mut OsRng),
            };
            key = OutboundSenderKey::from_parts(
                distribution_id,
                fixed_chain_id.unwrap_or(random.chain_id),
                fixed_chain_key
                    .map(SecretKey::from_bytes)
                    .unwrap_or(random.chain_key),
                signing,
            );
        }
        let answer = distribution_answer(&key.distribution());
        self.outbound.insert(distribution_id, key);
        Ok(answer)
    }

    /// `{distribution_id}` → the current distribution of an outbound chain (for late joiners).
    fn distribution(&self, params: &Value) -> Result<Value, PeerError> {
        Ok(distribution_answer(
            &self.outbound_key(params)?.distribution(),
        ))
    }

    /// `{sender, distribution}` → stores `sender`'s chain.
    fn process(&mut self, params: &Value) -> Result<Value, PeerError> {
        let sender = wire::string(params, "sender")?.to_owned();
        let distribution =
            SenderKeyDistribution::from_bytes(&wire::bytes(params, "distribution")?)?;
        let slot = (sender, distribution.distribution_id);
        let kept = self
            .inbound
            .get(&slot)
            .is_some_and(|stored| stored.matches(&distribution));
        if !kept {
            self.inbound
                .insert(slot, InboundSenderKey::from_distribution(&distribution));
        }
        Ok(json!({
            "distribution_id": format_uuid(distribution.distribution_id.as_bytes()),
            "chain_id": distribution.chain_id,
            "iteration": distribution.iteration,
            "kept_existing": kept,
        }))
    }

    /// `{distribution_id, plaintext}` → `{ciphertext, chain_id, iteration}`.
    fn encrypt(&mut self, params: &Value) -> Result<Value, PeerError> {
        let plaintext = wire::bytes(params, "plaintext")?;
        let id = distribution_id(params, "distribution_id")?;
        let key = self
            .outbound
            .get_mut(&id)
            .ok_or_else(|| no_outbound(params))?;
        let message = key.encrypt(&plaintext, &mut OsRng)?;
        Ok(json!({
            "ciphertext": wire::encode(message.as_bytes()),
            "chain_id": message.chain_id(),
            "iteration": message.iteration(),
        }))
    }

    /// `{sender, ciphertext}` → `{plaintext, distribution_id, chain_id, iteration}`.
    fn decrypt(&mut self, params: &Value) -> Result<Value, PeerError> {
        let sender = wire::string(params, "sender")?.to_owned();
        let message = SenderKeyMessage::from_bytes(&wire::bytes(params, "ciphertext")?)?;
        let key = self
            .inbound
            .get_mut(&(sender, message.distribution_id()))
            .ok_or(chatalot_crypto::CryptoError::UnknownSenderKeyChain)?;
        let plaintext = key.decrypt(&message)?;
        Ok(json!({
            "plaintext": wire::encode(&plaintext),
            "distribution_id": format_uuid(message.distribution_id().as_bytes()),
            "chain_id": message.chain_id(),
            "iteration": message.iteration(),
        }))
    }

    /// `{distribution_id, sender?}` → `{state}`: the stored outbound chain, or with `sender` that
    /// sender's inbound chain, in the crate's storage encoding.
    fn export(&self, params: &Value) -> Result<Value, PeerError> {
        let bytes = match params.get("sender").and_then(Value::as_str) {
            Some(sender) => {
                let id = distribution_id(params, "distribution_id")?;
                let key = self
                    .inbound
                    .get(&(sender.to_owned(), id))
                    .ok_or_else(|| PeerError::new("not_found", "no such inbound sender key"))?;
                state::encode(key)?
            }
            None => state::encode(self.outbound_key(params)?)?,
        };
        Ok(json!({"state": wire::encode(&bytes)}))
    }

    /// `{state, sender?}`: stores an exported chain (inbound with `sender`, else outbound),
    /// replacing the one in its slot.
    fn import(&mut self, params: &Value) -> Result<Value, PeerError> {
        let bytes = wire::bytes(params, "state")?;
        let (id, chain_id) = match params.get("sender").and_then(Value::as_str) {
            Some(sender) => {
                let key: InboundSenderKey = state::decode(&bytes)?;
                let answer = (key.distribution_id(), key.chain_id());
                self.inbound.insert((sender.to_owned(), answer.0), key);
                answer
            }
            None => {
                let key: OutboundSenderKey = state::decode(&bytes)?;
                let answer = (key.distribution_id(), key.chain_id());
                self.outbound.insert(answer.0, key);
                answer
            }
        };
        Ok(json!({"distribution_id": format_uuid(id.as_bytes()), "chain_id": chain_id}))
    }

    fn outbound_key(&self, params: &Value) -> Result<&OutboundSenderKey, PeerError> {
        let id = distribution_id(params, "distribution_id")?;
        self.outbound.get(&id).ok_or_else(|| no_outbound(params))
    }
}

fn no_outbound(params: &Value) -> PeerError {
    let id = params
        .get("distribution_id")
        .cloned()
        .unwrap_or(Value::Null);
    PeerError::new(
        "not_found",
        format!("no outbound sender key for distribution {id}"),
    )
}

fn distribution_answer(distribution: &SenderKeyDistribution) -> Value {
    json!({
        "distribution": wire::encode(&distribution.to_bytes()),
        "distribution_id": format_uuid(distribution.distribution_id.as_bytes()),
        "chain_id": distribution.chain_id,
        "iteration": distribution.iteration,
        "signing_key": wire::encode(&distribution.signing_key.encode()),
    })
}

/// An optional base64 parameter of exactly 32 bytes.
fn fixed_32(params: &Value, name: &str) -> Result<Option<[u8; 32]>, PeerError> {
    wire::optional_bytes(params, name)?
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| PeerError::bad_request(format!("{name:?} must be 32 bytes")))
        })
        .transpose()
}

/// A required UUID parameter.
fn distribution_id(params: &Value, name: &str) -> Result<DistributionId, PeerError> {
    parse_uuid(wire::string(params, name)?)
        .map(DistributionId::from_bytes)
        .ok_or_else(|| PeerError::bad_request(format!("parameter {name:?} is not a UUID")))
}

/// Hyphen positions in the 36-character UUID form.
const UUID_HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits in either case).
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let text = text.as_bytes();
    if text.len() != 36 || UUID_HYPHENS.iter().any(|&at| text[at] != b'-') {
        return None;
    }
    let mut digits = text
        .iter()
        .enumerate()
        .filter(|(at, _)| !UUID_HYPHENS.contains(at))
        .map(|(_, &c)| char::from(c).to_digit(16));
    let mut out = [0u8; 16];
    for byte in &mut out {
        let high = digits.next()??;
        let low = digits.next()??;
        *byte = u8::try_from(high << 4 | low).ok()?;
    }
    Some(out)
}

/// The lowercase hyphenated form.
fn format_uuid(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}
