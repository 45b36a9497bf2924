//! Files of encrypted conversations: encrypted before upload under a fresh key that travels only
//! inside the encrypted message (see `chatalot_crypto::attachment`).

use chatalot_crypto::attachment::{self, AttachmentKey, KEY_LEN, MAC_LEN};
use rand_core::OsRng;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::encoding::{from_base64, to_base64};
use crate::error::Error;

/// An encrypted file: upload `blob`; send `key` and `digest` inside the encrypted message.
#[wasm_bindgen]
pub struct EncryptedFile {
    blob: Vec<u8>,
    key: String,
    digest: String,
}

#[wasm_bindgen]
impl EncryptedFile {
    /// The bytes to upload (IV ‖ ciphertext ‖ MAC).
    #[wasm_bindgen(getter)]
    pub fn blob(&self) -> Vec<u8> {
        self.blob.clone()
    }

    /// Base64 of the 64-byte file key (secret: only inside an encrypted message).
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        self.key.clone()
    }

    /// Base64 of the blob's SHA-256 digest.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.digest.clone()
    }
}

/// Encrypts a file under a fresh key.
#[wasm_bindgen(js_name = encryptAttachment)]
pub fn encrypt_attachment(plaintext: &[u8]) -> Result<EncryptedFile, Error> {
    let sealed = attachment::encrypt(plaintext, &mut OsRng)?;
    Ok(EncryptedFile {
        key: to_base64(sealed.key.as_bytes()),
        digest: to_base64(&sealed.digest),
        blob: sealed.blob,
    })
}

/// Checks a downloaded blob against the digest and MAC, then decrypts it; any mismatch throws
/// `authentication_failed` and nothing is decrypted.
#[wasm_bindgen(js_name = decryptAttachment)]
pub fn decrypt_attachment(blob: &[u8], key: &str, digest: &str) -> Result<Vec<u8>, Error> {
    let key = <[u8; KEY_LEN]>::try_from(from_base64(key, "file key")?.as_slice())
        .map_err(|_| Error::new("invalid_key", format!("a file key is {KEY_LEN} bytes")))?;
    let digest = <[u8; MAC_LEN]>::try_from(from_base64(digest, "file digest")?.as_slice())
        .map_err(|_| {
            Error::new(
                "invalid_digest",
                format!("a file digest is {MAC_LEN} bytes"),
            )
        })?;
    let plaintext = attachment::decrypt(&AttachmentKey::from_bytes(key), blob, &digest)?;
    Ok(plaintext.to_vec())
}
