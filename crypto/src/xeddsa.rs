//! XEdDSA: EdDSA-compatible signatures made with X25519 (Montgomery) keys.
//!
//! Follows the XEdDSA specification (Signal, revision 1): the signer converts its Montgomery
//! private key to a twisted Edwards key pair whose public point has sign bit 0
//! (`calculate_key_pair`), then signs like Ed25519 with a hedged nonce
//! `r = hash1(a ‖ M ‖ Z)` where `Z` is 64 fresh random bytes. A verifier knows only the
//! Montgomery u-coordinate, which fixes the Edwards y-coordinate; the sign bit is taken as 0.
//!
//! libsignal signs differently: it does not negate the scalar, and carries the Edwards public key's
//! sign bit in bit 7 of the last signature byte (free, because `s < q < 2^253`). [`verify`] accepts
//! both forms so signatures from libsignal clients verify here.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::keys::{KEY_LEN, PrivateKey, PublicKey, SIGNATURE_LEN};

/// The field prime p = 2^255 - 19, little-endian.
const FIELD_PRIME: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// Bit 7 of the last byte: the Edwards sign bit in a compressed point, and libsignal's slot for
/// the public key's sign bit in a signature.
const SIGN_BIT: u8 = 0x80;

/// Whether a little-endian 256-bit integer is below p, i.e. a canonical field element.
pub(crate) fn is_canonical_field_element(bytes: &[u8; 32]) -> bool {
    // Compare from the most significant byte; public data, so early exit is fine.
    for (byte, prime) in bytes.iter().rev().zip(FIELD_PRIME.iter().rev()) {
        if byte != prime {
            return byte < prime;
        }
    }
    false
}

/// X25519 clamping: what makes raw private key bytes the scalar k.
fn clamp(mut bytes: [u8; 32]) -> [u8; 32] {
    bytes[0] &= 248;
    bytes[31] &= 127;
    bytes[31] |= 64;
    bytes
}

/// `calculate_key_pair(k)`: the Edwards private scalar `a` and public key `A` with sign bit 0.
fn calculate_key_pair(private: &PrivateKey) -> (Zeroizing<Scalar>, CompressedEdwardsY) {
    let clamped = Zeroizing::new(clamp(*private.to_bytes()));
    let k = Zeroizing::new(Scalar::from_bytes_mod_order(*clamped));
    let edwards = EdwardsPoint::mul_base(&k).compress();
    let negative = edwards.as_bytes()[31] & SIGN_BIT != 0;
    let a = Zeroizing::new(if negative { -*k } else { *k });
    let mut public = edwards.to_bytes();
    public[31] &= !SIGN_BIT;
    (a, CompressedEdwardsY(public))
}

/// SHA-512 of the concatenated parts, reduced mod q.
fn hash_to_scalar(parts: &[&[u8]]) -> Scalar {
    let mut hasher = Sha512::new();
    for part in parts {
        hasher.update(part);
    }
    Scalar::from_bytes_mod_order_wide(&hasher.finalize().into())
}

/// `hash1` prefix: the 32-byte little-endian encoding of 2^256 - 1 - 1 (0xFE then 0xFF × 31).
/// It keeps the nonce hash domain-separated from the challenge hash.
fn hash1_prefix() -> [u8; 32] {
    let mut prefix = [0xff; 32];
    prefix[0] = 0xfe;
    prefix
}

/// Signs `message` with a Montgomery private key, as XEdDSA's `xeddsa_sign` with 64 random bytes.
pub fn sign(
    private: &PrivateKey,
    message: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> [u8; SIGNATURE_LEN] {
    let (a, public) = calculate_key_pair(private);
    let mut z = Zeroizing::new([0u8; 64]);
    rng.fill_bytes(z.as_mut());
    let a_bytes = Zeroizing::new(a.to_bytes());
    let r = Zeroizing::new(hash_to_scalar(&[
        &hash1_prefix(),
        a_bytes.as_ref(),
        message,
        z.as_ref(),
    ]));
    let big_r = EdwardsPoint::mul_base(&r).compress();
    let h = hash_to_scalar(&[big_r.as_bytes(), public.as_bytes(), message]);
    let s = h * *a + *r;
    let mut signature = [0u8; SIGNATURE_LEN];
    signature[..32].copy_from_slice(big_r.as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    signature
}

/// Verifies an XEdDSA signature: first in the specification's form (sign bit 0), then, if bit 7
/// of the last byte is set, in libsignal's form where that bit is the public key's sign bit.
pub fn verify(public: &PublicKey, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
    let u = public.as_bytes();
    if !is_canonical_field_element(u) {
        return false;
    }
    let mut big_r = [0u8; 32];
    big_r.copy_from_slice(&signature[..32]);
    let mut r_y = big_r;
    r_y[31] &= !SIGN_BIT;
    if !is_canonical_field_element(&r_y) {
        return false;
    }
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    if verify_with_sign_bit(u, message, &big_r, &s, 0) {
        return true;
    }
    if s[31] & SIGN_BIT != 0 {
        s[31] &= !SIGN_BIT;
        return verify_with_sign_bit(u, message, &big_r, &s, 1);
    }
    false
}

/// The verification equation `R == sB - hA` with `A` the Edwards point of `u` with `sign_bit`.
fn verify_with_sign_bit(
    u: &[u8; KEY_LEN],
    message: &[u8],
    big_r: &[u8; 32],
    s: &[u8; 32],
    sign_bit: u8,
) -> bool {
    // from_canonical_bytes refuses s >= q, which closes the (R, s + q) malleability.
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*s)) else {
        return false;
    };
    let Some(big_a) = MontgomeryPoint(*u).to_edwards(sign_bit) else {
        return false;
    };
    // A small-order A would let anyone forge for it; no honest key is one (clamping forbids it).
    if big_a.is_small_order() {
        return false;
    }
    let h = hash_to_scalar(&[big_r, big_a.compress().as_bytes(), message]);
    let r_check = EdwardsPoint::vartime_double_scalar_mul_basepoint(&h, &-big_a, &s);
    bool::from(r_check.compress().as_bytes().ct_eq(big_r))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;
    use crate::keys::KeyPair;

    /// The group order q, little-endian.
    const GROUP_ORDER: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];

    /// Little-endian addition of two 256-bit integers (no overflow in these tests).
    fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
        }
        out
    }

    /// Signs as libsignal does: no negation, and the Edwards sign bit stored in sig[63] bit 7.
    fn libsignal_style_sign(private: &PrivateKey, message: &[u8]) -> [u8; 64] {
        let k = Scalar::from_bytes_mod_order(clamp(*private.to_bytes()));
        let public = EdwardsPoint::mul_base(&k).compress();
        let sign_bit = public.as_bytes()[31] & SIGN_BIT;
        let mut z = [0u8; 64];
        OsRng.fill_bytes(&mut z);
        let r = hash_to_scalar(&[&hash1_prefix(), k.as_bytes(), message, &z]);
        let big_r = EdwardsPoint::mul_base(&r).compress();
        let h = hash_to_scalar(&[big_r.as_bytes(), public.as_bytes(), message]);
        let s = h * k + r;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(big_r.as_bytes());
        signature[32..].copy_from_slice(s.as_bytes());
        signature[63] &= !SIGN_BIT;
        signature[63] |= sign_bit;
        signature
    }

    /// A key whose Edwards public point has the given sign bit (half of all keys have each).
    fn key_with_edwards_sign(sign: u8) -> KeyPair {
        loop {
            let key = KeyPair::generate(&mut OsRng);
            let k = Scalar::from_bytes_mod_order(clamp(*key.private_key().to_bytes()));
            if EdwardsPoint::mul_base(&k).compress().as_bytes()[31] >> 7 == sign {
                return key;
            }
        }
    }

    #[test]
    fn sign_then_verify() {
        for _ in 0..16 {
            let key = KeyPair::generate(&mut OsRng);
            let signature = sign(key.private_key(), b"hello", &mut OsRng);
            assert!(verify(key.public_key(), b"hello", &signature));
            assert_eq!(
                signature[63] & SIGN_BIT,
                0,
                "spec-form s < q leaves bit 7 clear"
            );
        }
    }

    #[test]
    fn signatures_are_randomised() {
        let key = KeyPair::generate(&mut OsRng);
        assert_ne!(
            sign(key.private_key(), b"m", &mut OsRng),
            sign(key.private_key(), b"m", &mut OsRng)
        );
    }

    #[test]
    fn wrong_message_or_key_fails() {
        let key = KeyPair::generate(&mut OsRng);
        let other = KeyPair::generate(&mut OsRng);
        let signature = sign(key.private_key(), b"message", &mut OsRng);
        assert!(!verify(key.public_key(), b"messagE", &signature));
        assert!(!verify(other.public_key(), b"message", &signature));
        for index in [0, 31, 32, 62] {
            let mut tampered = signature;
            tampered[index] ^= 1;
            assert!(
                !verify(key.public_key(), b"message", &tampered),
                "byte {index}"
            );
        }
    }

    #[test]
    fn s_at_or_above_group_order_is_rejected() {
        let key = KeyPair::generate(&mut OsRng);
        let signature = sign(key.private_key(), b"m", &mut OsRng);
        let mut s = [0u8; 32];
        s.copy_from_slice(&signature[32..]);
        // s + q satisfies the equation mod q; only the canonical check stops it.
        let mut malleated = signature;
        malleated[32..].copy_from_slice(&add_le(&s, &GROUP_ORDER));
        assert!(!verify(key.public_key(), b"m", &malleated));
        let mut exactly_q = signature;
        exactly_q[32..].copy_from_slice(&GROUP_ORDER);
        assert!(!verify(key.public_key(), b"m", &exactly_q));
    }

    #[test]
    fn non_canonical_inputs_are_rejected() {
        let key = KeyPair::generate(&mut OsRng);
        let signature = sign(key.private_key(), b"m", &mut OsRng);
        // u >= p: adding p to a small u keeps it a valid-looking 32-byte string.
        let mut u_plus_p = [0u8; 32];
        u_plus_p[0] = 9;
        let u_plus_p = add_le(&u_plus_p, &FIELD_PRIME);
        assert!(!verify(&PublicKey::from_bytes(u_plus_p), b"m", &signature));
        let mut high_bit = *key.public_key().as_bytes();
        high_bit[31] |= SIGN_BIT;
        assert!(!verify(&PublicKey::from_bytes(high_bit), b"m", &signature));
        // R.y = p is not canonical.
        let mut bad_r = signature;
        bad_r[..32].copy_from_slice(&FIELD_PRIME);
        assert!(!verify(key.public_key(), b"m", &bad_r));
    }

    #[test]
    fn small_order_public_keys_never_verify() {
        let signature = [0u8; 64];
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(!verify(&PublicKey::from_bytes([0; 32]), b"m", &signature));
        assert!(!verify(&PublicKey::from_bytes(one), b"m", &signature));
    }

    #[test]
    fn libsignal_sign_bit_form_is_accepted() {
        for sign_bit in [0, 1] {
            let key = key_with_edwards_sign(sign_bit);
            let signature = libsignal_style_sign(key.private_key(), b"libsignal");
            assert_eq!(signature[63] >> 7, sign_bit);
            assert!(
                verify(key.public_key(), b"libsignal", &signature),
                "sign bit {sign_bit}"
            );
            assert!(!verify(key.public_key(), b"other", &signature));
        }
    }

    #[test]
    fn libsignal_form_with_flipped_sign_bit_fails() {
        let key = key_with_edwards_sign(1);
        let mut signature = libsignal_style_sign(key.private_key(), b"m");
        signature[63] &= !SIGN_BIT;
        assert!(!verify(key.public_key(), b"m", &signature));
    }

    #[test]
    fn spec_form_is_a_valid_ed25519_signature_under_the_converted_key() {
        // XEdDSA's whole point: the Edwards key pair from calculate_key_pair signs plain Ed25519.
        let key = KeyPair::generate(&mut OsRng);
        let (_, edwards_public) = calculate_key_pair(key.private_key());
        let signature = sign(key.private_key(), b"cross-check", &mut OsRng);
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(edwards_public.as_bytes()).unwrap();
        let ed_signature = ed25519_dalek::Signature::from_bytes(&signature);
        assert!(
            verifying
                .verify_strict(b"cross-check", &ed_signature)
                .is_ok()
        );
        assert!(
            verifying
                .verify_strict(b"cross-checK", &ed_signature)
                .is_err()
        );
    }

    /// libsignal's published Curve25519 signature test vector (its "testSignature" case): the
    /// identity key signs the encoded ephemeral key, with the sign bit in sig[63].
    #[test]
    fn libsignal_published_vector_verifies() {
        let identity_private = [
            0xc0, 0x97, 0x24, 0x84, 0x12, 0xe5, 0x8b, 0xf0, 0x5d, 0xf4, 0x87, 0x96, 0x82, 0x05,
            0x13, 0x27, 0x94, 0x17, 0x8e, 0x36, 0x76, 0x37, 0xf5, 0x81, 0x8f, 0x81, 0xe0, 0xe6,
            0xce, 0x73, 0xe8, 0x65,
        ];
        let identity_public = [
            0x05, 0xab, 0x7e, 0x71, 0x7d, 0x4a, 0x16, 0x3b, 0x7d, 0x9a, 0x1d, 0x80, 0x71, 0xdf,
            0xe9, 0xdc, 0xf8, 0xcd, 0xcd, 0x1c, 0xea, 0x33, 0x39, 0xb6, 0x35, 0x6b, 0xe8, 0x4d,
            0x88, 0x7e, 0x32, 0x2c, 0x64,
        ];
        let ephemeral_public = [
            0x05, 0xed, 0xce, 0x9d, 0x9c, 0x41, 0x5c, 0xa7, 0x8c, 0xb7, 0x25, 0x2e, 0x72, 0xc2,
            0xc4, 0xa5, 0x54, 0xd3, 0xeb, 0x29, 0x48, 0x5a, 0x0e, 0x1d, 0x50, 0x31, 0x18, 0xd1,
            0xa8, 0x2d, 0x99, 0xfb, 0x4a,
        ];
        let signature = [
            0x5d, 0xe8, 0x8c, 0xa9, 0xa8, 0x9b, 0x4a, 0x11, 0x5d, 0xa7, 0x91, 0x09, 0xc6, 0x7c,
            0x9c, 0x74, 0x64, 0xa3, 0xe4, 0x18, 0x02, 0x74, 0xf1, 0xcb, 0x8c, 0x63, 0xc2, 0x98,
            0x4e, 0x28, 0x6d, 0xfb, 0xed, 0xe8, 0x2d, 0xeb, 0x9d, 0xcd, 0x9f, 0xae, 0x0b, 0xfb,
            0xb8, 0x21, 0x56, 0x9b, 0x3d, 0x90, 0x01, 0xbd, 0x81, 0x30, 0xcd, 0x11, 0xd4, 0x86,
            0xce, 0xf0, 0x47, 0xbd, 0x60, 0xb8, 0x6e, 0x88,
        ];
        let public = PublicKey::decode(&identity_public).unwrap();
        assert_eq!(
            PrivateKey::from_bytes(identity_private).public_key(),
            public
        );
        assert_eq!(
            signature[63] & SIGN_BIT,
            SIGN_BIT,
            "this vector uses the sign-bit form"
        );
        assert!(verify(&public, &ephemeral_public, &signature));
        for index in 0..64 {
            let mut modified = signature;
            modified[index] ^= 0x01;
            assert!(
                !verify(&public, &ephemeral_public, &modified),
                "byte {index}"
            );
        }
        // Our own signatures by the same key verify too.
        let ours = sign(
            &PrivateKey::from_bytes(identity_private),
            &ephemeral_public,
            &mut OsRng,
        );
        assert!(verify(&public, &ephemeral_public, &ours));
    }

    #[test]
    fn canonical_field_check() {
        assert!(is_canonical_field_element(&[0; 32]));
        let mut p_minus_one = FIELD_PRIME;
        p_minus_one[0] -= 1;
        assert!(is_canonical_field_element(&p_minus_one));
        assert!(!is_canonical_field_element(&FIELD_PRIME));
        assert!(!is_canonical_field_element(&[0xff; 32]));
    }
}
