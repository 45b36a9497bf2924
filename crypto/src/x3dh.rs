//! X3DH key agreement with parameter set P1: curve X25519, hash SHA-256, info `Chatalot_X3DH`.
//!
//! The initiator (Alice) fetches the responder's (Bob's) [`PreKeyBundle`], checks the signed
//! prekey's XEdDSA signature, and computes
//! `DH1 = DH(IK_A, SPK_B)`, `DH2 = DH(EK_A, IK_B)`, `DH3 = DH(EK_A, SPK_B)` and, when the bundle had
//! one, `DH4 = DH(EK_A, OPK_B)`; `SK = KDF(DH1 ‖ DH2 ‖ DH3 [‖ DH4])`. The associated data
//! `AD = Encode(IK_A) ‖ Encode(IK_B)` binds both identities into every later message MAC.
//! Bob repeats the computation from his private keys when Alice's first message arrives.

use rand_core::{CryptoRng, RngCore};

use crate::error::{CryptoError, Result};
use crate::kdf::{self, SecretKey};
use crate::keys::{
    ENCODED_KEY_LEN, IdentityKeyPair, OneTimePreKey, PreKeyBundle, PublicKey, SignedPreKey,
};
use crate::xeddsa;

/// The 32-byte secret both sides derive; it seeds the Double Ratchet's root key.
pub type SharedSecret = SecretKey;

/// Length of the X3DH associated data: two encoded identity keys.
pub const ASSOCIATED_DATA_LEN: usize = 2 * ENCODED_KEY_LEN;

/// What the initiator learns and must send in its first message.
#[derive(Debug)]
pub struct Initiation {
    /// The shared secret; start the session with it.
    pub shared_secret: SharedSecret,
    /// Alice's ephemeral public key; Bob needs it to repeat the agreement.
    pub ephemeral_public: PublicKey,
    /// The one-time prekey that was used, so Bob can find (and then delete) it.
    pub used_one_time_prekey_id: Option<u32>,
    /// `Encode(IK_A) ‖ Encode(IK_B)`.
    pub associated_data: Vec<u8>,
}

/// What the responder derives.
#[derive(Debug)]
pub struct Acceptance {
    /// The shared secret; equal to the initiator's when both sides are honest.
    pub shared_secret: SharedSecret,
    /// `Encode(IK_A) ‖ Encode(IK_B)`.
    pub associated_data: Vec<u8>,
}

/// `AD = Encode(IK_A) ‖ Encode(IK_B)`, initiator first.
pub fn associated_data(initiator: &PublicKey, responder: &PublicKey) -> Vec<u8> {
    let mut ad = Vec::with_capacity(ASSOCIATED_DATA_LEN);
    ad.extend_from_slice(&initiator.encode());
    ad.extend_from_slice(&responder.encode());
    ad
}

/// The initiator's side: verify the bundle, then agree on a secret with a fresh ephemeral key.
pub fn initiate(
    identity: &IdentityKeyPair,
    bundle: &PreKeyBundle,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Initiation> {
    // Keys parsed with `PublicKey::decode` are canonical already; a bundle built from raw bytes
    // is held to the same rule, before the signature check, so the error names the problem.
    let one_time = bundle.one_time_prekey.map(|(_, key)| key);
    if [
        Some(bundle.identity_key),
        Some(bundle.signed_prekey),
        one_time,
    ]
    .iter()
    .flatten()
    .any(|key| !key.is_canonical())
    {
        return Err(CryptoError::InvalidPublicKeyEncoding);
    }
    // Without this check a malicious server could hand out its own prekey and read the session.
    if !xeddsa::verify(
        &bundle.identity_key,
        &bundle.signed_prekey.encode(),
        &bundle.signed_prekey_signature,
    ) {
        return Err(CryptoError::InvalidSignedPreKeySignature);
    }
    let ephemeral = crate::keys::KeyPair::generate(rng);
    let dh1 = identity
        .private_key()
        .diffie_hellman(&bundle.signed_prekey)?;
    let dh2 = ephemeral
        .private_key()
        .diffie_hellman(&bundle.identity_key)?;
    let dh3 = ephemeral
        .private_key()
        .diffie_hellman(&bundle.signed_prekey)?;
    let shared_secret = match &bundle.one_time_prekey {
        Some((_, one_time)) => {
            let dh4 = ephemeral.private_key().diffie_hellman(one_time)?;
            kdf::x3dh_secret(&[&dh1, &dh2, &dh3, &dh4])?
        }
        None => kdf::x3dh_secret(&[&dh1, &dh2, &dh3])?,
    };
    Ok(Initiation {
        shared_secret,
        ephemeral_public: *ephemeral.public_key(),
        used_one_time_prekey_id: bundle.one_time_prekey.map(|(id, _)| id),
        associated_data: associated_data(identity.public_key(), &bundle.identity_key),
    })
}

/// The responder's side, from the keys named in the initiator's first message. The caller looks
/// up `signed_prekey` and `one_time_prekey` by the ids the message carries, and deletes the
/// one-time prekey once the first message decrypted.
pub fn accept(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<&OneTimePreKey>,
    initiator_identity: &PublicKey,
    ephemeral: &PublicKey,
) -> Result<Acceptance> {
    let dh1 = signed_prekey
        .key_pair
        .private_key()
        .diffie_hellman(initiator_identity)?;
    let dh2 = identity.private_key().diffie_hellman(ephemeral)?;
    let dh3 = signed_prekey
        .key_pair
        .private_key()
        .diffie_hellman(ephemeral)?;
    let shared_secret = match one_time_prekey {
        Some(one_time) => {
            let dh4 = one_time.key_pair.private_key().diffie_hellman(ephemeral)?;
            kdf::x3dh_secret(&[&dh1, &dh2, &dh3, &dh4])?
        }
        None => kdf::x3dh_secret(&[&dh1, &dh2, &dh3])?,
    };
    Ok(Acceptance {
        shared_secret,
        associated_data: associated_data(initiator_identity, identity.public_key()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use rand_core::OsRng;

    use super::*;

    struct Bob {
        identity: IdentityKeyPair,
        signed_prekey: SignedPreKey,
        one_time_prekey: OneTimePreKey,
    }

    fn bob() -> Bob {
        let identity = IdentityKeyPair::generate(&mut OsRng);
        let signed_prekey = SignedPreKey::generate(1, &identity, &mut OsRng);
        Bob {
            identity,
            signed_prekey,
            one_time_prekey: OneTimePreKey::generate(9, &mut OsRng),
        }
    }

    #[test]
    fn both_sides_agree_with_one_time_prekey() {
        let alice = IdentityKeyPair::generate(&mut OsRng);
        let bob = bob();
        let bundle = PreKeyBundle::new(
            &bob.identity,
            &bob.signed_prekey,
            Some(&bob.one_time_prekey),
        );
        let init = initiate(&alice, &bundle, &mut OsRng).unwrap();
        assert_eq!(init.used_one_time_prekey_id, Some(9));
        let acc = accept(
            &bob.identity,
            &bob.signed_prekey,
            Some(&bob.one_time_prekey),
            alice.public_key(),
            &init.ephemeral_public,
        )
        .unwrap();
        assert_eq!(init.shared_secret, acc.shared_secret);
        assert_eq!(init.associated_data, acc.associated_data);
        assert_eq!(init.associated_data.len(), ASSOCIATED_DATA_LEN);
        assert_eq!(&init.associated_data[..33], &alice.public_key().encode());
        assert_eq!(
            &init.associated_data[33..],
            &bob.identity.public_key().encode()
        );
    }

    #[test]
    fn both_sides_agree_without_one_time_prekey() {
        let alice = IdentityKeyPair::generate(&mut OsRng);
        let bob = bob();
        let bundle = PreKeyBundle::new(&bob.identity, &bob.signed_prekey, None);
        let init = initiate(&alice, &bundle, &mut OsRng).unwrap();
        assert_eq!(init.used_one_time_prekey_id, None);
        let acc = accept(
            &bob.identity,
            &bob.signed_prekey,
            None,
            alice.public_key(),
            &init.ephemeral_public,
        )
        .unwrap();
        assert_eq!(init.shared_secret, acc.shared_secret);
    }

    #[test]
    fn missing_one_time_prekey_on_responder_side_disagrees() {
        let alice = IdentityKeyPair::generate(&mut OsRng);
        let bob = bob();
        let bundle = PreKeyBundle::new(
            &bob.identity,
            &bob.signed_prekey,
            Some(&bob.one_time_prekey),
        );
        let init = initiate(&alice, &bundle, &mut OsRng).unwrap();
        let acc = accept(
            &bob.identity,
            &bob.signed_prekey,
            None,
            alice.public_key(),
            &init.ephemeral_public,
        )
        .unwrap();
        assert_ne!(init.shared_secret, acc.shared_secret);
    }

    #[test]
    fn bad_signed_prekey_signature_is_refused() {
        let alice = IdentityKeyPair::generate(&mut OsRng);
        let bob = bob();
        let mut bundle = PreKeyBundle::new(&bob.identity, &bob.signed_prekey, None);
        bundle.signed_prekey_signature[5] ^= 0x10;
        assert_eq!(
            initiate(&alice, &bundle, &mut OsRng).unwrap_err(),
            CryptoError::InvalidSignedPreKeySignature
        );

        // A prekey substituted by the server, signed by someone else's identity.
        let mallory = IdentityKeyPair::generate(&mut OsRng);
        let forged = SignedPreKey::generate(1, &mallory, &mut OsRng);
        let substituted = PreKeyBundle::new(&bob.identity, &forged, None);
        assert_eq!(
            initiate(&alice, &substituted, &mut OsRng).unwrap_err(),
            CryptoError::InvalidSignedPreKeySignature
        );
    }

    #[test]
    fn low_order_keys_are_refused() {
        let alice = IdentityKeyPair::generate(&mut OsRng);
        let bob = bob();
        let zero = PublicKey::from_bytes([0; 32]);

        // A bundle whose one-time prekey is low order (the signature only covers the signed prekey).
        let mut bundle = PreKeyBundle::new(&bob.identity, &bob.signed_prekey, None);
        bundle.one_time_prekey = Some((3, zero));
        assert_eq!(
            initiate(&alice, &bundle, &mut OsRng).unwrap_err(),
            CryptoError::LowOrderPublicKey
        );

        // An initiator presenting a low-order ephemeral or identity key.
        assert_eq!(
            accept(
                &bob.identity,
                &bob.signed_prekey,
                None,
                alice.public_key(),
                &zero
            )
            .unwrap_err(),
            CryptoError::LowOrderPublicKey
        );
        assert_eq!(
            accept(
                &bob.identity,
                &bob.signed_prekey,
                None,
                &zero,
                alice.public_key()
            )
            .unwrap_err(),
            CryptoError::LowOrderPublicKey
        );
    }
}
