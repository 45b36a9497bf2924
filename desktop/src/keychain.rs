//! The key that protects this device's end-to-end state at rest, kept in the OS keychain (the
//! Secret Service on Linux, the Credential Manager on Windows, the Keychain on macOS).
//!
//! The web client keeps its device keys, ratchet sessions and decrypted history in the web
//! view's IndexedDB, which is plain files on disk; in the desktop app it encrypts every value
//! with AES-256-GCM under this key (web/src/lib/e2e). One key per server and account, created on
//! first use. Nothing is ever written to a file here.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use keyring::Entry;

/// The keychain's service name for every Chatalot secret.
pub const SERVICE: &str = "org.chatalot.desktop";

/// Key length in bytes (AES-256).
pub const KEY_LEN: usize = 32;

/// The keychain entry of one account on one server.
fn entry(server_url: &str, account: &str) -> Result<Entry, String> {
    Entry::new(SERVICE, &format!("store-key {server_url} {account}"))
        .map_err(|err| format!("the OS keychain cannot be used: {err}"))
}

/// The account's store key (base64, padded), created and saved on first use.
pub fn store_key(server_url: &str, account: &str) -> Result<String, String> {
    if account.trim().is_empty() || account.len() > 200 {
        return Err("not an account id".into());
    }
    let entry = entry(server_url, account)?;
    match entry.get_password() {
        Ok(existing) if decodes_to_a_key(&existing) => Ok(existing),
        // A damaged entry would lock the user out for good; nothing it protected can be read
        // without it anyway, so a new key starts a fresh store.
        Ok(_) | Err(keyring::Error::NoEntry) => {
            let mut key = [0u8; KEY_LEN];
            getrandom::fill(&mut key).map_err(|err| format!("no randomness: {err}"))?;
            let encoded = STANDARD.encode(key);
            entry
                .set_password(&encoded)
                .map_err(|err| format!("the OS keychain refused the key: {err}"))?;
            Ok(encoded)
        }
        Err(err) => Err(format!("the OS keychain cannot be read: {err}")),
    }
}

/// Removes the account's key (its local end-to-end state becomes unreadable). Idempotent.
pub fn forget_store_key(server_url: &str, account: &str) -> Result<(), String> {
    match entry(server_url, account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(format!("the OS keychain refused to delete the key: {err}")),
    }
}

fn decodes_to_a_key(encoded: &str) -> bool {
    STANDARD
        .decode(encoded)
        .is_ok_and(|bytes| bytes.len() == KEY_LEN)
}
