//! Request parameters and answers: base64 byte strings and errors with stable codes.

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::CryptoError;
use serde_json::Value;

/// An operation's failure: a stable `code` and a human-readable `message`.
#[derive(Debug)]
pub struct PeerError {
    pub code: String,
    pub message: String,
}

impl PeerError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("bad_request", message)
    }
}

/// Crypto failures answer with code `crypto` and the error's text.
impl From<CryptoError> for PeerError {
    fn from(error: CryptoError) -> Self {
        Self::new("crypto", error.to_string())
    }
}

/// A required string parameter.
pub fn string<'a>(params: &'a Value, name: &str) -> Result<&'a str, PeerError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| PeerError::bad_request(format!("missing string parameter {name:?}")))
}

/// A required base64 parameter, decoded.
pub fn bytes(params: &Value, name: &str) -> Result<Vec<u8>, PeerError> {
    decode(string(params, name)?)
        .map_err(|_| PeerError::bad_request(format!("parameter {name:?} is not base64")))
}

/// An optional base64 parameter, decoded.
pub fn optional_bytes(params: &Value, name: &str) -> Result<Option<Vec<u8>>, PeerError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => bytes(params, name).map(Some),
    }
}

/// A required unsigned 32-bit integer parameter.
pub fn u32_param(params: &Value, name: &str) -> Result<u32, PeerError> {
    params
        .get(name)
        .and_then(Value::as_u64)
        .and_then(|value| u32::try_from(value).ok())
        .ok_or_else(|| PeerError::bad_request(format!("missing u32 parameter {name:?}")))
}

pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

/// An optional base64 parameter that must decode to exactly `N` bytes (a fixed key or nonce).
pub fn optional_array<const N: usize>(
    params: &Value,
    name: &str,
) -> Result<Option<[u8; N]>, PeerError> {
    optional_bytes(params, name)?
        .map(|bytes| {
            <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
                PeerError::bad_request(format!("parameter {name:?} must be {N} bytes"))
            })
        })
        .transpose()
}

/// A required object parameter.
pub fn object<'a>(params: &'a Value, name: &str) -> Result<&'a Value, PeerError> {
    params
        .get(name)
        .filter(|value| value.is_object())
        .ok_or_else(|| PeerError::bad_request(format!("missing object parameter {name:?}")))
}

/// An optional array parameter; absent and `null` read as empty.
pub fn optional_list<'a>(params: &'a Value, name: &str) -> Result<&'a [Value], PeerError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(PeerError::bad_request(format!(
            "parameter {name:?} must be an array"
        ))),
    }
}

/// An optional unsigned 32-bit integer parameter.
pub fn optional_u32(params: &Value, name: &str) -> Result<Option<u32>, PeerError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => u32_param(params, name).map(Some),
    }
}
