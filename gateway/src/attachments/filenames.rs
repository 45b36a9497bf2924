//! File names: what the uploader called a file, cleaned for display and for the
//! `Content-Disposition` header. The stored object's key never comes from it.

/// Longest kept name, in bytes.
pub const MAX_FILENAME_BYTES: usize = 255;
/// The name of a file sent without a usable one.
pub const DEFAULT_FILENAME: &str = "file";

/// Keeps the last path segment, drops control characters, quotes and text-direction overrides
/// (which make `exe.png` of `gnp.exe`), trims spaces and cuts the name to 255 bytes.
pub fn clean(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && !is_bidi_control(*c))
        .collect();
    let mut name = kept.trim();
    if name.len() > MAX_FILENAME_BYTES {
        let mut end = MAX_FILENAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name = name[..end].trim_end();
    }
    if name.is_empty() || name == "." || name == ".." {
        DEFAULT_FILENAME.to_string()
    } else {
        name.to_string()
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The `Content-Disposition` value: an ASCII `filename` for old clients and the exact name as
/// RFC 8187 `filename*`.
pub fn content_disposition(disposition: &str, filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for byte in filename.bytes() {
        // RFC 8187 attr-char: everything else is percent-encoded.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean(None), "file");
        assert_eq!(clean(Some("")), "file");
        assert_eq!(clean(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean(Some("C:\\Users\\me\\photo.png")), "photo.png");
        assert_eq!(clean(Some("a\"b\r\nc.txt")), "abc.txt");
        assert_eq!(clean(Some("invoice\u{202e}fdp.exe")), "invoicefdp.exe");
        assert_eq!(clean(Some("dir/..")), "file");
        assert_eq!(clean(Some("  spaced  ")), "spaced");
        let long = "é".repeat(200);
        let cut = clean(Some(&long));
        assert!(cut.len() <= 255 && cut.chars().all(|c| c == 'é'), "{cut}");
    }

    #[test]
    fn dispositions_carry_an_ascii_and_an_exact_name() {
        assert_eq!(
            content_disposition("attachment", "résumé 1.pdf"),
            "attachment; filename=\"r_sum_ 1.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf"
        );
        assert_eq!(
            content_disposition("inline", "a;b.png"),
            "inline; filename=\"a;b.png\"; filename*=UTF-8''a%3Bb.png"
        );
    }
}
