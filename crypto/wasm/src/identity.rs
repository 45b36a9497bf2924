//! A device's long-term identity.

use chatalot_crypto::keys::IdentityKeyPair;
use chatalot_crypto::state;
use rand_core::OsRng;
use wasm_bindgen::prelude::wasm_bindgen;
use zeroize::Zeroizing;

use crate::encoding::public_key_to_base64;
use crate::error::Error;

/// A new identity: its public key to publish and its state to keep.
#[wasm_bindgen]
pub struct Identity {
    identity_key: String,
    state: Zeroizing<Vec<u8>>,
}

#[wasm_bindgen]
impl Identity {
    /// Base64 of the 33-byte public identity key (the keys API's `identity_key`).
    #[wasm_bindgen(getter, js_name = identityKey)]
    pub fn identity_key(&self) -> String {
        self.identity_key.clone()
    }

    /// The identity's stored state (holds the private key: keep it secret).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }
}

/// Draws a new identity key pair.
#[wasm_bindgen(js_name = createIdentity)]
pub fn create_identity() -> Result<Identity, Error> {
    let identity = IdentityKeyPair::generate(&mut OsRng);
    Ok(Identity {
        identity_key: public_key_to_base64(identity.public_key()),
        state: state::encode(&identity)?,
    })
}

/// The base64 public identity key of a stored identity.
#[wasm_bindgen(js_name = identityKey)]
pub fn identity_key(identity_state: &[u8]) -> Result<String, Error> {
    let identity: IdentityKeyPair = state::decode(identity_state)?;
    Ok(public_key_to_base64(identity.public_key()))
}
