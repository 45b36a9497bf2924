//! Which identity keys a device has seen for its contacts: trust on first use, verification
//! by comparing safety numbers, and a warning state when a known contact's identity key
//! changes.
//!
//! The first key seen for a contact is trusted ([`Trust::FirstUse`]). Later the same key is
//! [`Trust::Trusted`], or [`Trust::Verified`] once the user compared safety numbers and called
//! [`KnownIdentities::mark_verified`]. A different key is [`Trust::Changed`]: the old key stays
//! the trusted one until the user accepts the new key ([`KnownIdentities::accept_change`]),
//! which also drops a verification — the user must compare safety numbers again. Clients show
//! the warning and decide whether to keep sending; this type only remembers.
//!
//! Contacts are named by the client (Chatalot's web client uses `user id/device id`). Stored
//! with [`crate::state`] (kind 7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::PublicKey;

/// What a client should show for a contact's identity key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Never seen before: now remembered and trusted.
    FirstUse,
    /// The key seen before, not verified by the user.
    Trusted,
    /// The key the user verified by comparing safety numbers.
    Verified,
    /// A different key than the one remembered: warn the user. `previous` is still the
    /// trusted key, and `was_verified` says whether the user had verified it.
    Changed {
        previous: PublicKey,
        was_verified: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct KnownIdentity {
    key: PublicKey,
    verified: bool,
    /// A different key seen since, waiting for the user to accept it.
    pending: Option<PublicKey>,
}

/// The identity keys one device remembers for its contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownIdentities {
    contacts: BTreeMap<String, KnownIdentity>,
}

impl KnownIdentities {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `contact` presented `key` and says how to treat it.
    pub fn observe(&mut self, contact: &str, key: &PublicKey) -> Trust {
        let Some(known) = self.contacts.get_mut(contact) else {
            self.contacts.insert(
                contact.to_owned(),
                KnownIdentity {
                    key: *key,
                    verified: false,
                    pending: None,
                },
            );
            return Trust::FirstUse;
        };
        if known.key == *key {
            // Back to the trusted key: forget a change that was never accepted.
            known.pending = None;
            return if known.verified {
                Trust::Verified
            } else {
                Trust::Trusted
            };
        }
        known.pending = Some(*key);
        Trust::Changed {
            previous: known.key,
            was_verified: known.verified,
        }
    }

    /// The state of `contact` without recording anything; `None` if never seen.
    pub fn status(&self, contact: &str) -> Option<Trust> {
        let known = self.contacts.get(contact)?;
        Some(match known.pending {
            Some(_) => Trust::Changed {
                previous: known.key,
                was_verified: known.verified,
            },
            None if known.verified => Trust::Verified,
            None => Trust::Trusted,
        })
    }

    /// The user accepted `contact`'s new key: it becomes the trusted (unverified) one. False
    /// when no change is pending or the pending key is not `key`.
    pub fn accept_change(&mut self, contact: &str, key: &PublicKey) -> bool {
        match self.contacts.get_mut(contact) {
            Some(known) if known.pending == Some(*key) => {
                known.key = *key;
                known.verified = false;
                known.pending = None;
                true
            }
            _ => false,
        }
    }

    /// The user compared safety numbers computed from `key`: marks it verified. False (and
    /// nothing changes) when `key` is not the trusted key of `contact`.
    pub fn mark_verified(&mut self, contact: &str, key: &PublicKey) -> bool {
        match self.contacts.get_mut(contact) {
            Some(known) if known.key == *key && known.pending.is_none() => {
                known.verified = true;
                true
            }
            _ => false,
        }
    }

    /// Forgets a contact (a removed device).
    pub fn forget(&mut self, contact: &str) {
        self.contacts.remove(contact);
    }
}

impl crate::state::Stored for KnownIdentities {
    const KIND: u8 = 7;
    fn encoded_size_hint(&self) -> usize {
        64 + self.contacts.len() * 160
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::keys::PrivateKey;
    use crate::state;
    use rand_core::OsRng;

    fn key() -> PublicKey {
        PrivateKey::generate(&mut OsRng).public_key()
    }

    #[test]
    fn first_use_then_trusted_then_verified() {
        let mut known = KnownIdentities::new();
        let bob = key();
        assert_eq!(known.status("bob/1"), None);
        assert_eq!(known.observe("bob/1", &bob), Trust::FirstUse);
        assert_eq!(known.observe("bob/1", &bob), Trust::Trusted);
        assert!(
            !known.mark_verified("bob/1", &key()),
            "only the trusted key can be verified"
        );
        assert!(known.mark_verified("bob/1", &bob));
        assert_eq!(known.observe("bob/1", &bob), Trust::Verified);
    }

    #[test]
    fn a_changed_key_warns_until_accepted_and_drops_verification() {
        let mut known = KnownIdentities::new();
        let (old, new) = (key(), key());
        known.observe("bob/1", &old);
        known.mark_verified("bob/1", &old);
        let warning = Trust::Changed {
            previous: old,
            was_verified: true,
        };
        assert_eq!(known.observe("bob/1", &new), warning);
        assert_eq!(known.status("bob/1"), Some(warning));
        assert!(
            !known.mark_verified("bob/1", &old),
            "no verifying while a change is pending"
        );
        assert!(
            !known.accept_change("bob/1", &key()),
            "only the key that was seen"
        );
        assert!(known.accept_change("bob/1", &new));
        assert_eq!(known.observe("bob/1", &new), Trust::Trusted);
        assert_eq!(
            known.observe("bob/1", &old),
            Trust::Changed {
                previous: new,
                was_verified: false
            }
        );
    }

    #[test]
    fn seeing_the_old_key_again_clears_the_warning() {
        let mut known = KnownIdentities::new();
        let (old, new) = (key(), key());
        known.observe("bob/1", &old);
        known.observe("bob/1", &new);
        assert_eq!(known.observe("bob/1", &old), Trust::Trusted);
        assert!(!known.accept_change("bob/1", &new));
        known.forget("bob/1");
        assert_eq!(known.observe("bob/1", &new), Trust::FirstUse);
    }

    #[test]
    fn survives_storage() {
        let mut known = KnownIdentities::new();
        let bob = key();
        known.observe("bob/1", &bob);
        known.mark_verified("bob/1", &bob);
        known.observe("carol/1", &key());
        let restored: KnownIdentities = state::decode(&state::encode(&known).unwrap()).unwrap();
        assert_eq!(restored, known);
        assert_eq!(restored.status("bob/1"), Some(Trust::Verified));
    }
}
