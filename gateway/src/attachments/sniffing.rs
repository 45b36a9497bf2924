//! What a file is, from its first bytes: the client's `Content-Type` and file name are never
//! trusted, so a PNG named `evil.html` and sent as `text/html` is served as `image/png`.

/// How many leading bytes are kept for detection. Enough for every magic number and for the
/// dimensions of images whose header comes first; a JPEG with more metadata than this before
/// its frame header is stored without dimensions.
pub const HEAD_BYTES: usize = 256 * 1024;

/// What detection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub content_type: String,
    /// Images only, when their header is within [`HEAD_BYTES`].
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Detects the type of a file from `head`, its first bytes; `complete` says whether `head` is
/// the whole file (a cut may split the last UTF-8 character).
pub fn detect(head: &[u8], complete: bool) -> Detected {
    let content_type = match infer::get(head) {
        Some(kind) => kind.mime_type().to_string(),
        None if is_text(head, complete) => "text/plain".to_string(),
        None => "application/octet-stream".to_string(),
    };
    let (width, height) = if content_type.starts_with("image/") {
        match imagesize::blob_size(head) {
            Ok(size) => (
                u32::try_from(size.width).ok(),
                u32::try_from(size.height).ok(),
            ),
            Err(_) => (None, None),
        }
    } else {
        (None, None)
    };
    Detected {
        content_type,
        width,
        height,
    }
}

/// UTF-8 without NUL bytes (which text files do not contain and binary ones usually do).
fn is_text(head: &[u8], complete: bool) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // An incomplete character at the very end is the cut, not bad UTF-8.
        Err(err) => !complete && err.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 PNG's signature and IHDR chunk: all detection needs.
    fn png_head() -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        png.extend_from_slice(&3u32.to_be_bytes());
        png.extend_from_slice(&2u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        png
    }

    #[test]
    fn images_are_recognised_with_their_size() {
        let detected = detect(&png_head(), true);
        assert_eq!(detected.content_type, "image/png");
        assert_eq!((detected.width, detected.height), (Some(3), Some(2)));
    }

    #[test]
    fn text_and_binary_fall_back_by_content() {
        assert_eq!(
            detect("héllo\n".as_bytes(), true).content_type,
            "text/plain"
        );
        assert_eq!(
            detect(&[0xff, 0xfe, 0x00, 0x01], true).content_type,
            "application/octet-stream"
        );
        // A cut inside the two bytes of "é" is still text; a whole file ending so is not.
        let cut = &"aé".as_bytes()[..2];
        assert_eq!(detect(cut, false).content_type, "text/plain");
        assert_eq!(detect(cut, true).content_type, "application/octet-stream");
    }

    #[test]
    fn a_pdf_is_a_pdf_whatever_it_is_called() {
        let detected = detect(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", true);
        assert_eq!(detected.content_type, "application/pdf");
        assert_eq!(detected.width, None);
    }
}
