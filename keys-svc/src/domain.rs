//! Validated key material. Keys arrive as standard base64; each parser checks the decoded
//! length (and the key type byte) and names the offending field in its `invalid_request`.

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_shared::{
    ApiError,
    contracts::keys::{MAX_ONE_TIME_PREKEYS_PER_UPLOAD, OneTimePreKey, SignedPreKey},
};
use std::collections::HashSet;

/// The type byte of a Curve25519 public key in libsignal's encoding.
const DJB_TYPE: u8 = 0x05;

/// The longest device name, in characters.
const MAX_DEVICE_NAME_CHARS: usize = 64;

/// A Curve25519 public key as sent on the wire: `0x05` then 32 key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey([u8; 33]);

impl PublicKey {
    pub fn parse(field: &str, value: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::invalid_request(format!(
                "{field} must be standard base64 of 33 bytes: 0x05 then a canonical 32-byte \
                 X25519 key (little-endian, below 2^255 - 19)"
            ))
        };
        let bytes = STANDARD.decode(value).map_err(|_| invalid())?;
        let encoded: [u8; 33] = bytes.try_into().map_err(|_| invalid())?;
        // The same rule clients apply (chatalot-crypto): a key they would refuse is not stored.
        chatalot_crypto::keys::PublicKey::decode(&encoded).map_err(|_| invalid())?;
        Ok(Self(encoded))
    }

    /// Rebuilds a key stored by [`PublicKey::encoded`].
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        let encoded: [u8; 33] = bytes.try_into().ok()?;
        (encoded[0] == DJB_TYPE).then_some(Self(encoded))
    }

    /// The 33 bytes as stored and signed.
    pub fn encoded(&self) -> &[u8; 33] {
        &self.0
    }

    /// The 32 X25519 key bytes.
    pub fn key(&self) -> [u8; 32] {
        let mut key = [0u8; 32];
        key.copy_from_slice(&self.0[1..]);
        key
    }
}

/// A 64-byte XEdDSA signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    pub fn parse(field: &str, value: &str) -> Result<Self, ApiError> {
        let invalid =
            || ApiError::invalid_request(format!("{field} must be standard base64 of 64 bytes"));
        let bytes = STANDARD.decode(value).map_err(|_| invalid())?;
        Ok(Self(bytes.try_into().map_err(|_| invalid())?))
    }
}

/// A device name: 1 to 64 characters after trimming, no control characters.
pub fn parse_device_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_DEVICE_NAME_CHARS {
        return Err(ApiError::invalid_request(format!(
            "name must be 1 to {MAX_DEVICE_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid_request(
            "name must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

/// A signed prekey whose encoding is valid (its signature is checked separately).
#[derive(Debug, Clone, Copy)]
pub struct ParsedSignedPreKey {
    pub key_id: u32,
    pub public_key: PublicKey,
    pub signature: Signature,
}

impl ParsedSignedPreKey {
    pub fn parse(key_id: u32, public_key: &str, signature: &str) -> Result<Self, ApiError> {
        Ok(Self {
            key_id,
            public_key: PublicKey::parse("signed_prekey.public_key", public_key)?,
            signature: Signature::parse("signed_prekey.signature", signature)?,
        })
    }

    pub fn from_contract(key: &SignedPreKey) -> Result<Self, ApiError> {
        Self::parse(key.key_id, &key.public_key, &key.signature)
    }
}

/// One-time prekeys of one upload: at most 100 (at least `min`), distinct key ids.
pub fn parse_one_time_prekeys(
    keys: &[OneTimePreKey],
    min: usize,
) -> Result<Vec<(u32, PublicKey)>, ApiError> {
    if keys.len() < min || keys.len() > MAX_ONE_TIME_PREKEYS_PER_UPLOAD {
        return Err(ApiError::invalid_request(format!(
            "one_time_prekeys must hold {min} to {MAX_ONE_TIME_PREKEYS_PER_UPLOAD} keys"
        )));
    }
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter()
        .map(|key| {
            if !seen.insert(key.key_id) {
                return Err(ApiError::invalid_request(format!(
                    "one_time_prekeys: key_id {} appears twice",
                    key.key_id
                )));
            }
            let public_key = PublicKey::parse("one_time_prekeys[].public_key", &key.public_key)?;
            Ok((key.key_id, public_key))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_b64(first: u8, len: usize) -> String {
        let mut bytes = vec![7u8; len];
        if let Some(b) = bytes.first_mut() {
            *b = first;
        }
        STANDARD.encode(bytes)
    }

    #[test]
    fn public_keys_need_the_type_byte_and_33_bytes() {
        assert!(PublicKey::parse("k", &key_b64(5, 33)).is_ok());
        assert!(PublicKey::parse("k", &key_b64(5, 32)).is_err());
        assert!(PublicKey::parse("k", &key_b64(5, 34)).is_err());
        assert!(PublicKey::parse("k", &key_b64(6, 33)).is_err());
        let mut high_bit = [7u8; 33];
        high_bit[0] = 5;
        high_bit[32] = 0x87;
        assert!(
            PublicKey::parse("k", &STANDARD.encode(high_bit)).is_err(),
            "non-canonical keys (bit 255 set) are refused"
        );
        assert!(PublicKey::parse("k", "not base64!").is_err());
        let key = PublicKey::parse("k", &key_b64(5, 33)).map_err(|e| e.message);
        assert_eq!(key.map(|k| k.key()), Ok([7u8; 32]));
    }

    #[test]
    fn signatures_are_64_bytes() {
        assert!(Signature::parse("s", &STANDARD.encode([1u8; 64])).is_ok());
        assert!(Signature::parse("s", &STANDARD.encode([1u8; 63])).is_err());
    }

    #[test]
    fn device_names() {
        assert_eq!(
            parse_device_name("  Laptop ").ok().as_deref(),
            Some("Laptop")
        );
        assert!(parse_device_name("   ").is_err());
        assert!(parse_device_name(&"x".repeat(65)).is_err());
        assert!(parse_device_name("a\nb").is_err());
    }

    #[test]
    fn one_time_prekey_batches() {
        let key = |key_id| OneTimePreKey {
            key_id,
            public_key: key_b64(5, 33),
        };
        let hundred: Vec<_> = (0..100).map(key).collect();
        assert_eq!(
            parse_one_time_prekeys(&hundred, 1).map(|k| k.len()).ok(),
            Some(100)
        );
        let too_many: Vec<_> = (0..101).map(key).collect();
        assert!(parse_one_time_prekeys(&too_many, 1).is_err());
        assert!(parse_one_time_prekeys(&[], 1).is_err());
        assert!(parse_one_time_prekeys(&[], 0).is_ok());
        assert!(parse_one_time_prekeys(&[key(1), key(1)], 1).is_err());
    }
}
