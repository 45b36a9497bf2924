//! Prekeys: generated here, published through the keys API in its JSON shape, and parsed back
//! from a fetched bundle.
//!
//! The JSON matches `shared::contracts::keys`: `{"key_id", "public_key", "signature"}` for a
//! signed prekey, `{"key_id", "public_key"}` for a one-time prekey, and a bundle
//! `{"identity_key", "signed_prekey", "one_time_prekey"}` (other fields, such as `device_id`,
//! are ignored).

use chatalot_crypto::keys::{IdentityKeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey};
use chatalot_crypto::state;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use zeroize::Zeroizing;

use crate::encoding::{
    public_key_from_base64, public_key_to_base64, signature_from_base64, to_base64,
};
use crate::error::Error;

#[derive(Serialize, Deserialize)]
struct SignedPreKeyJson {
    key_id: u32,
    public_key: String,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct OneTimePreKeyJson {
    key_id: u32,
    public_key: String,
}

#[derive(Deserialize)]
struct BundleJson {
    identity_key: String,
    signed_prekey: SignedPreKeyJson,
    #[serde(default)]
    one_time_prekey: Option<OneTimePreKeyJson>,
}

/// A new prekey: the public part as JSON for the keys API and the state to keep.
#[wasm_bindgen]
pub struct GeneratedPreKey {
    public_json: String,
    state: Zeroizing<Vec<u8>>,
}

#[wasm_bindgen]
impl GeneratedPreKey {
    /// JSON text of the public part, in the keys API's shape (`JSON.parse` it into a request).
    #[wasm_bindgen(getter, js_name = publicJson)]
    pub fn public_json(&self) -> String {
        self.public_json.clone()
    }

    /// The prekey's stored state (holds the private key), to find again by its key id.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }
}

fn json(value: &impl Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|error| Error::new("internal", error.to_string()))
}

/// A signed prekey with id `key_id`, signed by the stored identity.
#[wasm_bindgen(js_name = generateSignedPreKey)]
pub fn generate_signed_prekey(
    identity_state: &[u8],
    key_id: u32,
) -> Result<GeneratedPreKey, Error> {
    let identity: IdentityKeyPair = state::decode(identity_state)?;
    let prekey = SignedPreKey::generate(key_id, &identity, &mut OsRng);
    Ok(GeneratedPreKey {
        public_json: json(&SignedPreKeyJson {
            key_id,
            public_key: public_key_to_base64(prekey.key_pair.public_key()),
            signature: to_base64(&prekey.signature),
        })?,
        state: state::encode(&prekey)?,
    })
}

/// A one-time prekey with id `key_id`.
#[wasm_bindgen(js_name = generateOneTimePreKey)]
pub fn generate_one_time_prekey(key_id: u32) -> Result<GeneratedPreKey, Error> {
    let prekey = OneTimePreKey::generate(key_id, &mut OsRng);
    Ok(GeneratedPreKey {
        public_json: json(&OneTimePreKeyJson {
            key_id,
            public_key: public_key_to_base64(prekey.key_pair.public_key()),
        })?,
        state: state::encode(&prekey)?,
    })
}

/// Parses a bundle as the keys API returns it. The signature is checked later, by X3DH.
pub(crate) fn parse_bundle(bundle_json: &str) -> Result<PreKeyBundle, Error> {
    let bundle: BundleJson = serde_json::from_str(bundle_json)
        .map_err(|error| Error::new("invalid_json", format!("prekey bundle: {error}")))?;
    let one_time_prekey = match bundle.one_time_prekey {
        Some(key) => Some((
            key.key_id,
            public_key_from_base64(&key.public_key, "one_time_prekey.public_key")?,
        )),
        None => None,
    };
    Ok(PreKeyBundle {
        identity_key: public_key_from_base64(&bundle.identity_key, "identity_key")?,
        signed_prekey_id: bundle.signed_prekey.key_id,
        signed_prekey: public_key_from_base64(
            &bundle.signed_prekey.public_key,
            "signed_prekey.public_key",
        )?,
        signed_prekey_signature: signature_from_base64(
            &bundle.signed_prekey.signature,
            "signed_prekey.signature",
        )?,
        one_time_prekey,
    })
}
