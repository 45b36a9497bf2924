//! Validated input of the conversation operations: member lists, group names, nonces, device
//! ids, envelopes and page sizes. Each `parse` refuses bad input with `invalid_request` before
//! anything is looked up.

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_shared::{
    ApiError,
    contracts::conversations::{
        Envelope, MAX_CIPHERTEXT_BYTES, MAX_CONVERSATION_MEMBERS, MAX_ENVELOPE_RECIPIENTS,
    },
};
use std::collections::HashSet;
use uuid::Uuid;

/// The other people of a new conversation, or people to add: distinct, without the caller,
/// at least one, and few enough that the conversation stays within the member cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherMembers(Vec<Uuid>);

impl OtherMembers {
    /// `room` is how many more people the conversation can take.
    pub fn parse(caller: Uuid, member_ids: &[Uuid], room: usize) -> Result<Self, ApiError> {
        let mut seen = HashSet::new();
        let others: Vec<Uuid> = member_ids
            .iter()
            .copied()
            .filter(|id| *id != caller && seen.insert(*id))
            .collect();
        if others.is_empty() {
            return Err(ApiError::invalid_request(
                "member_ids must name at least one other user",
            ));
        }
        if others.len() > room {
            return Err(ApiError::invalid_request(format!(
                "a conversation has at most {MAX_CONVERSATION_MEMBERS} members, you included"
            )));
        }
        Ok(Self(others))
    }

    pub fn ids(&self) -> &[Uuid] {
        &self.0
    }
}

/// A group's name: 1 to 100 characters after trimming, no control characters. An empty name
/// means "no name".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(Option<String>);

impl GroupName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim();
        if name.chars().count() > Self::MAX_CHARS {
            return Err(ApiError::invalid_request(format!(
                "name must have at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "name must not contain control characters",
            ));
        }
        Ok(Self(Some(name.to_string()).filter(|n| !n.is_empty())))
    }

    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A short client-chosen token (nonce, device id): 1 to 64 characters, no control characters.
fn token(field: &str, raw: &str) -> Result<(), ApiError> {
    let chars = raw.chars().count();
    if !(1..=64).contains(&chars) || raw.chars().any(char::is_control) {
        return Err(ApiError::invalid_request(format!(
            "{field} must have 1 to 64 characters and no control characters"
        )));
    }
    Ok(())
}

/// The client's idempotency key for a message.
pub fn nonce(raw: &str) -> Result<&str, ApiError> {
    token("nonce", raw).map(|()| raw)
}

/// A device id (a sender's, a recipient's, or the one a history reader narrows to).
pub fn device_id<'a>(field: &str, raw: &'a str) -> Result<&'a str, ApiError> {
    token(field, raw).map(|()| raw)
}

/// One envelope entry with its ciphertext decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub user_id: Uuid,
    pub device_id: String,
    pub ciphertext: Vec<u8>,
}

/// An envelope that fits the rules: a sender device, 1 to 250 entries, each (user, device) once,
/// each ciphertext valid base64 of 1 to 65536 bytes. Whether the users are members is the
/// handler's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEnvelope {
    pub sender_device_id: String,
    pub entries: Vec<Entry>,
}

impl CheckedEnvelope {
    pub fn parse(envelope: Envelope) -> Result<Self, ApiError> {
        device_id("envelope.sender_device_id", &envelope.sender_device_id)?;
        let count = envelope.recipients.len();
        if !(1..=MAX_ENVELOPE_RECIPIENTS).contains(&count) {
            return Err(ApiError::invalid_request(format!(
                "envelope.recipients must have 1 to {MAX_ENVELOPE_RECIPIENTS} entries"
            )));
        }
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(count);
        for recipient in envelope.recipients {
            device_id("envelope.recipients[].device_id", &recipient.device_id)?;
            if !seen.insert((recipient.user_id, recipient.device_id.clone())) {
                return Err(ApiError::invalid_request(
                    "envelope.recipients names a (user_id, device_id) twice",
                ));
            }
            let ciphertext = STANDARD.decode(&recipient.ciphertext).map_err(|_| {
                ApiError::invalid_request("envelope.recipients[].ciphertext must be base64")
            })?;
            if !(1..=MAX_CIPHERTEXT_BYTES).contains(&ciphertext.len()) {
                return Err(ApiError::invalid_request(format!(
                    "a ciphertext must have 1 to {MAX_CIPHERTEXT_BYTES} bytes"
                )));
            }
            entries.push(Entry {
                user_id: recipient.user_id,
                device_id: recipient.device_id,
                ciphertext,
            });
        }
        Ok(Self {
            sender_device_id: envelope.sender_device_id,
            entries,
        })
    }

    /// The distinct recipient users, in the order they first appear.
    pub fn user_ids(&self) -> Vec<Uuid> {
        let mut seen = HashSet::new();
        self.entries
            .iter()
            .map(|e| e.user_id)
            .filter(|id| seen.insert(*id))
            .collect()
    }
}

/// 1 to 100 messages per history page; 50 when the client does not say.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit.unwrap_or(50) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError::invalid_request("limit must be between 1 and 100")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::contracts::conversations::EnvelopeRecipient;

    fn recipient(user_id: Uuid, device_id: &str, ciphertext: &str) -> EnvelopeRecipient {
        EnvelopeRecipient {
            user_id,
            device_id: device_id.into(),
            ciphertext: ciphertext.into(),
        }
    }

    fn envelope(recipients: Vec<EnvelopeRecipient>) -> Envelope {
        Envelope {
            sender_device_id: "phone".into(),
            recipients,
        }
    }

    #[test]
    fn members_are_distinct_without_the_caller_and_within_the_cap() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        let parsed = OtherMembers::parse(me, &[other, me, other], 24);
        assert_eq!(parsed.map(|m| m.ids().to_vec()), Ok(vec![other]));
        assert!(OtherMembers::parse(me, &[me], 24).is_err());
        assert!(OtherMembers::parse(me, &[], 24).is_err());
        let many: Vec<Uuid> = (0..25).map(|_| Uuid::now_v7()).collect();
        assert!(OtherMembers::parse(me, &many, 24).is_err());
        assert!(OtherMembers::parse(me, &many[..24], 24).is_ok());
    }

    #[test]
    fn group_names_are_trimmed_bounded_and_may_be_cleared() {
        assert_eq!(
            GroupName::parse("  team ").map(|n| n.value().map(str::to_string)),
            Ok(Some("team".into()))
        );
        assert_eq!(
            GroupName::parse("  ").map(|n| n.value().is_none()),
            Ok(true)
        );
        assert!(GroupName::parse(&"x".repeat(101)).is_err());
        assert!(GroupName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn nonces_and_device_ids_are_short_tokens() {
        assert!(nonce("n").is_ok());
        assert!(nonce("").is_err());
        assert!(nonce(&"n".repeat(65)).is_err());
        assert!(device_id("device_id", "d\n").is_err());
    }

    #[test]
    fn envelopes_decode_and_bound_their_ciphertexts() {
        let user = Uuid::now_v7();
        let checked = CheckedEnvelope::parse(envelope(vec![
            recipient(user, "a", "aGk="),
            recipient(user, "b", "aGk="),
        ]));
        assert_eq!(
            checked.map(|c| (c.user_ids(), c.entries[0].ciphertext.clone())),
            Ok((vec![user], b"hi".to_vec()))
        );
        for bad in [
            envelope(vec![]),
            envelope(vec![recipient(user, "a", "not base64!")]),
            envelope(vec![recipient(user, "a", "")]),
            envelope(vec![
                recipient(user, "a", "aGk="),
                recipient(user, "a", "aGk="),
            ]),
            envelope(vec![recipient(user, "", "aGk=")]),
        ] {
            assert!(CheckedEnvelope::parse(bad).is_err());
        }
        let big = STANDARD.encode(vec![0u8; MAX_CIPHERTEXT_BYTES + 1]);
        assert!(CheckedEnvelope::parse(envelope(vec![recipient(user, "a", &big)])).is_err());
        let max = STANDARD.encode(vec![0u8; MAX_CIPHERTEXT_BYTES]);
        assert!(CheckedEnvelope::parse(envelope(vec![recipient(user, "a", &max)])).is_ok());
    }

    #[test]
    fn page_limits_default_to_fifty() {
        assert_eq!(page_limit(None), Ok(50));
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(101)).is_err());
    }
}
