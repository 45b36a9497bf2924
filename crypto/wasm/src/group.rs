//! Sender keys: group messages encrypted once for all members of a conversation.
//!
//! Each device creates one outbound sender key per group conversation, named by the
//! conversation's UUID (the distribution id), and sends its distribution to every other member
//! device inside their pairwise sessions. Receivers keep one inbound sender key per (sending
//! device, conversation). Distributions are secret: send them only encrypted.

use chatalot_crypto::sender_keys::{
    DistributionId, InboundSenderKey, OutboundSenderKey, SenderKeyDistribution, SenderKeyMessage,
};
use chatalot_crypto::state;
use rand_core::OsRng;
use wasm_bindgen::prelude::wasm_bindgen;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::session::{Decrypted, Encrypted};

/// A new outbound sender key: its state and the distribution to send to the members.
#[wasm_bindgen]
pub struct SenderKey {
    state: Zeroizing<Vec<u8>>,
    distribution: Zeroizing<Vec<u8>>,
}

#[wasm_bindgen]
impl SenderKey {
    /// The outbound sender key's state.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }

    /// The distribution message (secret: send it inside pairwise sessions only).
    #[wasm_bindgen(getter)]
    pub fn distribution(&self) -> Vec<u8> {
        self.distribution.to_vec()
    }
}

/// An inbound sender key made from (or kept for) a received distribution.
#[wasm_bindgen]
pub struct ReceivedSenderKey {
    state: Zeroizing<Vec<u8>>,
    distribution_id: String,
}

#[wasm_bindgen]
impl ReceivedSenderKey {
    /// The inbound sender key's state, to keep for the sending device and conversation.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Vec<u8> {
        self.state.to_vec()
    }

    /// The conversation UUID the distribution names (lowercase, hyphenated).
    #[wasm_bindgen(getter, js_name = distributionId)]
    pub fn distribution_id(&self) -> String {
        self.distribution_id.clone()
    }
}

/// Parses a hyphenated UUID (`8-4-4-4-12` hex digits, either case) into its 16 bytes.
fn parse_uuid(text: &str) -> Result<DistributionId, Error> {
    let invalid = || {
        Error::new(
            "invalid_argument",
            "distribution id must be a hyphenated UUID",
        )
    };
    let text = text.as_bytes();
    if text.len() != 36
        || [8, 13, 18, 23]
            .iter()
            .any(|&at| text.get(at) != Some(&b'-'))
    {
        return Err(invalid());
    }
    let digits = text
        .iter()
        .filter(|&&byte| byte != b'-')
        .map(|&byte| char::from(byte).to_digit(16).map(|digit| digit as u8))
        .collect::<Option<Vec<u8>>>()
        .filter(|digits| digits.len() == 32)
        .ok_or_else(invalid)?;
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (pair[0] << 4) | pair[1];
    }
    Ok(DistributionId::from_bytes(bytes))
}

fn format_uuid(id: DistributionId) -> String {
    let mut text = String::with_capacity(36);
    for (index, byte) in id.as_bytes().iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// A new outbound sender key for the conversation `distribution_id` (its UUID). Make a new one
/// whenever a member leaves, and distribute it again.
#[wasm_bindgen(js_name = createSenderKey)]
pub fn create_sender_key(distribution_id: &str) -> Result<SenderKey, Error> {
    let key = OutboundSenderKey::generate(parse_uuid(distribution_id)?, &mut OsRng);
    Ok(SenderKey {
        state: state::encode(&key)?,
        distribution: key.distribution().to_bytes(),
    })
}

/// The current distribution of an outbound sender key, for members who join now: they can
/// read messages from here on.
#[wasm_bindgen(js_name = senderKeyDistribution)]
pub fn sender_key_distribution(sender_key_state: &[u8]) -> Result<Vec<u8>, Error> {
    let key: OutboundSenderKey = state::decode(sender_key_state)?;
    Ok(key.distribution().to_bytes().to_vec())
}

/// Stores a received distribution as an inbound sender key. Pass the state already kept for
/// that device and conversation, if any: when the distribution describes the same chain the
/// kept state is returned unchanged (replacing it would rewind the chain and allow replays).
#[wasm_bindgen(js_name = processSenderKeyDistribution)]
pub fn process_sender_key_distribution(
    distribution: &[u8],
    existing_state: Option<Vec<u8>>,
) -> Result<ReceivedSenderKey, Error> {
    let distribution = SenderKeyDistribution::from_bytes(distribution)?;
    let distribution_id = format_uuid(distribution.distribution_id);
    if let Some(existing_state) = existing_state.map(Zeroizing::new) {
        let existing: InboundSenderKey = state::decode(&existing_state)?;
        if existing.matches(&distribution) {
            return Ok(ReceivedSenderKey {
                state: existing_state,
                distribution_id,
            });
        }
    }
    Ok(ReceivedSenderKey {
        state: state::encode(&InboundSenderKey::from_distribution(&distribution))?,
        distribution_id,
    })
}

/// Encrypts and signs one group message.
#[wasm_bindgen(js_name = groupEncrypt)]
pub fn group_encrypt(sender_key_state: &[u8], plaintext: &[u8]) -> Result<Encrypted, Error> {
    let mut key: OutboundSenderKey = state::decode(sender_key_state)?;
    let message = key.encrypt(plaintext, &mut OsRng)?;
    Ok(Encrypted {
        state: state::encode(&key)?,
        ciphertext: message.to_bytes(),
    })
}

/// Verifies and decrypts one group message with the sender's inbound sender key.
#[wasm_bindgen(js_name = groupDecrypt)]
pub fn group_decrypt(inbound_state: &[u8], ciphertext: &[u8]) -> Result<Decrypted, Error> {
    let mut key: InboundSenderKey = state::decode(inbound_state)?;
    let plaintext = Zeroizing::new(key.decrypt(&SenderKeyMessage::from_bytes(ciphertext)?)?);
    Ok(Decrypted {
        state: state::encode(&key)?,
        plaintext,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn uuids_round_trip_and_bad_ones_are_refused() {
        let text = "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5b";
        let id = parse_uuid(text).unwrap();
        assert_eq!(id.as_bytes()[..3], [0x01, 0x90, 0xe8]);
        assert_eq!(format_uuid(id), text);
        assert_eq!(format_uuid(parse_uuid(&text.to_uppercase()).unwrap()), text);
        for bad in [
            "",
            "0190e8c48a3e7cc29b1a5d1c2e3f4a5b",
            "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5",
            "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5g",
            "0190e8c4+8a3e-7cc2-9b1a-5d1c2e3f4a5b",
            "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a-5",
            "0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4aé",
        ] {
            assert_eq!(
                parse_uuid(bad).err().map(|e| e.code()),
                Some("invalid_argument"),
                "{bad}"
            );
        }
    }
}
