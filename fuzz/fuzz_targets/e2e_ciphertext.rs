//! One recipient device's ciphertext, as a client reads it (`chatalot-crypto`):
//! `Ciphertext::parse` tells a prekey message from a session message; a prekey message is
//! accepted with the responder's real prekeys (running X3DH and the first ratchet step), a
//! session message is decrypted in the session the fixture's first prekey message started.
//! Whatever parses encodes back to the same value, and nothing but the fixture's own messages
//! may authenticate.
#![no_main]

use chatalot_crypto::{prekey_message::Ciphertext, ratchet::Session};
use chatalot_fuzz::Responder;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Fixture {
    responder: Responder,
    /// The responder's session after the fixture's first prekey message (seed `prekey-0`).
    session: Option<Session>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let responder = Responder::new();
        let session = chatalot_fuzz::first_prekey_message()
            .accept(
                &responder.identity,
                &responder.signed_prekey,
                Some(&responder.one_time_prekey),
            )
            .ok()
            .map(|(session, _)| session);
        Fixture { responder, session }
    })
}

/// Only the fixture initiator holds the keys: anything else that authenticates is a forgery.
fn assert_fixture_plaintext(plaintext: &[u8]) {
    assert!(
        plaintext.starts_with(b"message "),
        "a forged message authenticated: {plaintext:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = Ciphertext::parse(data) else {
        return;
    };
    let encoded = parsed.to_bytes();
    assert_eq!(Ciphertext::parse(&encoded).ok().as_ref(), Some(&parsed));
    let fixture = fixture();
    match parsed {
        Ciphertext::PreKey(message) => {
            let one_time = (message.one_time_prekey_id
                == Some(fixture.responder.one_time_prekey.id))
            .then_some(&fixture.responder.one_time_prekey);
            if let Ok((_, plaintext)) = message.accept(
                &fixture.responder.identity,
                &fixture.responder.signed_prekey,
                one_time,
            ) {
                assert_fixture_plaintext(&plaintext);
            }
        }
        Ciphertext::Message(message) => {
            if let Some(session) = &fixture.session
                && let Ok(plaintext) = session.clone().decrypt(&message)
            {
                assert_fixture_plaintext(&plaintext);
            }
        }
    }
});
