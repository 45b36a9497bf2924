//! X25519 key types shared by XEdDSA, X3DH and the Double Ratchet.
//!
//! One Curve25519 key pair serves both Diffie-Hellman (X25519) and signatures (XEdDSA), so an
//! identity key is an ordinary X25519 key. Public keys travel as `Encode(PK)` = `0x05 ‖ key`,
//! the same type byte libsignal uses, so bundles are interoperable.
//!
//! A public key is *canonical* when its 32 bytes, read little-endian, are below
//! p = 2^255 − 19 (so bit 255 is 0). RFC 7748 would mask bit 255 and reduce u ≥ p, which gives
//! every key up to three more encodings with the same Diffie-Hellman result; this crate refuses
//! those encodings instead ([`CryptoError::InvalidPublicKeyEncoding`]) in [`PublicKey::decode`]
//! and again in [`PrivateKey::diffie_hellman`], so a key built with the unchecked
//! [`PublicKey::from_bytes`] never reaches a Diffie-Hellman computation either. Every public
//! key X25519 computes (`PrivateKey::public_key`) is canonical.

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

    /// X25519 with `their` key. A non-canonical `their` (u ≥ p, bit 255 included) is refused
    /// with [`CryptoError::InvalidPublicKeyEncoding`] before any computation. An all-zero output
    /// means `their` has low order and is refused with [`CryptoError::LowOrderPublicKey`]:
    /// accepting it would let a peer force a known shared secret.
    pub fn diffie_hellman(&self, their: &PublicKey) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        if !their.is_canonical() {
            return Err(CryptoError::InvalidPublicKeyEncoding);
        }
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
    /// Wraps 32 raw bytes without checking them (for keys this process computed or stored).
    /// Nothing is lost: [`PrivateKey::diffie_hellman`] refuses non-canonical and low-order keys,
    /// and XEdDSA verification refuses non-canonical and small-order ones. Keys from the wire go
    /// through [`PublicKey::decode`] or [`PublicKey::from_canonical_bytes`].
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Wraps 32 raw bytes if they are canonical (little-endian u < p = 2^255 − 19), else
    /// [`CryptoError::InvalidPublicKeyEncoding`]. Low order is not checked here; it shows as an
    /// all-zero Diffie-Hellman output.
    pub fn from_canonical_bytes(bytes: [u8; KEY_LEN]) -> Result<Self> {
        let key = Self(bytes);
        if key.is_canonical() {
            Ok(key)
        } else {
            Err(CryptoError::InvalidPublicKeyEncoding)
        }
    }

    /// Whether the key is canonical: its bytes, little-endian, are below p = 2^255 − 19 (which
    /// implies bit 255 is 0).
    pub fn is_canonical(&self) -> bool {
        xeddsa::is_canonical_field_element(&self.0)
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

    /// Parses `Encode(PK)`: exactly 33 bytes, the 0x05 prefix, then a canonical key (see
    /// [`PublicKey::is_canonical`]); anything else is [`CryptoError::InvalidPublicKeyEncoding`].
    pub fn decode(encoded: &[u8]) -> Result<Self> {
        match encoded {
            [KEY_TYPE_DJB, rest @ ..] => <[u8; KEY_LEN]>::try_from(rest)
                .map_err(|_| CryptoError::InvalidPublicKeyEncoding)
                .and_then(Self::from_canonical_bytes),
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
        // u = 0 is the point of order 2, u = 1 one of order 4 on the curve, u = p - 1 one of
        // order 4 on the twist; the last is a point of order 8. All canonical.
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

    /// p = 2^255 - 19, little-endian.
    const P: [u8; 32] = {
        let mut p = [0xff; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        p
    };

    fn encoded(raw: [u8; 32]) -> Vec<u8> {
        let mut out = vec![KEY_TYPE_DJB];
        out.extend_from_slice(&raw);
        out
    }

    #[test]
    fn non_canonical_public_keys_are_refused() {
        let ours = PrivateKey::generate(&mut OsRng);
        let real = *KeyPair::generate(&mut OsRng).public_key().as_bytes();
        let mut p_plus_one = P;
        p_plus_one[0] += 1;
        let mut two_255_minus_one = [0xff; 32];
        two_255_minus_one[31] = 0x7f;
        let mut real_high = real;
        real_high[31] |= 0x80;
        let mut zero_high = [0u8; 32];
        zero_high[31] = 0x80;
        // u = p + 9 is the base point's other encoding (u = 9 works, see below).
        let mut p_plus_nine = P;
        p_plus_nine[0] += 9;
        // Under RFC 7748, u = p and u = p + 1 reduce to the low-order 0 and 1, p + 9 to the base
        // point, and bit 255 set on a key to that key; here they are refused as encodings,
        // before any low-order check, on every path.
        for bad in [
            P,
            p_plus_one,
            p_plus_nine,
            two_255_minus_one,
            [0xff; 32],
            real_high,
            zero_high,
        ] {
            let key = PublicKey::from_bytes(bad);
            assert!(!key.is_canonical(), "{bad:02x?}");
            assert_eq!(
                PublicKey::decode(&encoded(bad)),
                Err(CryptoError::InvalidPublicKeyEncoding),
                "{bad:02x?}"
            );
            assert_eq!(
                PublicKey::from_canonical_bytes(bad),
                Err(CryptoError::InvalidPublicKeyEncoding),
                "{bad:02x?}"
            );
            assert_eq!(
                ours.diffie_hellman(&key),
                Err(CryptoError::InvalidPublicKeyEncoding),
                "{bad:02x?}"
            );
        }
    }

    #[test]
    fn canonical_public_keys_are_accepted() {
        let ours = KeyPair::generate(&mut OsRng);
        let theirs = KeyPair::generate(&mut OsRng);
        // Every computed public key is canonical and decodes to itself.
        for _ in 0..64 {
            let key = *KeyPair::generate(&mut OsRng).public_key();
            assert!(key.is_canonical());
            assert_eq!(PublicKey::decode(&key.encode()), Ok(key));
        }
        let real = *theirs.public_key();
        assert_eq!(PublicKey::from_canonical_bytes(*real.as_bytes()), Ok(real));
        assert_eq!(
            *ours.private_key().diffie_hellman(&real).unwrap(),
            *theirs
                .private_key()
                .diffie_hellman(ours.public_key())
                .unwrap()
        );
        // p - 1 is the largest canonical u; u = -1 is a point of order 4 on the twist, so it
        // decodes but its Diffie-Hellman output is all zero and refused.
        let mut p_minus_one = P;
        p_minus_one[0] -= 1;
        let key = PublicKey::decode(&encoded(p_minus_one)).unwrap();
        assert!(key.is_canonical());
        assert_eq!(
            ours.private_key().diffie_hellman(&key),
            Err(CryptoError::LowOrderPublicKey)
        );
        // p - 2 is canonical and a curve point not of low order: decoded and used.
        let mut p_minus_two = P;
        p_minus_two[0] -= 2;
        let key = PublicKey::decode(&encoded(p_minus_two)).unwrap();
        assert!(ours.private_key().diffie_hellman(&key).is_ok());
        // The base point, u = 9: X25519 with it is the public key.
        let mut nine = [0u8; 32];
        nine[0] = 9;
        let key = PublicKey::decode(&encoded(nine)).unwrap();
        assert_eq!(
            *ours.private_key().diffie_hellman(&key).unwrap(),
            *ours.public_key().as_bytes()
        );
        // Low-order canonical keys decode too; only the Diffie-Hellman output refuses them.
        assert!(PublicKey::decode(&encoded([0; 32])).is_ok());
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
