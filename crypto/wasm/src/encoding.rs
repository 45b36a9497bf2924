//! Base64 (standard, padded, as the keys API uses) of keys and signatures.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatalot_crypto::keys::{PublicKey, SIGNATURE_LEN};

use crate::error::Error;

pub(crate) fn to_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn from_base64(text: &str, what: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(text)
        .map_err(|error| Error::new("invalid_base64", format!("{what}: {error}")))
}

/// `Encode(PK)` in base64.
pub(crate) fn public_key_to_base64(key: &PublicKey) -> String {
    to_base64(&key.encode())
}

/// Base64 of `Encode(PK)`: 33 bytes starting with 0x05.
pub(crate) fn public_key_from_base64(text: &str, what: &str) -> Result<PublicKey, Error> {
    PublicKey::decode(&from_base64(text, what)?)
        .map_err(|error| Error::new("invalid_public_key", format!("{what}: {error}")))
}

/// Base64 of a 64-byte signature.
pub(crate) fn signature_from_base64(text: &str, what: &str) -> Result<[u8; SIGNATURE_LEN], Error> {
    <[u8; SIGNATURE_LEN]>::try_from(from_base64(text, what)?.as_slice()).map_err(|_| {
        Error::new(
            "invalid_signature",
            format!("{what}: a signature is {SIGNATURE_LEN} bytes"),
        )
    })
}
