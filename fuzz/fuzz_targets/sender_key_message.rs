//! Group messages (`chatalot-crypto`'s sender keys, libsignal's construction): the bytes are
//! read both as a sender key distribution and as a sender key message; a message is decrypted
//! with the member's copy of the fixture sender's key (signature check, chain stepping, CBC).
//! Whatever parses re-encodes to an equal value.
#![no_main]

use chatalot_crypto::sender_keys::{InboundSenderKey, SenderKeyDistribution, SenderKeyMessage};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn inbound() -> &'static InboundSenderKey {
    static INBOUND: OnceLock<InboundSenderKey> = OnceLock::new();
    INBOUND
        .get_or_init(|| InboundSenderKey::from_distribution(&chatalot_fuzz::group_distribution()))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(distribution) = SenderKeyDistribution::from_bytes(data) {
        let again = SenderKeyDistribution::from_bytes(&distribution.to_bytes());
        assert_eq!(again.ok().as_ref(), Some(&distribution));
        let _ = InboundSenderKey::from_distribution(&distribution).matches(&distribution);
    }
    if let Ok(message) = SenderKeyMessage::from_bytes(data) {
        assert_eq!(message.as_bytes(), data);
        let mut member = inbound().clone();
        if let Ok(plaintext) = member.decrypt(&message) {
            // Only the fixture sender can sign: a forged message must never decrypt.
            assert_eq!(message.distribution_id(), chatalot_fuzz::GROUP);
            assert!(
                plaintext.starts_with(b"group message "),
                "a forged group message decrypted: {plaintext:?}"
            );
        }
    }
});
