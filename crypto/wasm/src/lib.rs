//! JavaScript binding of [`chatalot_crypto`] for the web client, built with wasm-bindgen.
//!
//! A thin layer: every function decodes its inputs, calls the crate, and encodes the result. No
//! protocol logic lives here. Secrets never leave WebAssembly memory except inside opaque
//! *state* buffers (`Uint8Array`, the crate's versioned [`chatalot_crypto::state`] encoding),
//! which the client persists (IndexedDB) and passes back on the next call; every call that
//! changes a state returns the new one, and a failed call changes nothing.
//!
//! - [`identity`]: create a device identity.
//! - [`prekeys`]: signed and one-time prekeys, in the JSON shape of the keys API.
//! - [`session`]: start a session from a bundle, encrypt, decrypt, accept a first message.
//! - [`group`]: sender keys for group messages.
//! - [`safety`]: safety numbers.
//! - [`trust`]: trust on first use and identity-change warnings.
//! - [`attachment`]: files encrypted before upload.
//! - [`error`]: failures, thrown to JavaScript as `Error`s with a stable `code`.
//!
//! Public keys travel as standard base64 of `Encode(PK)` (33 bytes), signatures as base64 of
//! 64 bytes, as the keys API takes them. Every export is also an ordinary Rust function
//! returning `Result<_, Error>`, so the crate builds and is tested natively too.

pub mod attachment;
pub mod error;
pub mod group;
pub mod identity;
pub mod prekeys;
pub mod safety;
pub mod session;
pub mod trust;

mod encoding;

pub use error::Error;
