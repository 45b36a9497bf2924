//! The key derivations of the protocol, in one place so their labels and lengths can be audited.
//!
//! - X3DH: HKDF-SHA256, salt 32 zero bytes, IKM `0xFF×32 ‖ DH1 ‖ … ‖ DHn`, info `Chatalot_X3DH`.
//! - Root chain: HKDF-SHA256, salt = root key, IKM = DH output, info `Chatalot_Ratchet`, 64 bytes
//!   split into the new root key and a chain key.
//! - Symmetric chain: message key = HMAC-SHA256(CK, 0x01), next chain key = HMAC-SHA256(CK, 0x02).
//! - Message keys: HKDF-SHA256, salt 32 zero bytes, IKM = message key, info
//!   `Chatalot_MessageKeys`, 80 bytes split into AES-256 key, HMAC key and CBC IV.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{CryptoError, Result};

/// HKDF info of the X3DH key derivation.
pub const X3DH_INFO: &[u8] = b"Chatalot_X3DH";
/// HKDF info of the root-chain derivation.
pub const RATCHET_INFO: &[u8] = b"Chatalot_Ratchet";
/// HKDF info of the per-message key expansion.
pub const MESSAGE_KEYS_INFO: &[u8] = b"Chatalot_MessageKeys";

const MESSAGE_KEY_SEED: u8 = 0x01;
const CHAIN_KEY_SEED: u8 = 0x02;

/// A 32-byte secret (root, chain or message key). Zeroized on drop; `Debug` never prints it.
#[derive(Clone, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
pub struct SecretKey([u8; 32]);

/// Constant time, so comparing secrets never leaks how many leading bytes matched.
impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for SecretKey {}

impl SecretKey {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The three keys one message key expands to.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MessageKeys {
    /// AES-256-CBC key.
    pub cipher_key: [u8; 32],
    /// HMAC-SHA256 key.
    pub mac_key: [u8; 32],
    /// CBC initialisation vector.
    pub iv: [u8; 16],
}

/// HKDF-SHA256 expand into `out`.
pub(crate) fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| CryptoError::KeyDerivation)
}

/// HMAC-SHA256 of `parts` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32]> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| CryptoError::KeyDerivation)?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// X3DH's KDF: the 32-byte shared secret from the concatenated DH outputs.
pub fn x3dh_secret(dh_outputs: &[&[u8; 32]]) -> Result<SecretKey> {
    // 0xFF×32 first: the curve-specific prefix the X3DH spec requires for X25519.
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 * (dh_outputs.len() + 1)));
    ikm.extend_from_slice(&[0xff; 32]);
    for dh in dh_outputs {
        ikm.extend_from_slice(dh.as_slice());
    }
    let mut out = SecretKey([0; 32]);
    hkdf_sha256(&[0; 32], &ikm, X3DH_INFO, &mut out.0)?;
    Ok(out)
}

/// `KDF_RK(rk, dh_out)`: the next root key and a fresh chain key.
pub fn root_step(root_key: &SecretKey, dh_output: &[u8; 32]) -> Result<(SecretKey, SecretKey)> {
    let mut okm = Zeroizing::new([0u8; 64]);
    hkdf_sha256(&root_key.0, dh_output, RATCHET_INFO, okm.as_mut())?;
    let mut root = SecretKey([0; 32]);
    let mut chain = SecretKey([0; 32]);
    root.0.copy_from_slice(&okm[..32]);
    chain.0.copy_from_slice(&okm[32..]);
    Ok((root, chain))
}

/// `KDF_CK(ck)`: the next chain key and this step's message key.
pub fn chain_step(chain_key: &SecretKey) -> Result<(SecretKey, SecretKey)> {
    let message_key = SecretKey(hmac_sha256(&chain_key.0, &[&[MESSAGE_KEY_SEED]])?);
    let next_chain_key = SecretKey(hmac_sha256(&chain_key.0, &[&[CHAIN_KEY_SEED]])?);
    Ok((next_chain_key, message_key))
}

/// Expands a message key into cipher key, MAC key and IV.
pub fn message_keys(message_key: &SecretKey) -> Result<MessageKeys> {
    let mut okm = Zeroizing::new([0u8; 80]);
    hkdf_sha256(&[0; 32], &message_key.0, MESSAGE_KEYS_INFO, okm.as_mut())?;
    let mut keys = MessageKeys {
        cipher_key: [0; 32],
        mac_key: [0; 32],
        iv: [0; 16],
    };
    keys.cipher_key.copy_from_slice(&okm[..32]);
    keys.mac_key.copy_from_slice(&okm[32..64]);
    keys.iv.copy_from_slice(&okm[64..]);
    Ok(keys)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn chain_step_matches_hmac_definition() {
        let ck = SecretKey([7; 32]);
        let (next, mk) = chain_step(&ck).unwrap();
        assert_eq!(mk.0, hmac_sha256(&[7; 32], &[&[1]]).unwrap());
        assert_eq!(next.0, hmac_sha256(&[7; 32], &[&[2]]).unwrap());
        assert_ne!(next, mk);
    }

    #[test]
    fn root_step_splits_hkdf_output() {
        let (root, chain) = root_step(&SecretKey([1; 32]), &[2; 32]).unwrap();
        let mut okm = [0u8; 64];
        Hkdf::<Sha256>::new(Some(&[1; 32]), &[2; 32])
            .expand(RATCHET_INFO, &mut okm)
            .unwrap();
        assert_eq!(root.0, okm[..32]);
        assert_eq!(chain.0, okm[32..]);
    }

    #[test]
    fn message_keys_split_hkdf_output() {
        let keys = message_keys(&SecretKey([3; 32])).unwrap();
        let mut okm = [0u8; 80];
        Hkdf::<Sha256>::new(Some(&[0; 32]), &[3; 32])
            .expand(MESSAGE_KEYS_INFO, &mut okm)
            .unwrap();
        assert_eq!(keys.cipher_key, okm[..32]);
        assert_eq!(keys.mac_key, okm[32..64]);
        assert_eq!(keys.iv, okm[64..]);
    }

    #[test]
    fn x3dh_secret_prefixes_ff_bytes() {
        let secret = x3dh_secret(&[&[4; 32], &[5; 32]]).unwrap();
        let mut ikm = vec![0xff; 32];
        ikm.extend_from_slice(&[4; 32]);
        ikm.extend_from_slice(&[5; 32]);
        let mut okm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&[0; 32]), &ikm)
            .expand(X3DH_INFO, &mut okm)
            .unwrap();
        assert_eq!(secret.0, okm);
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        assert_eq!(format!("{:?}", SecretKey([9; 32])), "SecretKey(<redacted>)");
    }
}
