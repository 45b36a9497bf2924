//! Versioned storage encoding for sessions and key material.
//!
//! Layout: `version (1 byte) ‖ kind (1 byte) ‖ postcard body`. The version is checked before the
//! body is read, so a client that downgrades refuses newer state instead of misreading it; the
//! kind byte stops a stored identity from being loaded as a session (or the other way round).
//! The returned bytes hold secrets and are zeroized on drop; encrypt them at rest.

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::keys::{IdentityKeyPair, OneTimePreKey, SignedPreKey};
use crate::ratchet::Session;
use crate::sender_keys::{InboundSenderKey, OutboundSenderKey};

/// Version of the storage encoding written by this crate.
pub const STATE_VERSION: u8 = 1;

/// A type that can be stored with [`encode`] and loaded with [`decode`].
pub trait Stored: Serialize + DeserializeOwned {
    /// Distinguishes record types in the second byte.
    const KIND: u8;
    /// Bytes to reserve up front, so the buffer holding secrets never reallocates (a
    /// reallocation would leave an unzeroized copy behind).
    fn encoded_size_hint(&self) -> usize {
        256
    }
}

impl Stored for Session {
    const KIND: u8 = 1;
    fn encoded_size_hint(&self) -> usize {
        // Each skipped key: 32-byte ratchet key, varint counter (≤ 5), 32-byte message key.
        512 + self.associated_data().len() + self.skipped_key_count() * 72
    }
}

impl Stored for IdentityKeyPair {
    const KIND: u8 = 2;
}

impl Stored for SignedPreKey {
    const KIND: u8 = 3;
}

impl Stored for OneTimePreKey {
    const KIND: u8 = 4;
}

impl Stored for OutboundSenderKey {
    const KIND: u8 = 5;
}

impl Stored for InboundSenderKey {
    const KIND: u8 = 6;
    fn encoded_size_hint(&self) -> usize {
        // Each stored key: varint iteration (≤ 5) and a 32-byte key.
        256 + self.stored_key_count() * 40
    }
}

/// Encodes `value` as `version ‖ kind ‖ body`.
pub fn encode<T: Stored>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    let mut buffer = Vec::with_capacity(value.encoded_size_hint());
    buffer.push(STATE_VERSION);
    buffer.push(T::KIND);
    postcard::to_extend(value, buffer)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::MalformedState)
}

/// Decodes bytes made by [`encode`]; refuses other versions, other kinds and trailing bytes.
pub fn decode<T: Stored>(bytes: &[u8]) -> Result<T> {
    let [version, kind, body @ ..] = bytes else {
        return Err(CryptoError::MalformedState);
    };
    if *version != STATE_VERSION {
        return Err(CryptoError::UnsupportedStateVersion(*version));
    }
    if *kind != T::KIND {
        return Err(CryptoError::MalformedState);
    }
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Ok(value),
        _ => Err(CryptoError::MalformedState),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;
    use crate::keys::PreKeyBundle;
    use crate::x3dh;

    #[test]
    fn key_material_round_trips() {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let restored: IdentityKeyPair = decode(&encode(&identity).unwrap()).unwrap();
        assert_eq!(restored.public_key(), identity.public_key());
        assert_eq!(
            *restored.private_key().to_bytes(),
            *identity.private_key().to_bytes()
        );

        let spk = SignedPreKey::generate(3, &identity, &mut OsRng);
        let restored: SignedPreKey = decode(&encode(&spk).unwrap()).unwrap();
        assert_eq!(restored.id, 3);
        assert_eq!(restored.signature, spk.signature);
        assert_eq!(restored.key_pair.public_key(), spk.key_pair.public_key());

        let otk = OneTimePreKey::generate(11, &mut OsRng);
        let restored: OneTimePreKey = decode(&encode(&otk).unwrap()).unwrap();
        assert_eq!(restored.id, 11);
        assert_eq!(restored.key_pair.public_key(), otk.key_pair.public_key());
    }

    #[test]
    fn unknown_version_kind_and_garbage_are_rejected() {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let bytes = encode(&identity).unwrap();
        assert_eq!(bytes[0], STATE_VERSION);
        assert_eq!(bytes[1], IdentityKeyPair::KIND);

        let mut newer = bytes.to_vec();
        newer[0] = 2;
        assert_eq!(
            decode::<IdentityKeyPair>(&newer).unwrap_err(),
            CryptoError::UnsupportedStateVersion(2)
        );
        assert_eq!(
            decode::<OneTimePreKey>(&bytes).unwrap_err(),
            CryptoError::MalformedState
        );
        assert_eq!(
            decode::<IdentityKeyPair>(&bytes[..bytes.len() - 1]).unwrap_err(),
            CryptoError::MalformedState
        );
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        assert_eq!(
            decode::<IdentityKeyPair>(&trailing).unwrap_err(),
            CryptoError::MalformedState
        );
        assert_eq!(
            decode::<IdentityKeyPair>(&[]).unwrap_err(),
            CryptoError::MalformedState
        );
    }

    #[test]
    fn session_round_trips_mid_conversation() {
        let alice_id = IdentityKeyPair::generate(&mut OsRng);
        let bob_id = IdentityKeyPair::generate(&mut OsRng);
        let spk = SignedPreKey::generate(1, &bob_id, &mut OsRng);
        let bundle = PreKeyBundle::new(&bob_id, &spk, None);
        let init = x3dh::initiate(&alice_id, &bundle, &mut OsRng).unwrap();
        let acc = x3dh::accept(
            &bob_id,
            &spk,
            None,
            alice_id.public_key(),
            &init.ephemeral_public,
        )
        .unwrap();
        let mut alice = Session::initiator(
            init.shared_secret,
            init.associated_data,
            *spk.key_pair.public_key(),
            &mut OsRng,
        )
        .unwrap();
        let mut bob =
            Session::responder(acc.shared_secret, acc.associated_data, spk.key_pair.clone());

        let first = alice.encrypt(b"one", &mut OsRng).unwrap();
        let delayed = alice.encrypt(b"two (delayed)", &mut OsRng).unwrap();
        let third = alice.encrypt(b"three", &mut OsRng).unwrap();
        assert_eq!(bob.decrypt(&first).unwrap(), b"one");
        assert_eq!(bob.decrypt(&third).unwrap(), b"three");
        assert_eq!(bob.skipped_key_count(), 1);

        // Store both sides, drop them, reload and carry on, including the skipped key.
        let alice_bytes = encode(&alice).unwrap();
        let bob_bytes = encode(&bob).unwrap();
        drop((alice, bob));
        let mut alice: Session = decode(&alice_bytes).unwrap();
        let mut bob: Session = decode(&bob_bytes).unwrap();
        assert_eq!(
            *encode(&bob).unwrap(),
            *bob_bytes,
            "encoding is deterministic"
        );

        assert_eq!(bob.decrypt(&delayed).unwrap(), b"two (delayed)");
        let reply = bob.encrypt(b"reply", &mut OsRng).unwrap();
        assert_eq!(alice.decrypt(&reply).unwrap(), b"reply");
        let next = alice.encrypt(b"after reload", &mut OsRng).unwrap();
        assert_eq!(bob.decrypt(&next).unwrap(), b"after reload");
    }
}
