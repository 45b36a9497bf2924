//! Safety numbers: a 60-digit fingerprint of two identities that both users compare out of band.
//!
//! The construction is libsignal's numeric fingerprint (version 1 display): for each side,
//! `H_1 = SHA-512(0x0000 ‖ Encode(IK) ‖ stable id ‖ Encode(IK))`, then
//! `H_{i+1} = SHA-512(H_i ‖ Encode(IK))` up to `H_5200`; the first 30 bytes become six 5-digit groups (each 5-byte big-endian chunk
//! mod 100 000). The two 30-digit halves are sorted, so both users see the same number. The
//! iterations make a second identity with a matching number expensive to grind.

use sha2::{Digest, Sha512};

use crate::keys::PublicKey;

/// SHA-512 rounds per side, as libsignal uses.
pub const ITERATIONS: u32 = 5200;
/// Fingerprint format version hashed into the first round.
const FINGERPRINT_VERSION: [u8; 2] = [0, 0];

/// The 30-digit half of a safety number that belongs to one identity.
fn half(identity: &PublicKey, stable_id: &[u8]) -> String {
    let encoded = identity.encode();
    let mut hash = Sha512::new()
        .chain_update(FINGERPRINT_VERSION)
        .chain_update(encoded)
        .chain_update(stable_id)
        .chain_update(encoded)
        .finalize();
    for _ in 1..ITERATIONS {
        hash = Sha512::new()
            .chain_update(hash)
            .chain_update(encoded)
            .finalize();
    }
    let mut digits = String::with_capacity(30);
    for chunk in hash[..30].chunks_exact(5) {
        let value = chunk
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        digits.push_str(&format!("{:05}", value % 100_000));
    }
    digits
}

/// The 60-digit safety number of a conversation between two identities. `stable_id`s are the
/// users' durable identifiers (Chatalot user ids); the result does not depend on which side
/// computes it.
pub fn safety_number(
    local: &PublicKey,
    local_stable_id: &[u8],
    remote: &PublicKey,
    remote_stable_id: &[u8],
) -> String {
    let local = half(local, local_stable_id);
    let remote = half(remote, remote_stable_id);
    if local <= remote {
        local + &remote
    } else {
        remote + &local
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;
    use crate::keys::KeyPair;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// libsignal's published fingerprint vector (NumericFingerprintGeneratorTest).
    #[test]
    fn matches_libsignal_vector() {
        let alice = PublicKey::decode(&hex(
            "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868",
        ))
        .unwrap();
        let bob = PublicKey::decode(&hex(
            "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b",
        ))
        .unwrap();
        let expected = "300354477692869396892869876765458257569162576843440918079131";
        assert_eq!(
            safety_number(&alice, b"+14152222222", &bob, b"+14153333333"),
            expected
        );
        assert_eq!(
            safety_number(&bob, b"+14153333333", &alice, b"+14152222222"),
            expected
        );
    }

    #[test]
    fn changes_with_either_identity() {
        let alice = *KeyPair::generate(&mut OsRng).public_key();
        let bob = *KeyPair::generate(&mut OsRng).public_key();
        let mallory = *KeyPair::generate(&mut OsRng).public_key();
        let number = safety_number(&alice, b"alice", &bob, b"bob");
        assert_eq!(number.len(), 60);
        assert!(number.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(number, safety_number(&alice, b"alice", &mallory, b"bob"));
        assert_ne!(number, safety_number(&mallory, b"alice", &bob, b"bob"));
    }
}
