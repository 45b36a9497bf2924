//! Attachments of encrypted conversations: files encrypted on the sending device under a fresh
//! key that travels only inside the (end-to-end encrypted) message, so the server stores and
//! serves nothing but ciphertext.
//!
//! - Key: 64 random bytes, AES-256 key (32) ‖ HMAC-SHA256 key (32), new for every file.
//! - Blob (what is uploaded): IV (16, random) ‖ AES-256-CBC/PKCS#7 ciphertext ‖
//!   HMAC-SHA256(HMAC key, IV ‖ ciphertext) (32).
//! - Digest: SHA-256 of the whole blob, sent in the message beside the key. The recipient checks
//!   it first (the server cannot swap one blob for another), then the MAC in constant time, and
//!   only then decrypts.
//!
//! Signal encrypts attachments with the same construction; the layout here is Chatalot's own.

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{CryptoError, Result};
use crate::kdf;

/// Length of an [`AttachmentKey`].
pub const KEY_LEN: usize = 64;
/// Length of the blob's IV prefix.
pub const IV_LEN: usize = 16;
/// Length of the blob's MAC suffix and of the digest.
pub const MAC_LEN: usize = 32;
const BLOCK_LEN: usize = 16;

/// The secret of one attachment: AES-256 key ‖ HMAC-SHA256 key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct AttachmentKey([u8; KEY_LEN]);

impl AttachmentKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn cipher_key(&self) -> [u8; 32] {
        let mut key = [0u8; 32];
        key.copy_from_slice(&self.0[..32]);
        key
    }

    fn mac_key(&self) -> &[u8] {
        &self.0[32..]
    }
}

impl std::fmt::Debug for AttachmentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttachmentKey(<redacted>)")
    }
}

/// An encrypted file: upload `blob`; put `key` and `digest` in the encrypted message.
#[derive(Debug)]
pub struct EncryptedAttachment {
    pub key: AttachmentKey,
    pub blob: Vec<u8>,
    pub digest: [u8; MAC_LEN],
}

/// Encrypts `plaintext` under a fresh key.
pub fn encrypt(
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<EncryptedAttachment> {
    let mut key_bytes = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(key_bytes.as_mut());
    let key = AttachmentKey(*key_bytes);
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);

    let mut cipher_key = Zeroizing::new(key.cipher_key());
    let ciphertext = cbc::Encryptor::<Aes256>::new(&(*cipher_key).into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    cipher_key.zeroize();
    let mut blob = Vec::with_capacity(IV_LEN + ciphertext.len() + MAC_LEN);
    blob.extend_from_slice(&iv);
    blob.extend_from_slice(&ciphertext);
    let mac = kdf::hmac_sha256(key.mac_key(), &[&blob])?;
    blob.extend_from_slice(&mac);
    let digest = Sha256::digest(&blob).into();
    Ok(EncryptedAttachment { key, blob, digest })
}

/// Checks `blob` against `digest` and its MAC, then decrypts it. Any mismatch is
/// [`CryptoError::MacMismatch`] and nothing is decrypted.
pub fn decrypt(
    key: &AttachmentKey,
    blob: &[u8],
    digest: &[u8; MAC_LEN],
) -> Result<Zeroizing<Vec<u8>>> {
    let actual: [u8; MAC_LEN] = Sha256::digest(blob).into();
    if !bool::from(actual.ct_eq(digest)) {
        return Err(CryptoError::MacMismatch);
    }
    if blob.len() < IV_LEN + BLOCK_LEN + MAC_LEN
        || !(blob.len() - IV_LEN - MAC_LEN).is_multiple_of(BLOCK_LEN)
    {
        return Err(CryptoError::MalformedMessage("attachment blob length"));
    }
    let (authenticated, mac) = blob.split_at(blob.len() - MAC_LEN);
    let expected = kdf::hmac_sha256(key.mac_key(), &[authenticated])?;
    if !bool::from(expected.as_slice().ct_eq(mac)) {
        return Err(CryptoError::MacMismatch);
    }
    let (iv, ciphertext) = authenticated.split_at(IV_LEN);
    let mut iv_bytes = [0u8; IV_LEN];
    iv_bytes.copy_from_slice(iv);
    let cipher_key = Zeroizing::new(key.cipher_key());
    cbc::Decryptor::<Aes256>::new(&(*cipher_key).into(), &iv_bytes.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::InvalidPadding)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use rand_core::OsRng;

    #[test]
    fn round_trip_and_fresh_keys() {
        let file = b"a picture of a cat".repeat(100);
        let first = encrypt(&file, &mut OsRng).unwrap();
        let second = encrypt(&file, &mut OsRng).unwrap();
        assert_ne!(first.key, second.key);
        assert_ne!(first.blob, second.blob);
        assert!(!first.blob.windows(18).any(|w| w == b"a picture of a cat"));
        let opened = decrypt(&first.key, &first.blob, &first.digest).unwrap();
        assert_eq!(opened.as_slice(), file.as_slice());
    }

    #[test]
    fn empty_files_work() {
        let sealed = encrypt(b"", &mut OsRng).unwrap();
        assert_eq!(sealed.blob.len(), IV_LEN + BLOCK_LEN + MAC_LEN);
        assert!(
            decrypt(&sealed.key, &sealed.blob, &sealed.digest)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn any_change_is_rejected_before_decryption() {
        let sealed = encrypt(b"secret report", &mut OsRng).unwrap();
        for index in [0, IV_LEN, sealed.blob.len() - 1] {
            let mut blob = sealed.blob.clone();
            blob[index] ^= 1;
            // A server that swaps the blob fails the digest check.
            assert_eq!(
                decrypt(&sealed.key, &blob, &sealed.digest).unwrap_err(),
                CryptoError::MacMismatch
            );
            // A sender that lies about the digest still fails the MAC.
            let digest: [u8; MAC_LEN] = Sha256::digest(&blob).into();
            assert_eq!(
                decrypt(&sealed.key, &blob, &digest).unwrap_err(),
                CryptoError::MacMismatch
            );
        }
        let mut wrong_key = *sealed.key.as_bytes();
        wrong_key[40] ^= 1;
        assert_eq!(
            decrypt(
                &AttachmentKey::from_bytes(wrong_key),
                &sealed.blob,
                &sealed.digest
            )
            .unwrap_err(),
            CryptoError::MacMismatch
        );
        let truncated = &sealed.blob[..IV_LEN + MAC_LEN];
        let digest: [u8; MAC_LEN] = Sha256::digest(truncated).into();
        assert!(matches!(
            decrypt(&sealed.key, truncated, &digest),
            Err(CryptoError::MalformedMessage(_))
        ));
    }
}
