//! The store key's round trip through the OS keychain. Needs a Secret Service on the session
//! bus: scripts/check-desktop.sh runs it in a throwaway D-Bus session with gnome-keyring
//! (scripts/lib/desktop-session.sh). Without one it fails, saying so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chatalot_desktop::keychain::{KEY_LEN, SERVICE, forget_store_key, store_key};
use keyring::Entry;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[test]
fn a_store_key_is_created_once_kept_in_the_keychain_and_forgotten_on_request() {
    let server = "https://chat.example.com";
    let account = unique("account");

    let key = store_key(server, &account).expect("a Secret Service on the session bus");
    assert_eq!(STANDARD.decode(&key).unwrap().len(), KEY_LEN);
    // Asked again (a restart), the same key: the end-to-end state stays readable.
    assert_eq!(store_key(server, &account).unwrap(), key);
    // It is really in the keychain, under the documented service name.
    let entry = Entry::new(SERVICE, &format!("store-key {server} {account}")).unwrap();
    assert_eq!(entry.get_password().unwrap(), key);

    // Another account, or the same account on another server, has a key of its own.
    let other_account = store_key(server, &unique("other")).unwrap();
    let other_server = store_key("https://other.example.org", &account).unwrap();
    assert_ne!(other_account, key);
    assert_ne!(other_server, key);

    // Forgotten, it is gone from the keychain, and the next start makes a new one.
    forget_store_key(server, &account).unwrap();
    forget_store_key(server, &account).unwrap();
    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
    let fresh = store_key(server, &account).unwrap();
    assert_ne!(fresh, key);
    forget_store_key(server, &account).unwrap();
}

#[test]
fn a_damaged_entry_is_replaced_by_a_new_key() {
    let server = "https://chat.example.com";
    let account = unique("damaged");
    let entry = Entry::new(SERVICE, &format!("store-key {server} {account}")).unwrap();
    entry.set_password("not a key").unwrap();
    let key = store_key(server, &account).unwrap();
    assert_eq!(STANDARD.decode(&key).unwrap().len(), KEY_LEN);
    assert_eq!(entry.get_password().unwrap(), key);
    forget_store_key(server, &account).unwrap();
}

#[test]
fn account_ids_that_are_not_ids_are_refused() {
    assert!(store_key("https://chat.example.com", "  ").is_err());
    assert!(store_key("https://chat.example.com", &"x".repeat(201)).is_err());
}
