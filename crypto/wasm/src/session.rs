//! Pairwise sessions: X3DH from a fetched bundle, then the Double Ratchet.
//!
//! A session's state is the crate's [`Session`] plus, on the initiator's side until the first
//! reply arrives, what X3DH needs on the other end: until then every message goes out as a
//! prekey message, so whichever arrives first lets the responder build the session.
//!
//! Receiving: with a session for the sending device, call [`decrypt`] (it takes both kinds of
//! message). Without one, [`ciphertext_info`] names the prekeys to load and
//! [`accept_prekey_message`] builds the session. A prekey message that an existing session
//! cannot decrypt (the peer started over) can also be accepted; the new session replaces the old.

use chatalot_crypto::keys::{IdentityKeyPair, OneTimePreKey, PublicKey, SignedPreKey};
use chatalot_crypto::prekey_message::{Ciphertext, PreKeyMessage};
use chatalot_crypto::ratchet::Session;
use chatalot_crypto::state::{self, Stored};
use chatalot_crypto::x3dh;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use zeroize::Zeroizing;

use crate::encoding::public_key_to_base64;
use crate::error::Error;
use crate::prekeys::parse_bundle;

/// What this binding stores for one session.
#[derive(Serialize, Deserialize)]
struct WebSession {
    session: Session,
    /// Set on the initiator's side until a message from the peer decrypted.
    pending: Option<PendingPreKey>,
}

/// The X3DH fields every initiator message carries until the peer answered.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct PendingPreKey {
    identity_key: PublicKey,
    base_key: PublicKey,
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
}

/// Stored with the crate's versioned encoding under a kind of this binding's own: the crate's
/// kinds are small numbers, kinds with the high bit set belong to this binding.
impl Stored for WebSession {
    const KIND: u8 = 0x81;
    fn encoded_size_hint(&self) -> usize {
        self.session.encoded_size_hint() + 96
    }
}

/// A message encrypted and the state to keep from now on.
#[wasm_bindgen]
pub struct Encrypted {
    pub(crate) state: Zeroizing<Vec<u8>>,
    pub(crate) ciphertext: Vec<u8>,
}

#[wasm_bindgen]
impl Encrypted {
    /// The updated state; the one passed in must not be used again.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }

    /// The bytes to send.
    #[wasm_bindgen(getter)]
    pub fn ciphertext(&self) -> Vec<u8> {
        self.ciphertext.clone()
    }
}

/// A message decrypted and the state to keep from now on.
#[wasm_bindgen]
pub struct Decrypted {
    pub(crate) state: Zeroizing<Vec<u8>>,
    pub(crate) plaintext: Zeroizing<Vec<u8>>,
}

#[wasm_bindgen]
impl Decrypted {
    /// The updated state; the one passed in must not be used again.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }

    /// The message.
    #[wasm_bindgen(getter)]
    pub fn plaintext(&self) -> Vec<u8> {
        self.plaintext.to_vec()
    }
}

/// A session started from a prekey message, and that message's plaintext.
#[wasm_bindgen]
pub struct Accepted {
    state: Zeroizing<Vec<u8>>,
    plaintext: Zeroizing<Vec<u8>>,
    identity_key: String,
    one_time_prekey_id: Option<u32>,
}

#[wasm_bindgen]
impl Accepted {
    /// The new session's state.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }

    /// The first message.
    #[wasm_bindgen(getter)]
    pub fn plaintext(&self) -> Vec<u8> {
        self.plaintext.to_vec()
    }

    /// The sender's base64 identity key: check it is the device's published one.
    #[wasm_bindgen(getter, js_name = identityKey)]
    pub fn identity_key(&self) -> String {
        self.identity_key.clone()
    }

    /// The one-time prekey the sender used, to delete now; `undefined` if none.
    #[wasm_bindgen(getter, js_name = oneTimePreKeyId)]
    pub fn one_time_prekey_id(&self) -> Option<u32> {
        self.one_time_prekey_id
    }
}

/// What an incoming message needs, read before decrypting.
#[wasm_bindgen]
pub struct CiphertextInfo {
    prekey: Option<PreKeyMessage>,
}

#[wasm_bindgen]
impl CiphertextInfo {
    /// True for a prekey message (one that can start a session).
    #[wasm_bindgen(getter, js_name = isPreKey)]
    pub fn is_prekey(&self) -> bool {
        self.prekey.is_some()
    }

    /// The sender's base64 identity key (prekey messages only).
    #[wasm_bindgen(getter, js_name = identityKey)]
    pub fn identity_key(&self) -> Option<String> {
        self.prekey
            .as_ref()
            .map(|message| public_key_to_base64(&message.identity_key))
    }

    /// The id of the signed prekey to load (prekey messages only).
    #[wasm_bindgen(getter, js_name = signedPreKeyId)]
    pub fn signed_prekey_id(&self) -> Option<u32> {
        self.prekey.as_ref().map(|message| message.signed_prekey_id)
    }

    /// The id of the one-time prekey to load, if the sender used one.
    #[wasm_bindgen(getter, js_name = oneTimePreKeyId)]
    pub fn one_time_prekey_id(&self) -> Option<u32> {
        self.prekey
            .as_ref()
            .and_then(|message| message.one_time_prekey_id)
    }
}

/// Starts a session with the device whose bundle (the keys API's JSON text) is given. Checks
/// the signed prekey's signature; returns the session state. Send with [`encrypt`].
#[wasm_bindgen(js_name = initiateSession)]
pub fn initiate_session(identity_state: &[u8], bundle_json: &str) -> Result<Vec<u8>, Error> {
    let identity: IdentityKeyPair = state::decode(identity_state)?;
    let bundle = parse_bundle(bundle_json)?;
    let initiation = x3dh::initiate(&identity, &bundle, &mut OsRng)?;
    let pending = PendingPreKey {
        identity_key: *identity.public_key(),
        base_key: initiation.ephemeral_public,
        signed_prekey_id: bundle.signed_prekey_id,
        one_time_prekey_id: initiation.used_one_time_prekey_id,
    };
    let session = Session::initiator(
        initiation.shared_secret,
        initiation.associated_data,
        bundle.signed_prekey,
        &mut OsRng,
    )?;
    let record = WebSession {
        session,
        pending: Some(pending),
    };
    Ok(state::encode(&record)?.to_vec())
}

/// Encrypts one message in the session.
#[wasm_bindgen]
pub fn encrypt(session_state: &[u8], plaintext: &[u8]) -> Result<Encrypted, Error> {
    let mut record: WebSession = state::decode(session_state)?;
    let message = record.session.encrypt(plaintext, &mut OsRng)?;
    let ciphertext = match record.pending {
        Some(pending) => PreKeyMessage {
            identity_key: pending.identity_key,
            base_key: pending.base_key,
            signed_prekey_id: pending.signed_prekey_id,
            one_time_prekey_id: pending.one_time_prekey_id,
            message,
        }
        .to_bytes(),
        None => message.to_bytes(),
    };
    Ok(Encrypted {
        state: state::encode(&record)?,
        ciphertext,
    })
}

/// Decrypts a message (of either kind) in an existing session.
#[wasm_bindgen]
pub fn decrypt(session_state: &[u8], ciphertext: &[u8]) -> Result<Decrypted, Error> {
    let mut record: WebSession = state::decode(session_state)?;
    let message = match Ciphertext::parse(ciphertext)? {
        Ciphertext::Message(message) => message,
        Ciphertext::PreKey(prekey) => prekey.message,
    };
    let plaintext = Zeroizing::new(record.session.decrypt(&message)?);
    // The peer has the session now: later messages need no X3DH fields.
    record.pending = None;
    Ok(Decrypted {
        state: state::encode(&record)?,
        plaintext,
    })
}

/// Reads which kind of message `ciphertext` is and, for a prekey message, which keys it needs.
#[wasm_bindgen(js_name = ciphertextInfo)]
pub fn ciphertext_info(ciphertext: &[u8]) -> Result<CiphertextInfo, Error> {
    let prekey = match Ciphertext::parse(ciphertext)? {
        Ciphertext::Message(_) => None,
        Ciphertext::PreKey(prekey) => Some(prekey),
    };
    Ok(CiphertextInfo { prekey })
}

/// The responder's side: builds the session from a prekey message with the stored identity
/// and the prekeys it names (see `ciphertextInfo`), and decrypts it. Nothing is created
/// unless the message authenticates.
#[wasm_bindgen(js_name = acceptPreKeyMessage)]
pub fn accept_prekey_message(
    identity_state: &[u8],
    signed_prekey_state: &[u8],
    one_time_prekey_state: Option<Vec<u8>>,
    ciphertext: &[u8],
) -> Result<Accepted, Error> {
    let Ciphertext::PreKey(message) = Ciphertext::parse(ciphertext)? else {
        return Err(Error::new(
            "not_prekey_message",
            "not a prekey message: decrypt it in the existing session",
        ));
    };
    let identity: IdentityKeyPair = state::decode(identity_state)?;
    let signed_prekey: SignedPreKey = state::decode(signed_prekey_state)?;
    let one_time_prekey: Option<OneTimePreKey> = one_time_prekey_state
        .map(|bytes| state::decode(&Zeroizing::new(bytes)))
        .transpose()?;
    let (session, plaintext) =
        message.accept(&identity, &signed_prekey, one_time_prekey.as_ref())?;
    let plaintext = Zeroizing::new(plaintext);
    let record = WebSession {
        session,
        pending: None,
    };
    Ok(Accepted {
        state: state::encode(&record)?,
        plaintext,
        identity_key: public_key_to_base64(&message.identity_key),
        one_time_prekey_id: message.one_time_prekey_id,
    })
}
