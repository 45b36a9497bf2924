//! The crate's single error type.
//!
//! Variants are deliberately coarse where detail would help an attacker (a failed MAC says only
//! that authentication failed) and precise where the caller must react differently (a peer that
//! skipped too many messages, a stored state from a newer version).

/// Everything that can go wrong in key agreement, ratcheting or decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// An encoded public key was not 33 bytes long, did not start with the 0x05 type byte, or
    /// its key was not canonical (32 bytes little-endian below 2^255 − 19); also a
    /// non-canonical key anywhere else (a ratchet header, a Diffie-Hellman input).
    #[error(
        "invalid public key: expected the 0x05 type byte and a canonical 32-byte X25519 key \
         (little-endian, below 2^255 - 19)"
    )]
    InvalidPublicKeyEncoding,
    /// A Diffie-Hellman output was all zero: the peer's public key has low order.
    #[error("Diffie-Hellman output is all zero: the public key has low order")]
    LowOrderPublicKey,
    /// The signed prekey in a bundle does not carry a valid XEdDSA signature by the identity key.
    #[error("signed prekey signature does not verify against the bundle's identity key")]
    InvalidSignedPreKeySignature,
    /// The message's MAC did not match; nothing was decrypted.
    #[error("message authentication failed")]
    MacMismatch,
    /// A prekey message names a signed or one-time prekey other than the one supplied.
    #[error("prekey message names a prekey that was not supplied")]
    PreKeyMismatch,
    /// The message authenticated but its padding was invalid (only a buggy sender can cause this).
    #[error("message plaintext padding is invalid")]
    InvalidPadding,
    /// The message bytes could not be parsed; the text says which part was wrong.
    #[error("malformed message: {0}")]
    MalformedMessage(&'static str),
    /// The message's version byte is not one this crate understands.
    #[error("unsupported message version {0}")]
    UnsupportedMessageVersion(u8),
    /// The message key for this message was already used: a replay or a duplicate delivery.
    #[error("duplicate message: its key was already used")]
    DuplicateMessage,
    /// The message would require skipping more message keys than allowed in one chain step.
    #[error("message skips more than {max} message keys", max = crate::ratchet::MAX_SKIP)]
    TooManySkippedMessages,
    /// A group (sender key) message's signature did not verify; nothing was decrypted.
    #[error("sender key message signature does not verify")]
    InvalidMessageSignature,
    /// A group message names a sender key chain other than the one stored for this sender.
    #[error("sender key message belongs to an unknown chain")]
    UnknownSenderKeyChain,
    /// A group message is further ahead of the stored chain than allowed.
    #[error("sender key message is more than {max} iterations ahead", max = crate::sender_keys::MAX_FORWARD_JUMPS)]
    SenderKeyTooFarAhead,
    /// This session cannot send yet: the responder must receive the first message before replying.
    #[error("session has no sending chain yet: receive a message from the peer first")]
    NoSendingChain,
    /// A 32-bit message counter would overflow; the session must be replaced.
    #[error("message counter exhausted: start a new session")]
    CounterExhausted,
    /// Stored state carries a version this crate does not know.
    #[error("unsupported state version {0}")]
    UnsupportedStateVersion(u8),
    /// Stored state bytes are truncated, of the wrong kind, or otherwise undecodable.
    #[error("stored state could not be decoded")]
    MalformedState,
    /// A key derivation was asked for an impossible output length (a bug in this crate).
    #[error("internal key derivation error")]
    KeyDerivation,
}

/// Result alias used throughout the crate.
pub type Result<T> = core::result::Result<T, CryptoError>;
