//! X25519 key types shared by XEdDSA, X3DH and the Double Ratchet.
//!
//! One Curve25519 key pair serves both Diffie-Hellman (X25519) and signatures (XEdDSA), so an
//! identity key is an ordinary X25519 key. Public keys travel as `Encode(PK)` = `0x05 ‖ key`,
//! the same type byte libsignal uses, so bundles are interoperable.

use core::fmt;

use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::xeddsa;

/// Length of a raw X25519 key, private or public.
pub const KEY_LEN: usize = 32;
/// Type byte that prefixes an encoded Curve25519 public key (`Encode(PK)`).
pub const KEY_TYPE_DJB: u8 = 0x05;
/// Length of `Encode(PK)`.
pub const ENCODED_KEY_LEN: usize = KEY_LEN + 1;
/// Length of an XEdDSA signature.
pub const SIGNATURE_LEN: usize = 64;

/// An X25519 private key. Zeroized on drop; `Debug` never prints it.
#[derive(Clone)]
pub struct PrivateKey(x25519_dalek::StaticSecret);

impl PrivateKey {
    /// Draws a fresh private key from `rng`.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(x25519_dalek::StaticSecret::random_from_rng(rng))
    }

    /// Wraps 32 raw bytes; clamping happens when the key is used, as X25519 specifies.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(x25519_dalek::StaticSecret::from(bytes))
    }

    /// The raw (unclamped) private key bytes, zeroized when the returned value drops.
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }

    /// X25519 with `their` key. An all-zero output means `their` has low order and is refused:
    /// accepting it would let a peer force a known shared secret.
    pub fn diffie_hellman(&self, their: &PublicKey) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        let shared = self
            .0
            .diffie_hellman(&x25519_dalek::PublicKey::from(their.0));
        if !shared.was_contributory() {
            return Err(CryptoError::LowOrderPublicKey);
        }
        Ok(Zeroizing::new(shared.to_bytes()))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl Serialize for PrivateKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        self.to_bytes().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PrivateKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        let bytes = Zeroizing::new(<[u8; KEY_LEN]>::deserialize(deserializer)?);
        Ok(Self::from_bytes(*bytes))
    }
}

/// An X25519 public key (the Montgomery u-coordinate, 32 bytes little-endian).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// Wraps 32 raw bytes. No validation happens here: low-order keys are caught when a
    /// Diffie-Hellman output is computed, and XEdDSA verification checks its own input.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// `Encode(PK)`: the 0x05 type byte followed by the key.
    pub fn encode(&self) -> [u8; ENCODED_KEY_LEN] {
        let mut out = [0u8; ENCODED_KEY_LEN];
        out[0] = KEY_TYPE_DJB;
        out[1..].copy_from_slice(&self.0);
        out
    }

    /// Parses `Encode(PK)`; the 0x05 prefix is required.
    pub fn decode(encoded: &[u8]) -> Result<Self> {
        match encoded {
            [KEY_TYPE_DJB, rest @ ..] => <[u8; KEY_LEN]>::try_from(rest)
                .map(Self)
                .map_err(|_| CryptoError::InvalidPublicKeyEncoding),
            _ => Err(CryptoError::InvalidPublicKeyEncoding),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// A private key with its public key, kept together so the public half is never recomputed
/// inconsistently. Serialized as the private key alone; the public key is derived on load.
#[derive(Clone, Debug)]
pub struct KeyPair {
    private: PrivateKey,
    public: PublicKey,
}

impl KeyPair {
    /// Draws a fresh key pair from `rng`.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self::from_private(PrivateKey::generate(rng))
    }

    /// Builds the pair from a private key.
    pub fn from_private(private: PrivateKey) -> Self {
        let public = private.public_key();
        Self { private, public }
    }

    /// The private half.
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }
}

impl Serialize for KeyPair {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        self.private.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for KeyPair {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        PrivateKey::deserialize(deserializer).map(Self::from_private)
    }
}

/// A device's long-term identity key pair: it signs prekeys (XEdDSA) and takes part in X3DH.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdentityKeyPair(KeyPair);

impl IdentityKeyPair {
    /// Draws a fresh identity from `rng`.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(KeyPair::generate(rng))
    }

    /// Builds an identity from a stored private key.
    pub fn from_private(private: PrivateKey) -> Self {
        Self(KeyPair::from_private(private))
    }

    /// The identity's key pair.
    pub fn key_pair(&self) -> &KeyPair {
        &self.0
    }

    /// The public identity key, as published and as shown in safety numbers.
    pub fn public_key(&self) -> &PublicKey {
        self.0.public_key()
    }

    /// The private identity key.
    pub fn private_key(&self) -> &PrivateKey {
        self.0.private_key()
    }

    /// XEdDSA signature by this identity over `message`.
    pub fn sign(
        &self,
        message: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> [u8; SIGNATURE_LEN] {
        xeddsa::sign(self.private_key(), message, rng)
    }
}

/// A medium-term prekey, signed by the identity key so an initiator knows the server did not
/// substitute it. The signature covers `Encode(SPK)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedPreKey {
    /// Identifier the bundle carries so the responder can find this key again.
    pub id: u32,
    /// The prekey itself; also the responder's first Double Ratchet key pair.
    pub key_pair: KeyPair,
    /// XEdDSA signature by the identity key over `Encode(key_pair.public)`.
    #[serde(with = "signature_serde")]
    pub signature: [u8; SIGNATURE_LEN],
}

impl SignedPreKey {
    /// Generates a prekey and signs its encoding with `identity`.
    pub fn generate(
        id: u32,
        identity: &IdentityKeyPair,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        let key_pair = KeyPair::generate(rng);
        let signature = identity.sign(&key_pair.public_key().encode(), rng);
        Self {
            id,
            key_pair,
            signature,
        }
    }
}

/// A single-use prekey; the responder deletes it once a session used it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OneTimePreKey {
    /// Identifier the bundle carries so the responder can find this key again.
    pub id: u32,
    /// The prekey itself.
    pub key_pair: KeyPair,
}

impl OneTimePreKey {
    /// Generates a one-time prekey.
    pub fn generate(id: u32, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self {
            id,
            key_pair: KeyPair::generate(rng),
        }
    }
}

/// What a responder publishes (through the keys service) so others can start sessions offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreKeyBundle {
    /// The responder's identity key.
    pub identity_key: PublicKey,
    /// Identifier of the signed prekey.
    pub signed_prekey_id: u32,
    /// The signed prekey.
    pub signed_prekey: PublicKey,
    /// XEdDSA signature by `identity_key` over `Encode(signed_prekey)`.
    #[serde(with = "signature_serde")]
    pub signed_prekey_signature: [u8; SIGNATURE_LEN],
    /// One one-time prekey with its identifier, while the server still has any.
    pub one_time_prekey: Option<(u32, PublicKey)>,
}

impl PreKeyBundle {
    /// The bundle a responder with these keys would publish.
    pub fn new(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
    ) -> Self {
        Self {
            identity_key: *identity.public_key(),
            signed_prekey_id: signed_prekey.id,
            signed_prekey: *signed_prekey.key_pair.public_key(),
            signed_prekey_signature: signed_prekey.signature,
            one_time_prekey: one_time_prekey.map(|otk| (otk.id, *otk.key_pair.public_key())),
        }
    }
}

/// serde derives stop at 32-element arrays; a signature goes as its two 32-byte halves.
mod signature_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{KEY_LEN, SIGNATURE_LEN};

    pub(super) fn serialize<S: Serializer>(
        signature: &[u8; SIGNATURE_LEN],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut low = [0u8; KEY_LEN];
        let mut high = [0u8; KEY_LEN];
        low.copy_from_slice(&signature[..KEY_LEN]);
        high.copy_from_slice(&signature[KEY_LEN..]);
        (low, high).serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; SIGNATURE_LEN], D::Error> {
        let (low, high) = <([u8; KEY_LEN], [u8; KEY_LEN])>::deserialize(deserializer)?;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature[..KEY_LEN].copy_from_slice(&low);
        signature[KEY_LEN..].copy_from_slice(&high);
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;

    #[test]
    fn encode_decode_round_trip_requires_prefix() {
        let key = KeyPair::generate(&mut OsRng);
        let encoded = key.public_key().encode();
        assert_eq!(encoded[0], KEY_TYPE_DJB);
        assert_eq!(PublicKey::decode(&encoded).unwrap(), *key.public_key());

        let mut wrong_type = encoded;
        wrong_type[0] = 0x06;
        assert_eq!(
            PublicKey::decode(&wrong_type),
            Err(CryptoError::InvalidPublicKeyEncoding)
        );
        assert_eq!(
            PublicKey::decode(&encoded[1..]),
            Err(CryptoError::InvalidPublicKeyEncoding)
        );
        assert_eq!(
            PublicKey::decode(&encoded[..32]),
            Err(CryptoError::InvalidPublicKeyEncoding)
        );
        assert_eq!(
            PublicKey::decode(&[]),
            Err(CryptoError::InvalidPublicKeyEncoding)
        );
    }

    #[test]
    fn diffie_hellman_agrees() {
        let alice = KeyPair::generate(&mut OsRng);
        let bob = KeyPair::generate(&mut OsRng);
        let ab = alice
            .private_key()
            .diffie_hellman(bob.public_key())
            .unwrap();
        let ba = bob
            .private_key()
            .diffie_hellman(alice.public_key())
            .unwrap();
        assert_eq!(*ab, *ba);
    }

    #[test]
    fn low_order_public_keys_are_refused() {
        let ours = PrivateKey::generate(&mut OsRng);
        // u = 0 and u = 1 are points of order 4 and 1 (identity); p-1 has order 2; the last is
        // a point of order 8 listed among the canonical low-order points.
        let mut order_eight = [0u8; 32];
        order_eight.copy_from_slice(&[
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ]);
        let mut p_minus_one = [0xffu8; 32];
        p_minus_one[0] = 0xec;
        p_minus_one[31] = 0x7f;
        let mut one = [0u8; 32];
        one[0] = 1;
        for bad in [[0u8; 32], one, p_minus_one, order_eight] {
            assert_eq!(
                ours.diffie_hellman(&PublicKey::from_bytes(bad)),
                Err(CryptoError::LowOrderPublicKey),
                "{bad:02x?}"
            );
        }
    }

    #[test]
    fn signed_prekey_signature_verifies() {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let spk = SignedPreKey::generate(7, &identity, &mut OsRng);
        assert!(xeddsa::verify(
            identity.public_key(),
            &spk.key_pair.public_key().encode(),
            &spk.signature
        ));
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let key = PrivateKey::from_bytes([0x42; 32]);
        assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
    }
}
