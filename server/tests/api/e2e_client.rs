//! A native end-to-end encryption client for tests: one device with its own keys, made with
//! `chatalot-crypto` (the crate the web client runs as WebAssembly), registered through the
//! gateway. It encrypts an envelope for every device of a conversation and decrypts what the
//! gateway delivers, so the server only ever sees what this client puts on the wire.
//!
//! What travels (the client convention `docs/e2e.md` describes):
//! - each envelope entry is one device's ciphertext: a Double Ratchet message (`0x01`), a prekey
//!   message (`0x81`, until the peer answered) or, in group sends, the sender-key message
//!   (`0x33`), the same bytes for every device;
//! - the plaintext is JSON `Content`: a text, a sender-key distribution (always pairwise) or a
//!   file (attachment id, key and digest; the file itself is uploaded encrypted).

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::{
    CryptoError,
    attachment::{self, AttachmentKey},
    keys::{IdentityKeyPair, OneTimePreKey, PreKeyBundle, PublicKey, SignedPreKey},
    message::MESSAGE_VERSION,
    prekey_message::{Ciphertext, PREKEY_MESSAGE_VERSION, PreKeyMessage},
    ratchet,
    sender_keys::{InboundSenderKey, OutboundSenderKey, SenderKeyDistribution, SenderKeyMessage},
    x3dh,
};
use rand::rngs::OsRng;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One-time prekeys each test device uploads.
const ONE_TIME_PREKEYS: u32 = 10;

/// An initiator's X3DH data, repeated in every message until the peer answers.
#[derive(Clone, Copy)]
struct PendingPreKey {
    base_key: PublicKey,
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
}

/// A pairwise session with one remote device.
struct Pairwise {
    ratchet: ratchet::Session,
    pending: Option<PendingPreKey>,
    /// For a session this device accepted: the initiator's X3DH base key. The initiator
    /// repeats its prekey message until it hears back; those belong to this same session.
    accepted_base_key: Option<PublicKey>,
}

/// A decrypted conversation message as one device saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub conversation_id: Uuid,
    pub author_id: Uuid,
    pub sender_device_id: Uuid,
    /// This device's ciphertext, as delivered.
    pub ciphertext: Vec<u8>,
    pub content: Value,
    pub attachments: Vec<Value>,
}

impl Received {
    pub fn text(&self) -> &str {
        self.content["text"].as_str().unwrap_or("")
    }
}

/// A device in a conversation: the user it belongs to and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    pub user_id: Uuid,
    pub device_id: Uuid,
}

pub struct Device {
    pub session: Session,
    pub device_id: Uuid,
    pub ws: WsClient,
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    one_time_prekeys: HashMap<u32, OneTimePreKey>,
    sessions: HashMap<Uuid, Pairwise>,
    /// Our sender key per conversation, and the devices that have its distribution.
    outbound: HashMap<Uuid, (OutboundSenderKey, HashSet<Uuid>)>,
    /// Others' sender keys per (conversation, sender device).
    inbound: HashMap<(Uuid, Uuid), InboundSenderKey>,
}

impl Device {
    /// Creates keys, registers them for `session` through the gateway and connects the
    /// device's WebSocket.
    pub async fn register(app: &TestApp, session: Session, name: &str) -> Self {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let signed_prekey = SignedPreKey::generate(1, &identity, &mut OsRng);
        let one_time_prekeys: HashMap<u32, OneTimePreKey> = (1..=ONE_TIME_PREKEYS)
            .map(|id| (id, OneTimePreKey::generate(id, &mut OsRng)))
            .collect();
        let uploads: Vec<Value> = one_time_prekeys
            .values()
            .map(|key| json!({ "key_id": key.id, "public_key": b64(&key.key_pair.public_key().encode()) }))
            .collect();
        let body = json!({
            "name": name,
            "identity_key": b64(&identity.public_key().encode()),
            "signed_prekey": {
                "key_id": signed_prekey.id,
                "public_key": b64(&signed_prekey.key_pair.public_key().encode()),
                "signature": b64(&signed_prekey.signature),
            },
            "one_time_prekeys": uploads,
        });
        let reply = app
            .send(
                Method::POST,
                "/api/v1/devices",
                Some(&session.access_token),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, 201, "register device: {}", reply.body);
        let device_id = uuid_of(&reply.body["device_id"]);
        let ws = WsClient::identified(&app.gateway.ws_url(), &session.access_token).await;
        Self {
            session,
            device_id,
            ws,
            identity,
            signed_prekey,
            one_time_prekeys,
            sessions: HashMap::new(),
            outbound: HashMap::new(),
            inbound: HashMap::new(),
        }
    }

    /// The devices of `user_ids` as the server lists them (to this device's user), without this
    /// device itself.
    pub async fn devices_of(&self, app: &TestApp, user_ids: &[Uuid]) -> Vec<Address> {
        let mut addresses = Vec::new();
        for user_id in user_ids {
            let reply = app
                .get(
                    &format!("/api/v1/users/{user_id}/devices"),
                    &self.session.access_token,
                )
                .await;
            assert_eq!(reply.status, 200, "list devices: {}", reply.body);
            for device in reply.body["devices"].as_array().expect("devices") {
                let device_id = uuid_of(&device["device_id"]);
                if device_id != self.device_id {
                    addresses.push(Address {
                        user_id: *user_id,
                        device_id,
                    });
                }
            }
        }
        addresses
    }

    /// Starts a session with `device_id` from its bundle (X3DH as the initiator), unless one
    /// exists.
    async fn ensure_session(&mut self, app: &TestApp, device_id: Uuid) {
        if self.sessions.contains_key(&device_id) {
            return;
        }
        let reply = app
            .get(
                &format!("/api/v1/devices/{device_id}/bundle"),
                &self.session.access_token,
            )
            .await;
        assert_eq!(reply.status, 200, "bundle: {}", reply.body);
        let bundle = parse_bundle(&reply.body);
        let initiation = x3dh::initiate(&self.identity, &bundle, &mut OsRng).expect("X3DH");
        let pending = PendingPreKey {
            base_key: initiation.ephemeral_public,
            signed_prekey_id: bundle.signed_prekey_id,
            one_time_prekey_id: initiation.used_one_time_prekey_id,
        };
        let ratchet = ratchet::Session::initiator(
            initiation.shared_secret,
            initiation.associated_data,
            bundle.signed_prekey,
            &mut OsRng,
        )
        .expect("ratchet");
        self.sessions.insert(
            device_id,
            Pairwise {
                ratchet,
                pending: Some(pending),
                accepted_base_key: None,
            },
        );
    }

    /// Encrypts `content` for `device_id` over the pairwise session.
    fn seal_pairwise(&mut self, device_id: Uuid, content: &Value) -> Vec<u8> {
        let pairwise = self.sessions.get_mut(&device_id).expect("session");
        let message = pairwise
            .ratchet
            .encrypt(content.to_string().as_bytes(), &mut OsRng)
            .expect("encrypt");
        match pairwise.pending {
            Some(pending) => PreKeyMessage {
                identity_key: *self.identity.public_key(),
                base_key: pending.base_key,
                signed_prekey_id: pending.signed_prekey_id,
                one_time_prekey_id: pending.one_time_prekey_id,
                message,
            }
            .to_bytes(),
            None => message.to_bytes(),
        }
    }

    /// Sends `content` to each of `to`, encrypted separately per device (pairwise sessions).
    pub async fn send_pairwise(
        &mut self,
        app: &TestApp,
        conversation_id: Uuid,
        to: &[Address],
        content: &Value,
        attachment_ids: &[Uuid],
    ) -> Value {
        let mut entries = Vec::new();
        for address in to {
            self.ensure_session(app, address.device_id).await;
            entries.push((*address, self.seal_pairwise(address.device_id, content)));
        }
        self.post_envelope(app, conversation_id, &entries, attachment_ids)
            .await
    }

    /// Sends `content` to each of `to` under this device's sender key of the conversation
    /// (one ciphertext, the same for every device), first handing the sender key to devices
    /// that do not have it yet.
    pub async fn send_group(
        &mut self,
        app: &TestApp,
        conversation_id: Uuid,
        to: &[Address],
        content: &Value,
    ) -> Value {
        let (key, have_it) = self.outbound.entry(conversation_id).or_insert_with(|| {
            let key = OutboundSenderKey::generate(*conversation_id.as_bytes(), &mut OsRng);
            (key, HashSet::new())
        });
        let newcomers: Vec<Address> = to
            .iter()
            .filter(|address| !have_it.contains(&address.device_id))
            .copied()
            .collect();
        let distribution = key.distribution();
        have_it.extend(newcomers.iter().map(|address| address.device_id));
        if !newcomers.is_empty() {
            let handover = json!({
                "kind": "sender_key",
                "distribution": b64(&distribution.to_bytes()),
            });
            self.send_pairwise(app, conversation_id, &newcomers, &handover, &[])
                .await;
        }
        let (key, _) = self.outbound.get_mut(&conversation_id).expect("sender key");
        let message = key
            .encrypt(content.to_string().as_bytes(), &mut OsRng)
            .expect("group encrypt")
            .to_bytes();
        let entries: Vec<(Address, Vec<u8>)> = to
            .iter()
            .map(|address| (*address, message.clone()))
            .collect();
        self.post_envelope(app, conversation_id, &entries, &[])
            .await
    }

    /// Forgets this device's sender key of the conversation: the next group send starts a new
    /// chain and hands it only to the devices it is sent to (after a member left).
    pub fn rotate_sender_key(&mut self, conversation_id: Uuid) {
        self.outbound.remove(&conversation_id);
    }

    async fn post_envelope(
        &self,
        app: &TestApp,
        conversation_id: Uuid,
        entries: &[(Address, Vec<u8>)],
        attachment_ids: &[Uuid],
    ) -> Value {
        let recipients: Vec<Value> = entries
            .iter()
            .map(|(address, bytes)| {
                json!({
                    "user_id": address.user_id,
                    "device_id": address.device_id.to_string(),
                    "ciphertext": b64(bytes),
                })
            })
            .collect();
        let body = json!({
            "nonce": Uuid::new_v4().to_string(),
            "envelope": {
                "sender_device_id": self.device_id.to_string(),
                "recipients": recipients,
            },
            "attachment_ids": attachment_ids,
        });
        let reply = app
            .send(
                Method::POST,
                &format!("/api/v1/conversations/{conversation_id}/messages"),
                Some(&self.session.access_token),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, 201, "send envelope: {}", reply.body);
        reply.body
    }

    /// The next conversation message for this device, decrypted. Sender-key handovers are
    /// processed on the way; messages without a ciphertext for this device (echoes of our own
    /// sends) and other events are skipped.
    pub async fn receive(&mut self) -> Received {
        loop {
            let message =
                self.ws.next_event("conversation_message_created").await["message"].clone();
            let Some(ciphertext) = self.own_ciphertext(&message) else {
                continue;
            };
            let received = self.decrypt(&message, ciphertext).unwrap_or_else(|error| {
                panic!("device {} cannot decrypt: {error}", self.device_id)
            });
            if received.content["kind"] == "sender_key" {
                continue;
            }
            return received;
        }
    }

    /// This device's ciphertext in a delivered or listed message.
    pub fn own_ciphertext(&self, message: &Value) -> Option<Vec<u8>> {
        let mine = self.device_id.to_string();
        message["ciphertexts"]
            .as_array()?
            .iter()
            .find(|entry| entry["device_id"] == mine.as_str())
            .map(|entry| {
                STANDARD
                    .decode(entry["ciphertext"].as_str().expect("b64"))
                    .expect("b64")
            })
    }

    /// Decrypts one delivered message (as the server sends it) with `ciphertext`, this
    /// device's entry.
    pub fn decrypt(
        &mut self,
        message: &Value,
        ciphertext: Vec<u8>,
    ) -> Result<Received, CryptoError> {
        let conversation_id = uuid_of(&message["conversation_id"]);
        let sender_device_id = uuid_of(&message["sender_device_id"]);
        let plaintext = match ciphertext.first() {
            Some(&MESSAGE_VERSION) | Some(&PREKEY_MESSAGE_VERSION) => {
                self.open_pairwise(sender_device_id, &ciphertext)?
            }
            _ => self.open_group(conversation_id, sender_device_id, &ciphertext)?,
        };
        let content: Value = serde_json::from_slice(&plaintext).expect("JSON content");
        if content["kind"] == "sender_key" {
            let bytes = STANDARD
                .decode(content["distribution"].as_str().expect("distribution"))
                .expect("b64");
            let distribution = SenderKeyDistribution::from_bytes(&bytes)?;
            let key = (conversation_id, sender_device_id);
            // The same chain again keeps the stored key: replacing it would rewind the chain
            // and let old messages be replayed.
            if !self
                .inbound
                .get(&key)
                .is_some_and(|stored| stored.matches(&distribution))
            {
                self.inbound
                    .insert(key, InboundSenderKey::from_distribution(&distribution));
            }
        }
        Ok(Received {
            conversation_id,
            author_id: uuid_of(&message["author_id"]),
            sender_device_id,
            ciphertext,
            content,
            attachments: message["attachments"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        })
    }

    fn open_pairwise(&mut self, sender: Uuid, bytes: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match Ciphertext::parse(bytes)? {
            Ciphertext::PreKey(prekey) => {
                if let Some(pairwise) = self.sessions.get_mut(&sender)
                    && pairwise.accepted_base_key == Some(prekey.base_key)
                {
                    return pairwise.ratchet.decrypt(&prekey.message);
                }
                if self.signed_prekey.id != prekey.signed_prekey_id {
                    return Err(CryptoError::PreKeyMismatch);
                }
                let one_time = match prekey.one_time_prekey_id {
                    Some(id) => Some(
                        self.one_time_prekeys
                            .get(&id)
                            .ok_or(CryptoError::PreKeyMismatch)?,
                    ),
                    None => None,
                };
                let (ratchet, plaintext) =
                    prekey.accept(&self.identity, &self.signed_prekey, one_time)?;
                if let Some(id) = prekey.one_time_prekey_id {
                    self.one_time_prekeys.remove(&id);
                }
                self.sessions.insert(
                    sender,
                    Pairwise {
                        ratchet,
                        pending: None,
                        accepted_base_key: Some(prekey.base_key),
                    },
                );
                Ok(plaintext)
            }
            Ciphertext::Message(message) => {
                let pairwise = self
                    .sessions
                    .get_mut(&sender)
                    .ok_or(CryptoError::MalformedMessage("no session with this device"))?;
                let plaintext = pairwise.ratchet.decrypt(&message)?;
                // The peer answered, so it has the session: plain messages from now on.
                pairwise.pending = None;
                Ok(plaintext)
            }
        }
    }

    /// Decrypts a group message with the sender's key for this conversation.
    pub fn open_group(
        &mut self,
        conversation_id: Uuid,
        sender: Uuid,
        bytes: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let message = SenderKeyMessage::from_bytes(bytes)?;
        self.inbound
            .get_mut(&(conversation_id, sender))
            .ok_or(CryptoError::UnknownSenderKeyChain)?
            .decrypt(&message)
    }
}

/// Encrypts `file` for a conversation, uploads the ciphertext and returns the attachment id
/// with the content to send (key and digest travel only inside the encrypted message).
pub async fn upload_encrypted(
    app: &TestApp,
    token: &str,
    file: &[u8],
    name: &str,
) -> (Uuid, Value) {
    let sealed = attachment::encrypt(file, &mut OsRng).expect("encrypt file");
    let response = app
        .http
        .post(app.url("/api/v1/attachments"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(sealed.blob)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("JSON");
    let attachment_id = uuid_of(&body["attachment_id"]);
    let content = json!({
        "kind": "file",
        "attachment_id": attachment_id,
        "name": name,
        "key": b64(sealed.key.as_bytes()),
        "digest": b64(&sealed.digest),
    });
    (attachment_id, content)
}

/// Downloads the attachment a file content names and decrypts it.
pub async fn download_decrypted(app: &TestApp, token: &str, content: &Value) -> Vec<u8> {
    let id = content["attachment_id"].as_str().expect("attachment id");
    let response = app
        .http
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status().as_u16(), 200);
    let blob = response.bytes().await.expect("body");
    let key: [u8; attachment::KEY_LEN] = decode_b64(&content["key"]).try_into().expect("key");
    let digest: [u8; attachment::MAC_LEN] =
        decode_b64(&content["digest"]).try_into().expect("digest");
    attachment::decrypt(&AttachmentKey::from_bytes(key), &blob, &digest)
        .expect("decrypt file")
        .to_vec()
}

/// Fails if any table of the test database, or any stored attachment, holds one of
/// `plaintexts` — as text or as the hex PostgreSQL prints for bytes.
pub async fn assert_no_plaintext_stored(app: &TestApp, plaintexts: &[&[u8]]) {
    use sqlx::{Connection, PgConnection};
    let mut conn = PgConnection::connect(app.env.config.database.url.expose())
        .await
        .expect("connect");
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select table_schema::text, table_name::text from information_schema.tables \
          where table_type = 'BASE TABLE' \
            and table_schema not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list tables");
    assert!(
        tables.len() > 5,
        "expected the services' tables, got {tables:?}"
    );
    let mut dump = String::new();
    for (schema, table) in &tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("select t::text from \"{schema}\".\"{table}\" t"))
                .fetch_all(&mut conn)
                .await
                .expect("dump table");
        for row in rows {
            dump.push_str(&row);
            dump.push('\n');
        }
    }
    let mut stored_files = Vec::new();
    collect_files(
        std::path::Path::new(&app.env.config.attachments.store),
        &mut stored_files,
    );
    for plaintext in plaintexts {
        let text = String::from_utf8_lossy(plaintext);
        let hex: String = plaintext.iter().map(|byte| format!("{byte:02x}")).collect();
        assert!(
            !dump.contains(text.as_ref()),
            "plaintext {text:?} found in the database"
        );
        assert!(
            !dump.contains(&hex),
            "plaintext {text:?} found (as hex) in the database"
        );
        for file in &stored_files {
            assert!(
                !file
                    .windows(plaintext.len())
                    .any(|window| window == *plaintext),
                "plaintext {text:?} found in a stored attachment"
            );
        }
    }
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push(bytes);
        }
    }
}

fn parse_bundle(body: &Value) -> PreKeyBundle {
    let key = |value: &Value| PublicKey::decode(&decode_b64(value)).expect("public key");
    let signature: [u8; 64] = decode_b64(&body["signed_prekey"]["signature"])
        .try_into()
        .expect("signature");
    let one_time = &body["one_time_prekey"];
    PreKeyBundle {
        identity_key: key(&body["identity_key"]),
        signed_prekey_id: u32::try_from(body["signed_prekey"]["key_id"].as_u64().expect("id"))
            .expect("u32"),
        signed_prekey: key(&body["signed_prekey"]["public_key"]),
        signed_prekey_signature: signature,
        one_time_prekey: (!one_time.is_null()).then(|| {
            let id = u32::try_from(one_time["key_id"].as_u64().expect("id")).expect("u32");
            (id, key(&one_time["public_key"]))
        }),
    }
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn decode_b64(value: &Value) -> Vec<u8> {
    STANDARD
        .decode(value.as_str().expect("base64 string"))
        .expect("base64")
}
