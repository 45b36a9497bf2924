//! Failures with a stable machine-readable `code`, thrown to JavaScript as `Error` objects.
//!
//! JavaScript sees `err.name === "ChatalotCryptoError"`, `err.code` (one of the strings below)
//! and a human-readable `err.message`. Codes never change meaning; new ones may be added.

use chatalot_crypto::CryptoError;
use wasm_bindgen::JsValue;

/// A failed call: a stable `code` and a message for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: &'static str,
    message: String,
}

impl Error {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The stable code, e.g. `"authentication_failed"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// The code of each crate error. Exhaustive on purpose: a new crate error needs a code chosen
/// here, not a silent catch-all.
fn code_of(error: CryptoError) -> &'static str {
    match error {
        CryptoError::InvalidPublicKeyEncoding => "invalid_public_key",
        CryptoError::LowOrderPublicKey => "low_order_public_key",
        CryptoError::InvalidSignedPreKeySignature => "invalid_signature",
        CryptoError::MacMismatch => "authentication_failed",
        CryptoError::PreKeyMismatch => "prekey_mismatch",
        CryptoError::InvalidPadding => "invalid_padding",
        CryptoError::MalformedMessage(_) => "malformed_message",
        CryptoError::UnsupportedMessageVersion(_) => "unsupported_message_version",
        CryptoError::DuplicateMessage => "duplicate_message",
        CryptoError::TooManySkippedMessages => "too_many_skipped_messages",
        CryptoError::InvalidMessageSignature => "invalid_message_signature",
        CryptoError::UnknownSenderKeyChain => "unknown_sender_key_chain",
        CryptoError::SenderKeyTooFarAhead => "sender_key_too_far_ahead",
        CryptoError::NoSendingChain => "no_sending_chain",
        CryptoError::CounterExhausted => "counter_exhausted",
        CryptoError::UnsupportedStateVersion(_) => "unsupported_state_version",
        CryptoError::MalformedState => "malformed_state",
        CryptoError::KeyDerivation => "internal",
    }
}

impl From<CryptoError> for Error {
    fn from(error: CryptoError) -> Self {
        Self::new(code_of(error), error.to_string())
    }
}

/// What JavaScript catches. Only ever called by wasm-bindgen's glue on wasm32.
impl From<Error> for JsValue {
    fn from(error: Error) -> Self {
        let js = js_sys::Error::new(&error.message);
        js.set_name("ChatalotCryptoError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&js, &"code".into(), &error.code.into());
        js.into()
    }
}
