//! What the fuzz targets share: fixed end-to-end keys, so that the seeds `examples/seeds.rs`
//! writes (real ciphertexts made with these keys) authenticate inside the targets and the
//! fuzzer starts from messages that get past the MAC and signature checks.
//!
//! Nothing here is secret or random: a fixed-seed generator stands in for the operating system's
//! one so every run of a target and of the seed writer sees the same keys.

use chatalot_crypto::{
    kdf::SecretKey,
    keys::{IdentityKeyPair, KeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey},
    prekey_message::PreKeyMessage,
    ratchet::Session,
    sender_keys::{DistributionId, OutboundSenderKey, SenderKeyDistribution},
    x3dh,
};
use rand_core::{CryptoRng, RngCore};

/// A deterministic generator (SplitMix64). Claims `CryptoRng` only so the crypto crate's key
/// generation accepts it; never use it outside fuzzing fixtures.
pub struct FixedRng(u64);

impl FixedRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
}

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FixedRng {}

/// The responder's device: identity, signed prekey 1 and one-time prekey 7.
pub struct Responder {
    pub identity: IdentityKeyPair,
    pub signed_prekey: SignedPreKey,
    pub one_time_prekey: OneTimePreKey,
}

impl Responder {
    pub fn new() -> Self {
        let mut rng = FixedRng::new(1);
        let identity = IdentityKeyPair::generate(&mut rng);
        let signed_prekey = SignedPreKey::generate(1, &identity, &mut rng);
        let one_time_prekey = OneTimePreKey::generate(7, &mut rng);
        Self {
            identity,
            signed_prekey,
            one_time_prekey,
        }
    }

    /// The bundle an initiator fetches from keys-svc.
    pub fn bundle(&self) -> PreKeyBundle {
        PreKeyBundle::new(
            &self.identity,
            &self.signed_prekey,
            Some(&self.one_time_prekey),
        )
    }
}

impl Default for Responder {
    fn default() -> Self {
        Self::new()
    }
}

/// The initiator's identity.
pub fn initiator_identity() -> IdentityKeyPair {
    IdentityKeyPair::generate(&mut FixedRng::new(2))
}

/// The group (sender key family) of the sender-key fixtures.
pub const GROUP: DistributionId = DistributionId::from_bytes([0x42; 16]);

/// A group member's sending chain at iteration 0; its distribution is what the others hold.
pub fn group_sender() -> OutboundSenderKey {
    let mut rng = FixedRng::new(3);
    let mut chain_key = [0u8; 32];
    rng.fill_bytes(&mut chain_key);
    OutboundSenderKey::from_parts(
        GROUP,
        1234,
        SecretKey::from_bytes(chain_key),
        KeyPair::generate(&mut rng),
    )
}

/// The distribution the other members received from [`group_sender`].
pub fn group_distribution() -> SenderKeyDistribution {
    group_sender().distribution()
}

/// The initiator's first `count` messages to [`Responder`] (plaintexts "message 0", ...), each a
/// prekey message, as they travel until the initiator hears back.
pub fn initiator_messages(count: usize) -> Vec<PreKeyMessage> {
    let mut rng = FixedRng::new(4);
    let identity = initiator_identity();
    let bundle = Responder::new().bundle();
    let Ok(initiation) = x3dh::initiate(&identity, &bundle, &mut rng) else {
        return Vec::new();
    };
    let Ok(mut session) = Session::initiator(
        initiation.shared_secret.clone(),
        initiation.associated_data.clone(),
        bundle.signed_prekey,
        &mut rng,
    ) else {
        return Vec::new();
    };
    (0..count)
        .filter_map(|i| {
            let message = session
                .encrypt(format!("message {i}").as_bytes(), &mut rng)
                .ok()?;
            Some(PreKeyMessage::new(
                &identity,
                &initiation,
                bundle.signed_prekey_id,
                message,
            ))
        })
        .collect()
}

/// The initiator's first message, which starts the responder's session in the targets.
pub fn first_prekey_message() -> PreKeyMessage {
    match initiator_messages(1).pop() {
        Some(message) => message,
        None => panic!("the fixture keys make a prekey message"),
    }
}
