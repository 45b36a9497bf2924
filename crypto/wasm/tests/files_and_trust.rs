//! Encrypted files and identity trust through the binding, as the web client calls them. Runs
//! natively and, through `crypto/wasm/test.sh`, under Node.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use chatalot_crypto_wasm::attachment::{decrypt_attachment, encrypt_attachment};
use chatalot_crypto_wasm::identity::create_identity;
use chatalot_crypto_wasm::trust::{
    accept_identity_change, mark_identity_verified, new_known_identities, observe_identity,
};

#[test]
fn files_round_trip_and_refuse_any_change() {
    let file = b"holiday photo bytes".repeat(50);
    let sealed = encrypt_attachment(&file).unwrap();
    assert_ne!(sealed.blob(), file);
    let opened = decrypt_attachment(&sealed.blob(), &sealed.key(), &sealed.digest()).unwrap();
    assert_eq!(opened, file);

    let mut blob = sealed.blob();
    blob[20] ^= 1;
    let error = decrypt_attachment(&blob, &sealed.key(), &sealed.digest()).unwrap_err();
    assert_eq!(error.code(), "authentication_failed");
    let error = decrypt_attachment(&sealed.blob(), "c2hvcnQ=", &sealed.digest()).unwrap_err();
    assert_eq!(error.code(), "invalid_key");
    let error = decrypt_attachment(&sealed.blob(), &sealed.key(), "%%").unwrap_err();
    assert_eq!(error.code(), "invalid_base64");
}

#[test]
fn identity_changes_warn_until_accepted() {
    let old = create_identity().unwrap().identity_key();
    let new = create_identity().unwrap().identity_key();
    let known = new_known_identities().unwrap();

    let first = observe_identity(&known, "bob/1", &old).unwrap();
    assert_eq!(first.trust(), "first_use");
    let known = mark_identity_verified(&first.state(), "bob/1", &old).unwrap();
    assert_eq!(
        observe_identity(&known, "bob/1", &old).unwrap().trust(),
        "verified"
    );

    let changed = observe_identity(&known, "bob/1", &new).unwrap();
    assert_eq!(changed.trust(), "changed");
    assert_eq!(changed.previous_identity_key(), Some(old.clone()));
    assert!(changed.was_verified());
    let error = mark_identity_verified(&changed.state(), "bob/1", &new).unwrap_err();
    assert_eq!(error.code(), "not_trusted_key");
    let error = accept_identity_change(&changed.state(), "bob/1", &old).unwrap_err();
    assert_eq!(error.code(), "no_pending_change");

    let known = accept_identity_change(&changed.state(), "bob/1", &new).unwrap();
    assert_eq!(
        observe_identity(&known, "bob/1", &new).unwrap().trust(),
        "trusted"
    );
    let error = observe_identity(&[9, 9], "bob/1", &new).err().unwrap();
    assert_eq!(error.code(), "unsupported_state_version");
}
