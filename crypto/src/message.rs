//! The Double Ratchet message: header, wire format, and its authenticated encryption.
//!
//! # Wire format (version 1)
//!
//! ```text
//! offset  length  field
//! 0       1       version = 0x01
//! 1       32      ratchet public key (raw X25519, no type byte)
//! 33      4       PN: length of the sender's previous sending chain, u32 big-endian
//! 37      4       N: index of this message in the current sending chain, u32 big-endian
//! 41      16·k    AES-256-CBC ciphertext, PKCS#7 padded (k ≥ 1)
//! end-32  32      HMAC-SHA256 over AD ‖ header(40) ‖ ciphertext
//! ```
//!
//! `AD` is the X3DH associated data, `Encode(IK_A) ‖ Encode(IK_B)`; the header is bytes 1..41.
//! The version byte is not under the MAC, but any value other than 0x01 is refused before
//! anything else is looked at, so it cannot be changed undetected.

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::kdf::{self, SecretKey};
use crate::keys::{KEY_LEN, PublicKey};

/// Current wire-format version.
pub const MESSAGE_VERSION: u8 = 1;
/// Length of an encoded [`Header`].
pub const HEADER_LEN: usize = KEY_LEN + 4 + 4;
/// Length of the MAC.
pub const MAC_LEN: usize = 32;
/// AES block length; the ciphertext is a non-zero multiple of it.
const BLOCK_LEN: usize = 16;

/// The ratchet header every message carries in the clear (authenticated, not encrypted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The sender's current ratchet public key.
    pub ratchet_key: PublicKey,
    /// Number of messages in the sender's previous sending chain.
    pub previous_chain_length: u32,
    /// This message's index in the current sending chain.
    pub message_number: u32,
}

impl Header {
    /// `ratchet key ‖ PN (u32 BE) ‖ N (u32 BE)`.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..KEY_LEN].copy_from_slice(self.ratchet_key.as_bytes());
        out[KEY_LEN..KEY_LEN + 4].copy_from_slice(&self.previous_chain_length.to_be_bytes());
        out[KEY_LEN + 4..].copy_from_slice(&self.message_number.to_be_bytes());
        out
    }

    /// Parses the 40-byte header. A non-canonical ratchet key (see
    /// [`PublicKey::is_canonical`]) is [`CryptoError::InvalidPublicKeyEncoding`], so a tampered
    /// key is refused before any Diffie-Hellman or MAC work.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Self> {
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&bytes[..KEY_LEN]);
        let mut pn = [0u8; 4];
        pn.copy_from_slice(&bytes[KEY_LEN..KEY_LEN + 4]);
        let mut n = [0u8; 4];
        n.copy_from_slice(&bytes[KEY_LEN + 4..]);
        Ok(Self {
            ratchet_key: PublicKey::from_canonical_bytes(key)?,
            previous_chain_length: u32::from_be_bytes(pn),
            message_number: u32::from_be_bytes(n),
        })
    }
}

/// One encrypted message as produced by [`crate::ratchet::Session::encrypt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The ratchet header.
    pub header: Header,
    /// AES-256-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    /// HMAC-SHA256 over `AD ‖ header ‖ ciphertext`.
    pub mac: [u8; MAC_LEN],
}

impl Message {
    /// The wire bytes: `version ‖ header ‖ ciphertext ‖ mac`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + HEADER_LEN + self.ciphertext.len() + MAC_LEN);
        out.push(MESSAGE_VERSION);
        out.extend_from_slice(&self.header.encode());
        out.extend_from_slice(&self.ciphertext);
        out.extend_from_slice(&self.mac);
        out
    }

    /// Parses wire bytes; checks the version, the shape and that the ratchet key is canonical,
    /// not the MAC.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (&version, rest) = bytes
            .split_first()
            .ok_or(CryptoError::MalformedMessage("empty"))?;
        if version != MESSAGE_VERSION {
            return Err(CryptoError::UnsupportedMessageVersion(version));
        }
        if rest.len() < HEADER_LEN + BLOCK_LEN + MAC_LEN {
            return Err(CryptoError::MalformedMessage("too short"));
        }
        let (header, rest) = rest.split_at(HEADER_LEN);
        let (ciphertext, mac) = rest.split_at(rest.len() - MAC_LEN);
        if ciphertext.len() % BLOCK_LEN != 0 {
            return Err(CryptoError::MalformedMessage(
                "ciphertext is not a whole number of blocks",
            ));
        }
        let header = <&[u8; HEADER_LEN]>::try_from(header)
            .map_err(|_| CryptoError::MalformedMessage("header"))?;
        let mac =
            <[u8; MAC_LEN]>::try_from(mac).map_err(|_| CryptoError::MalformedMessage("mac"))?;
        Ok(Self {
            header: Header::decode(header)?,
            ciphertext: ciphertext.to_vec(),
            mac,
        })
    }
}

/// Encrypts `plaintext` under `message_key`, authenticating `associated_data ‖ header`.
pub fn seal(
    message_key: &SecretKey,
    associated_data: &[u8],
    header: Header,
    plaintext: &[u8],
) -> Result<Message> {
    let keys = kdf::message_keys(message_key)?;
    let ciphertext = cbc::Encryptor::<Aes256>::new(&keys.cipher_key.into(), &keys.iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mac = kdf::hmac_sha256(
        &keys.mac_key,
        &[associated_data, &header.encode(), &ciphertext],
    )?;
    Ok(Message {
        header,
        ciphertext,
        mac,
    })
}

/// Checks the MAC in constant time and only then decrypts.
pub fn open(
    message_key: &SecretKey,
    associated_data: &[u8],
    message: &Message,
) -> Result<Zeroizing<Vec<u8>>> {
    let keys = kdf::message_keys(message_key)?;
    let expected = kdf::hmac_sha256(
        &keys.mac_key,
        &[
            associated_data,
            &message.header.encode(),
            &message.ciphertext,
        ],
    )?;
    // Decrypting unauthenticated CBC would expose a padding oracle; the MAC goes first.
    if !bool::from(expected.ct_eq(&message.mac)) {
        return Err(CryptoError::MacMismatch);
    }
    cbc::Decryptor::<Aes256>::new(&keys.cipher_key.into(), &keys.iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&message.ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::InvalidPadding)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn header() -> Header {
        Header {
            ratchet_key: PublicKey::from_bytes([0x4b; 32]),
            previous_chain_length: 0x0102_0304,
            message_number: 7,
        }
    }

    #[test]
    fn header_layout_is_key_then_big_endian_counters() {
        let encoded = header().encode();
        assert_eq!(&encoded[..32], &[0x4b; 32]);
        assert_eq!(&encoded[32..36], &[1, 2, 3, 4]);
        assert_eq!(&encoded[36..], &[0, 0, 0, 7]);
        assert_eq!(Header::decode(&encoded), Ok(header()));
    }

    #[test]
    fn non_canonical_ratchet_key_is_refused_at_parse_time() {
        let key = SecretKey::from_bytes([5; 32]);
        let bytes = seal(&key, b"ad", header(), b"hi").unwrap().to_bytes();
        // Bit 255 set, u = p, and u = 2^255 - 1: all refused before the MAC is looked at.
        let mut p = [0xff; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        let mut high = [0x4b; 32];
        high[31] |= 0x80;
        for bad in [high, p, [0xff; 32]] {
            let mut wire = bytes.clone();
            wire[1..33].copy_from_slice(&bad);
            assert_eq!(
                Message::from_bytes(&wire),
                Err(CryptoError::InvalidPublicKeyEncoding)
            );
            let mut encoded = header().encode();
            encoded[..32].copy_from_slice(&bad);
            assert_eq!(
                Header::decode(&encoded),
                Err(CryptoError::InvalidPublicKeyEncoding)
            );
        }
        // p - 1 is canonical (it has low order, which the ratchet step refuses).
        p[0] -= 1;
        let mut wire = bytes;
        wire[1..33].copy_from_slice(&p);
        assert_eq!(
            Message::from_bytes(&wire).unwrap().header.ratchet_key,
            PublicKey::from_bytes(p)
        );
    }

    #[test]
    fn seal_open_round_trip_and_wire_layout() {
        let key = SecretKey::from_bytes([5; 32]);
        for len in [0, 1, 15, 16, 17, 1000] {
            let plaintext = vec![0x5a; len];
            let message = seal(&key, b"ad", header(), &plaintext).unwrap();
            assert_eq!(message.ciphertext.len(), (len / 16 + 1) * 16);
            let bytes = message.to_bytes();
            assert_eq!(bytes[0], MESSAGE_VERSION);
            assert_eq!(&bytes[1..41], &header().encode());
            assert_eq!(&bytes[bytes.len() - 32..], &message.mac);
            let parsed = Message::from_bytes(&bytes).unwrap();
            assert_eq!(parsed, message);
            assert_eq!(*open(&key, b"ad", &parsed).unwrap(), plaintext);
        }
    }

    #[test]
    fn wrong_ad_or_key_fails_mac() {
        let key = SecretKey::from_bytes([5; 32]);
        let message = seal(&key, b"ad", header(), b"hi").unwrap();
        assert_eq!(
            open(&key, b"AD", &message).unwrap_err(),
            CryptoError::MacMismatch
        );
        assert_eq!(
            open(&SecretKey::from_bytes([6; 32]), b"ad", &message).unwrap_err(),
            CryptoError::MacMismatch
        );
    }

    #[test]
    fn malformed_wire_bytes_are_rejected() {
        let key = SecretKey::from_bytes([5; 32]);
        let bytes = seal(&key, b"ad", header(), b"hi").unwrap().to_bytes();
        assert_eq!(
            Message::from_bytes(&[]),
            Err(CryptoError::MalformedMessage("empty"))
        );
        let mut wrong_version = bytes.clone();
        wrong_version[0] = 2;
        assert_eq!(
            Message::from_bytes(&wrong_version),
            Err(CryptoError::UnsupportedMessageVersion(2))
        );
        assert!(matches!(
            Message::from_bytes(&bytes[..bytes.len() - 1]),
            Err(CryptoError::MalformedMessage(_))
        ));
        assert!(matches!(
            Message::from_bytes(&bytes[..1 + 40 + 32]),
            Err(CryptoError::MalformedMessage(_))
        ));
    }
}
