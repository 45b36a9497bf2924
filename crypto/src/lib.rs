//! Chatalot end-to-end encryption.
//!
//! Pure Rust on audited primitives (dalek curves, RustCrypto hashes and ciphers), with no `unsafe`,
//! no threads and no clock, so the same code runs on the server-side tools and, compiled to
//! `wasm32-unknown-unknown`, in the web client. The server never sees a key this crate makes
//! secret; it stores public prekey bundles and relays opaque [`message::Message`] bytes.
//!
//! # Data flow
//!
//! 1. Each device has an [`keys::IdentityKeyPair`] and publishes a [`keys::PreKeyBundle`]: a
//!    signed prekey ([`xeddsa`] signature by the identity) and optionally a one-time prekey.
//! 2. An initiator runs [`x3dh::initiate`] on the bundle and gets a shared secret plus the
//!    associated data binding both identities; the responder runs [`x3dh::accept`].
//! 3. Both start a [`ratchet::Session`] from that secret; every message then goes through the
//!    Double Ratchet and is sealed with AES-256-CBC + HMAC-SHA256 ([`message`]).
//!    The initiator's first messages travel as [`prekey_message::PreKeyMessage`]s so the
//!    responder can run its half of X3DH when one arrives.
//! 4. Groups use [`sender_keys`]: each member encrypts once under its own chain and signs.
//! 5. Users compare a [`safety_number`] out of band to detect a substituted identity key;
//!    [`trust`] remembers each contact's key and warns when it changes.
//! 6. Sessions and keys are stored with [`state`], versioned so old bytes stay readable.
//! 7. Files in conversations are encrypted with [`attachment`] under a fresh key that travels
//!    inside the message; the server stores only the ciphertext.
//!
//! # Layout
//!
//! - [`attachment`]: files of encrypted conversations (fresh key per file, MAC and digest).
//! - [`error`]: the one error enum.
//! - [`keys`]: X25519 keys, identity, prekeys, bundles, `Encode(PK)`.
//! - [`xeddsa`]: signatures with X25519 keys (spec form and libsignal's sign-bit form).
//! - [`x3dh`]: the key agreement, parameter set P1.
//! - [`kdf`]: the root, chain and message-key derivations.
//! - [`message`]: the ratchet header, the wire format, sealing and opening.
//! - [`prekey_message`]: the first-contact message and the parser for any payload.
//! - [`ratchet`]: the Double Ratchet session.
//! - [`sender_keys`]: group messages (libsignal's sender key construction).
//! - [`safety_number`]: the 60-digit fingerprint of two identities.
//! - [`state`]: versioned serialization of sessions and key material.
//! - [`trust`]: trust on first use, verified contacts, and identity-key change warnings.

pub mod attachment;
pub mod error;
pub mod kdf;
pub mod keys;
pub mod message;
pub mod prekey_message;
pub mod ratchet;
pub mod safety_number;
pub mod sender_keys;
pub mod state;
pub mod trust;
pub mod x3dh;
pub mod xeddsa;

pub use error::{CryptoError, Result};
