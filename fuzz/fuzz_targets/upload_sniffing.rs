//! An uploaded file's first bytes and its client-given name, as the gateway types and names it
//! (`gateway/src/attachments`): `sniffing::detect` (magic numbers via `infer`, image sizes via
//! `imagesize`, the text fallback) and `filenames::clean` plus `content_disposition`. The first
//! input byte chooses whether the head is the whole file; the next up to 255 bytes, up to a
//! NUL, are the file name.
#![no_main]

use chatalot_gateway::attachments::{
    filenames::{self, MAX_FILENAME_BYTES},
    sniffing,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let complete = flags & 1 == 1;
    let (name, head) = if flags & 2 == 2 {
        let end = rest
            .iter()
            .take(255)
            .position(|&b| b == 0)
            .unwrap_or(rest.len().min(255));
        (
            Some(String::from_utf8_lossy(&rest[..end]).into_owned()),
            rest.get(end + 1..).unwrap_or_default(),
        )
    } else {
        (None, rest)
    };

    let detected = sniffing::detect(head, complete);
    assert!(!detected.content_type.is_empty());
    if !detected.content_type.starts_with("image/") {
        assert_eq!((detected.width, detected.height), (None, None));
    }

    let clean = filenames::clean(name.as_deref());
    assert!(
        !clean.is_empty() && clean.len() <= MAX_FILENAME_BYTES,
        "{clean:?}"
    );
    assert!(!clean.contains(['/', '\\', '"']) && !clean.chars().any(char::is_control));
    let header = filenames::content_disposition("attachment", &clean);
    // The header value must be sendable: visible ASCII and spaces only.
    assert!(
        header.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
        "{header:?}"
    );
});
