//! Which identity key each contact device had: trust on first use, verified contacts, and the
//! warning when a known contact's key changes (see `chatalot_crypto::trust`). The record is a
//! state buffer like the others; every call that changes it returns the new one.

use chatalot_crypto::state;
use chatalot_crypto::trust::{KnownIdentities, Trust};
use wasm_bindgen::prelude::wasm_bindgen;

use crate::encoding::{public_key_from_base64, public_key_to_base64};
use crate::error::Error;

/// The answer to [`observe_identity`].
#[wasm_bindgen]
pub struct TrustCheck {
    trust: &'static str,
    previous_identity_key: Option<String>,
    was_verified: bool,
    state: Vec<u8>,
}

#[wasm_bindgen]
impl TrustCheck {
    /// `"first_use"`, `"trusted"`, `"verified"` or `"changed"` (warn the user).
    #[wasm_bindgen(getter)]
    pub fn trust(&self) -> String {
        self.trust.to_owned()
    }

    /// For `"changed"`: the key that is still trusted (base64).
    #[wasm_bindgen(getter, js_name = previousIdentityKey)]
    pub fn previous_identity_key(&self) -> Option<String> {
        self.previous_identity_key.clone()
    }

    /// For `"changed"`: whether the user had verified the previous key.
    #[wasm_bindgen(getter, js_name = wasVerified)]
    pub fn was_verified(&self) -> bool {
        self.was_verified
    }

    /// The updated record to store.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.clone()
    }
}

/// An empty record.
#[wasm_bindgen(js_name = newKnownIdentities)]
pub fn new_known_identities() -> Result<Vec<u8>, Error> {
    Ok(state::encode(&KnownIdentities::new())?.to_vec())
}

/// Records that `contact` (the client's name for a device, e.g. `"<user id>/<device id>"`)
/// presented `identity_key`, and says how to treat it.
#[wasm_bindgen(js_name = observeIdentity)]
pub fn observe_identity(
    known_state: &[u8],
    contact: &str,
    identity_key: &str,
) -> Result<TrustCheck, Error> {
    let mut known: KnownIdentities = state::decode(known_state)?;
    let key = public_key_from_base64(identity_key, "identity key")?;
    let (trust, previous_identity_key, was_verified) = match known.observe(contact, &key) {
        Trust::FirstUse => ("first_use", None, false),
        Trust::Trusted => ("trusted", None, false),
        Trust::Verified => ("verified", None, true),
        Trust::Changed {
            previous,
            was_verified,
        } => (
            "changed",
            Some(public_key_to_base64(&previous)),
            was_verified,
        ),
    };
    Ok(TrustCheck {
        trust,
        previous_identity_key,
        was_verified,
        state: state::encode(&known)?.to_vec(),
    })
}

/// The user accepted `contact`'s new key (the one last observed); throws `no_pending_change`
/// otherwise. The key is trusted but no longer verified.
#[wasm_bindgen(js_name = acceptIdentityChange)]
pub fn accept_identity_change(
    known_state: &[u8],
    contact: &str,
    identity_key: &str,
) -> Result<Vec<u8>, Error> {
    let mut known: KnownIdentities = state::decode(known_state)?;
    let key = public_key_from_base64(identity_key, "identity key")?;
    if !known.accept_change(contact, &key) {
        return Err(Error::new(
            "no_pending_change",
            "this key is not a pending change of this contact's identity",
        ));
    }
    Ok(state::encode(&known)?.to_vec())
}

/// The user compared safety numbers made from `identity_key`: marks it verified; throws
/// `not_trusted_key` when it is not the contact's trusted key.
#[wasm_bindgen(js_name = markIdentityVerified)]
pub fn mark_identity_verified(
    known_state: &[u8],
    contact: &str,
    identity_key: &str,
) -> Result<Vec<u8>, Error> {
    let mut known: KnownIdentities = state::decode(known_state)?;
    let key = public_key_from_base64(identity_key, "identity key")?;
    if !known.mark_verified(contact, &key) {
        return Err(Error::new(
            "not_trusted_key",
            "only the contact's trusted key (no change pending) can be verified",
        ));
    }
    Ok(state::encode(&known)?.to_vec())
}
