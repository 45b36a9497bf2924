//! Pairwise operations: the device's identity, its published prekeys, and one X3DH + Double
//! Ratchet session per peer name.
//!
//! Keys travel as base64 of `Encode(PK)` (33 bytes) except ratchet keys in answers, which are the
//! raw 32 bytes of the message header. Private keys and nonces may be fixed by the caller for
//! known-answer runs; they are fed to the crate through [`ScriptedRng`], so the crate's own code
//! paths run unchanged. Every operation validates everything and works on copies before it
//! commits, so a failed operation leaves the state as it was.

use std::collections::BTreeMap;

use chatalot_crypto::kdf::SecretKey;
use chatalot_crypto::keys::{
    IdentityKeyPair, KeyPair, OneTimePreKey, PreKeyBundle, PrivateKey, PublicKey, SIGNATURE_LEN,
    SignedPreKey,
};
use chatalot_crypto::message::Message;
use chatalot_crypto::prekey_message::{Ciphertext, PreKeyMessage};
use chatalot_crypto::ratchet::Session;
use chatalot_crypto::{state, x3dh};
use rand_core::{CryptoRng, OsRng, RngCore};
use serde_json::{Value, json};

use crate::wire::{self, PeerError};

/// Most one-time prekeys one `publish_bundle` makes.
const MAX_ONE_TIME_PREKEYS_PER_CALL: u32 = 1000;

/// Randomness that first hands out caller-supplied bytes (fixed keys, nonces), then the OS's.
struct ScriptedRng {
    script: Vec<u8>,
    used: usize,
}

impl ScriptedRng {
    fn new(parts: &[&[u8]]) -> Self {
        Self {
            script: parts.concat(),
            used: 0,
        }
    }

    /// Whether every scripted byte was consumed.
    fn exhausted(&self) -> bool {
        self.used == self.script.len()
    }
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let scripted = dest.len().min(self.script.len() - self.used);
        let (from_script, from_os) = dest.split_at_mut(scripted);
        from_script.copy_from_slice(&self.script[self.used..self.used + scripted]);
        self.used += scripted;
        OsRng.fill_bytes(from_os);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ScriptedRng {}

/// What an initiator repeats in front of every message until the responder answers.
#[derive(Clone)]
struct PendingPreKey {
    base_key: PublicKey,
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
}

#[derive(Clone, Copy)]
enum Role {
    Initiator,
    Responder,
    Imported,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::Initiator => "initiator",
            Self::Responder => "responder",
            Self::Imported => "imported",
        }
    }
}

/// One peer's session and what the peer program knows about how it started.
struct Conversation {
    session: Session,
    role: Role,
    /// Set on the initiator until the first message from the responder decrypts.
    pending: Option<PendingPreKey>,
    /// The initiator's X3DH ephemeral key, so later prekey messages of the same session are
    /// recognised (responder side).
    base_key: Option<PublicKey>,
    remote_identity: Option<PublicKey>,
    /// Kept for `session_info` only: this is a test program.
    shared_secret: Option<SecretKey>,
}

/// The pairwise part of one device.
#[derive(Default)]
pub struct State {
    identity: Option<IdentityKeyPair>,
    signed_prekeys: BTreeMap<u32, SignedPreKey>,
    one_time_prekeys: BTreeMap<u32, OneTimePreKey>,
    /// Next id `publish_bundle` hands out when the caller names none (ids start at 1).
    next_one_time_prekey_id: u32,
    conversations: BTreeMap<String, Conversation>,
}

impl State {
    /// Answers `op` if it is one of this module's operations, else `None`.
    pub fn handle(&mut self, op: &str, params: &Value) -> Result<Option<Value>, PeerError> {
        let answer = match op {
            "generate_identity" => self.generate_identity(params)?,
            "publish_bundle" => self.publish_bundle(params)?,
            "initiate" => self.initiate(params)?,
            "encrypt" => self.encrypt(params)?,
            "decrypt" => self.decrypt(params)?,
            "session_info" => self.session_info(params)?,
            "export_session" => self.export_session(params)?,
            "import_session" => self.import_session(params)?,
            _ => return Ok(None),
        };
        Ok(Some(answer))
    }

    fn identity(&self) -> Result<&IdentityKeyPair, PeerError> {
        self.identity
            .as_ref()
            .ok_or_else(|| PeerError::new("no_identity", "call generate_identity first"))
    }

    fn conversation(&self, peer: &str) -> Result<&Conversation, PeerError> {
        self.conversations
            .get(peer)
            .ok_or_else(|| PeerError::new("no_session", format!("no session with {peer:?}")))
    }

    fn generate_identity(&mut self, params: &Value) -> Result<Value, PeerError> {
        if self.identity.is_some() {
            return Err(PeerError::new(
                "identity_exists",
                "this device already has an identity",
            ));
        }
        let identity = match wire::optional_array::<32>(params, "private_key")? {
            Some(private) => IdentityKeyPair::from_private(PrivateKey::from_bytes(private)),
            None => IdentityKeyPair::generate(&mut OsRng),
        };
        let answer = json!({"identity_key": wire::encode(&identity.public_key().encode())});
        self.identity = Some(identity);
        Ok(answer)
    }

    fn publish_bundle(&mut self, params: &Value) -> Result<Value, PeerError> {
        let identity = self.identity()?;
        let signed_prekey_id = wire::u32_param(params, "signed_prekey_id")?;
        if self.signed_prekeys.contains_key(&signed_prekey_id) {
            return Err(PeerError::new(
                "duplicate_id",
                format!("signed prekey {signed_prekey_id} exists"),
            ));
        }
        let fixed_one_time = wire::optional_list(params, "one_time_prekey_private_keys")?;
        let count = match wire::optional_u32(params, "one_time_prekeys")? {
            Some(count) => count,
            None => u32::try_from(fixed_one_time.len())
                .map_err(|_| PeerError::bad_request("too many one-time prekeys"))?,
        };
        if count > MAX_ONE_TIME_PREKEYS_PER_CALL {
            return Err(PeerError::bad_request(format!(
                "at most {MAX_ONE_TIME_PREKEYS_PER_CALL} one-time prekeys per call"
            )));
        }
        if !fixed_one_time.is_empty() && fixed_one_time.len() != count as usize {
            return Err(PeerError::bad_request(
                "one_time_prekey_private_keys must have one_time_prekeys entries",
            ));
        }
        let first_id = match wire::optional_u32(params, "first_one_time_prekey_id")? {
            Some(id) => id,
            None => self.next_one_time_prekey_id.max(1),
        };

        let signed_prekey = match wire::optional_array::<32>(params, "signed_prekey_private_key")? {
            Some(private) => {
                let key_pair = KeyPair::from_private(PrivateKey::from_bytes(private));
                let nonce = wire::optional_array::<64>(params, "signature_nonce")?;
                let mut rng = ScriptedRng::new(&[nonce.as_ref().map_or(&[][..], |n| &n[..])]);
                let signature = identity.sign(&key_pair.public_key().encode(), &mut rng);
                SignedPreKey {
                    id: signed_prekey_id,
                    key_pair,
                    signature,
                }
            }
            None => {
                if params.get("signature_nonce").is_some() {
                    return Err(PeerError::bad_request(
                        "signature_nonce needs signed_prekey_private_key",
                    ));
                }
                SignedPreKey::generate(signed_prekey_id, identity, &mut OsRng)
            }
        };

        let mut one_time_prekeys = Vec::with_capacity(count as usize);
        for index in 0..count {
            let id = first_id
                .checked_add(index)
                .ok_or_else(|| PeerError::bad_request("one-time prekey ids overflow"))?;
            if self.one_time_prekeys.contains_key(&id) {
                return Err(PeerError::new(
                    "duplicate_id",
                    format!("one-time prekey {id} exists"),
                ));
            }
            let key_pair = match fixed_one_time.get(index as usize) {
                Some(fixed) => {
                    let bytes = fixed
                        .as_str()
                        .and_then(|text| wire::decode(text).ok())
                        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
                        .ok_or_else(|| {
                            PeerError::bad_request(
                                "one_time_prekey_private_keys holds base64 of 32 bytes each",
                            )
                        })?;
                    KeyPair::from_private(PrivateKey::from_bytes(bytes))
                }
                None => KeyPair::generate(&mut OsRng),
            };
            one_time_prekeys.push(OneTimePreKey { id, key_pair });
        }

        let answer = json!({
            "identity_key": wire::encode(&identity.public_key().encode()),
            "signed_prekey": {
                "id": signed_prekey.id,
                "public_key": wire::encode(&signed_prekey.key_pair.public_key().encode()),
                "signature": wire::encode(&signed_prekey.signature),
            },
            "one_time_prekeys": one_time_prekeys
                .iter()
                .map(|key| json!({
                    "id": key.id,
                    "public_key": wire::encode(&key.key_pair.public_key().encode()),
                }))
                .collect::<Vec<_>>(),
        });
        if let Some(last) = one_time_prekeys.last() {
            self.next_one_time_prekey_id =
                self.next_one_time_prekey_id.max(last.id.saturating_add(1));
        }
        self.signed_prekeys.insert(signed_prekey.id, signed_prekey);
        for key in one_time_prekeys {
            self.one_time_prekeys.insert(key.id, key);
        }
        Ok(answer)
    }

    fn initiate(&mut self, params: &Value) -> Result<Value, PeerError> {
        let identity = self.identity()?;
        let peer = wire::string(params, "peer")?;
        let signed = wire::object(params, "signed_prekey")?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(wire::bytes(signed, "signature")?)
            .map_err(|_| PeerError::bad_request("signature must be 64 bytes"))?;
        let one_time = match wire::optional_list(params, "one_time_prekeys")? {
            [] => None,
            [key] => Some((
                wire::u32_param(key, "id")?,
                PublicKey::decode(&wire::bytes(key, "public_key")?)?,
            )),
            _ => {
                return Err(PeerError::bad_request(
                    "a bundle carries at most one one-time prekey",
                ));
            }
        };
        let bundle = PreKeyBundle {
            identity_key: PublicKey::decode(&wire::bytes(params, "identity_key")?)?,
            signed_prekey_id: wire::u32_param(signed, "id")?,
            signed_prekey: PublicKey::decode(&wire::bytes(signed, "public_key")?)?,
            signed_prekey_signature: signature,
            one_time_prekey: one_time,
        };
        let ephemeral = wire::optional_array::<32>(params, "ephemeral_private_key")?;
        let ratchet = wire::optional_array::<32>(params, "ratchet_private_key")?;

        let mut rng = ScriptedRng::new(&[ephemeral.as_ref().map_or(&[][..], |k| &k[..])]);
        let initiation = x3dh::initiate(identity, &bundle, &mut rng)?;
        if !rng.exhausted() {
            return Err(PeerError::new(
                "fixed_key_unused",
                "the crate did not draw the ephemeral key where expected",
            ));
        }
        let mut rng = ScriptedRng::new(&[ratchet.as_ref().map_or(&[][..], |k| &k[..])]);
        let session = Session::initiator(
            initiation.shared_secret.clone(),
            initiation.associated_data.clone(),
            bundle.signed_prekey,
            &mut rng,
        )?;
        if !rng.exhausted() {
            return Err(PeerError::new(
                "fixed_key_unused",
                "the crate did not draw the ratchet key where expected",
            ));
        }

        let answer = json!({
            "ephemeral_key": wire::encode(&initiation.ephemeral_public.encode()),
            "associated_data": wire::encode(&initiation.associated_data),
            "shared_secret": wire::encode(initiation.shared_secret.as_bytes()),
            "one_time_prekey_id": initiation.used_one_time_prekey_id,
        });
        self.conversations.insert(
            peer.to_owned(),
            Conversation {
                session,
                role: Role::Initiator,
                pending: Some(PendingPreKey {
                    base_key: initiation.ephemeral_public,
                    signed_prekey_id: bundle.signed_prekey_id,
                    one_time_prekey_id: initiation.used_one_time_prekey_id,
                }),
                base_key: Some(initiation.ephemeral_public),
                remote_identity: Some(bundle.identity_key),
                shared_secret: Some(initiation.shared_secret),
            },
        );
        Ok(answer)
    }

    fn encrypt(&mut self, params: &Value) -> Result<Value, PeerError> {
        let peer = wire::string(params, "peer")?;
        let plaintext = wire::bytes(params, "plaintext")?;
        let fixed = wire::optional_array::<32>(params, "ratchet_private_key")?;
        let conversation = self.conversation(peer)?;

        let mut session = conversation.session.clone();
        let mut rng = ScriptedRng::new(&[fixed.as_ref().map_or(&[][..], |k| &k[..])]);
        let message = session.encrypt(&plaintext, &mut rng)?;
        let header = message.header;
        let (kind, bytes) = match &conversation.pending {
            Some(pending) => (
                "prekey",
                PreKeyMessage {
                    identity_key: *self.identity()?.public_key(),
                    base_key: pending.base_key,
                    signed_prekey_id: pending.signed_prekey_id,
                    one_time_prekey_id: pending.one_time_prekey_id,
                    message,
                }
                .to_bytes(),
            ),
            None => ("message", message.to_bytes()),
        };
        let mut answer = json!({
            "ciphertext": wire::encode(&bytes),
            "kind": kind,
            "ratchet_key": wire::encode(header.ratchet_key.as_bytes()),
            "previous_chain_length": header.previous_chain_length,
            "message_number": header.message_number,
        });
        if fixed.is_some() {
            // A fixed key is only drawn when this message starts a new sending chain.
            answer["fixed_key_used"] = json!(rng.exhausted());
        }
        if let Some(conversation) = self.conversations.get_mut(peer) {
            conversation.session = session;
        }
        Ok(answer)
    }

    fn decrypt(&mut self, params: &Value) -> Result<Value, PeerError> {
        let peer = wire::string(params, "peer")?;
        let bytes = wire::bytes(params, "ciphertext")?;
        match Ciphertext::parse(&bytes)? {
            Ciphertext::Message(message) => self.decrypt_message(peer, &message, "message"),
            Ciphertext::PreKey(prekey) => {
                let same_session = self.conversations.get(peer).is_some_and(|conversation| {
                    matches!(conversation.role, Role::Responder)
                        && conversation.base_key == Some(prekey.base_key)
                        && conversation.remote_identity == Some(prekey.identity_key)
                });
                if same_session {
                    // Another message the initiator sent before it heard back.
                    self.decrypt_message(peer, &prekey.message, "prekey")
                } else {
                    self.accept(peer, &prekey)
                }
            }
        }
    }

    fn decrypt_message(
        &mut self,
        peer: &str,
        message: &Message,
        kind: &str,
    ) -> Result<Value, PeerError> {
        let conversation = self
            .conversations
            .get_mut(peer)
            .ok_or_else(|| PeerError::new("no_session", format!("no session with {peer:?}")))?;
        // `Session::decrypt` leaves the session unchanged when it fails.
        let plaintext = conversation.session.decrypt(message)?;
        conversation.pending = None;
        Ok(json!({
            "plaintext": wire::encode(&plaintext),
            "kind": kind,
            "new_session": false,
        }))
    }

    /// X3DH as the responder, from the prekeys the message names; the one-time prekey is deleted
    /// once the message decrypted, so a replay of it cannot start a second session.
    fn accept(&mut self, peer: &str, prekey: &PreKeyMessage) -> Result<Value, PeerError> {
        let identity = self.identity()?;
        let signed_prekey = self
            .signed_prekeys
            .get(&prekey.signed_prekey_id)
            .ok_or_else(|| {
                PeerError::new(
                    "unknown_prekey",
                    format!("no signed prekey {}", prekey.signed_prekey_id),
                )
            })?;
        let one_time_prekey = match prekey.one_time_prekey_id {
            Some(id) => Some(self.one_time_prekeys.get(&id).ok_or_else(|| {
                PeerError::new(
                    "unknown_prekey",
                    format!("no one-time prekey {id} (never published or already used)"),
                )
            })?),
            None => None,
        };
        let (session, plaintext) = prekey.accept(identity, signed_prekey, one_time_prekey)?;
        // The secret again, for session_info only; `accept` above already checked everything.
        let acceptance = x3dh::accept(
            identity,
            signed_prekey,
            one_time_prekey,
            &prekey.identity_key,
            &prekey.base_key,
        )?;
        if let Some(id) = prekey.one_time_prekey_id {
            self.one_time_prekeys.remove(&id);
        }
        self.conversations.insert(
            peer.to_owned(),
            Conversation {
                session,
                role: Role::Responder,
                pending: None,
                base_key: Some(prekey.base_key),
                remote_identity: Some(prekey.identity_key),
                shared_secret: Some(acceptance.shared_secret),
            },
        );
        Ok(json!({
            "plaintext": wire::encode(&plaintext),
            "kind": "prekey",
            "new_session": true,
            "identity_key": wire::encode(&prekey.identity_key.encode()),
            "one_time_prekey_id": prekey.one_time_prekey_id,
        }))
    }

    fn session_info(&self, params: &Value) -> Result<Value, PeerError> {
        let conversation = self.conversation(wire::string(params, "peer")?)?;
        let encode_key = |key: &Option<PublicKey>| key.map(|key| wire::encode(&key.encode()));
        Ok(json!({
            "role": conversation.role.name(),
            "associated_data": wire::encode(conversation.session.associated_data()),
            "shared_secret": conversation
                .shared_secret
                .as_ref()
                .map(|secret| wire::encode(secret.as_bytes())),
            "remote_identity_key": encode_key(&conversation.remote_identity),
            "base_key": encode_key(&conversation.base_key),
            "sends_prekey_messages": conversation.pending.is_some(),
            "skipped_keys": conversation.session.skipped_key_count(),
        }))
    }

    fn export_session(&self, params: &Value) -> Result<Value, PeerError> {
        let conversation = self.conversation(wire::string(params, "peer")?)?;
        let bytes = state::encode(&conversation.session)?;
        Ok(json!({"session": wire::encode(&bytes)}))
    }

    /// Installs a stored session; it sends plain ratchet messages (the stored state does not
    /// include the initiator's pending prekey data).
    fn import_session(&mut self, params: &Value) -> Result<Value, PeerError> {
        let peer = wire::string(params, "peer")?;
        let session: Session = state::decode(&wire::bytes(params, "session")?)?;
        self.conversations.insert(
            peer.to_owned(),
            Conversation {
                session,
                role: Role::Imported,
                pending: None,
                base_key: None,
                remote_identity: None,
                shared_secret: None,
            },
        );
        Ok(json!({}))
    }
}
