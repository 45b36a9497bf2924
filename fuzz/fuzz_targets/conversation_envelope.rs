//! The body of a conversation message send (`POST /api/v1/conversations/{id}/messages`) as
//! message-svc checks it: `SendConversationMessageRequest::from_json` (refusing plaintext), then
//! `CheckedEnvelope::parse` (device ids, duplicate recipients, base64 ciphertexts and their
//! sizes). An accepted envelope obeys the documented limits; each decoded ciphertext is then
//! read as the crypto crate's wire format, as a recipient device would.
#![no_main]

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::prekey_message::Ciphertext;
use chatalot_message::fuzzing::CheckedEnvelope;
use chatalot_shared::contracts::conversations::{
    MAX_CIPHERTEXT_BYTES, MAX_ENVELOPE_RECIPIENTS, SendConversationMessageRequest,
};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(request) = SendConversationMessageRequest::from_json(value) else {
        return;
    };
    let sent: Vec<String> = request
        .envelope
        .recipients
        .iter()
        .map(|r| r.ciphertext.clone())
        .collect();
    let Ok(envelope) = CheckedEnvelope::parse(request.envelope) else {
        return;
    };
    assert!((1..=MAX_ENVELOPE_RECIPIENTS).contains(&envelope.entries.len()));
    let mut seen = HashSet::new();
    for (entry, sent) in envelope.entries.iter().zip(&sent) {
        assert!((1..=MAX_CIPHERTEXT_BYTES).contains(&entry.ciphertext.len()));
        assert!(seen.insert((entry.user_id, entry.device_id.as_str())));
        // Stored bytes are exactly what the sender encoded (canonical base64 only).
        assert_eq!(&STANDARD.encode(&entry.ciphertext), sent);
        let _ = Ciphertext::parse(&entry.ciphertext);
    }
});
