//! An invite code someone presents (`/invite/<code>`, the accept and preview routes, and
//! registration invites), read by `InviteCode::parse_presented` before any database look-up.
//! An accepted code is short, URL-safe and the trimmed input, so it is safe to put in a URL,
//! a log line or a query.
#![no_main]

use chatalot_shared::invites::InviteCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(code) = InviteCode::parse_presented(raw) else {
        return;
    };
    let value = code.as_str();
    assert!(!value.is_empty() && value.len() <= 64, "{value:?}");
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{value:?}"
    );
    assert_eq!(value, raw.trim());
    // Parsing is idempotent: the code reads back as itself.
    assert_eq!(InviteCode::parse_presented(value).ok(), Some(code.clone()));
});
