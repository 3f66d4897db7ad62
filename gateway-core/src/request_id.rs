//! Request ids: keep a sane client id, otherwise make a UUID v4 from host randomness.
//!
//! The id is echoed to the client, written on every log line and forwarded upstream, so a
//! client-chosen value must be short and plain printable ASCII (no header or log injection).

/// Longest client-supplied id we keep.
pub const MAX_LEN: usize = 128;

/// The client's `X-Request-ID` if it is sane, else a fresh UUID v4 built from `random`.
pub fn choose(client: Option<&[u8]>, random: [u8; 16]) -> String {
    client.and_then(sane).unwrap_or_else(|| uuid_v4(random))
}

fn sane(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    let ok =
        !text.is_empty() && text.len() <= MAX_LEN && text.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| text.to_owned())
}

/// Format 16 random bytes as an RFC 9562 version-4 UUID.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    if let Some(b) = bytes.get_mut(6) {
        *b = (*b & 0x0f) | 0x40;
    }
    if let Some(b) = bytes.get_mut(8) {
        *b = (*b & 0x3f) | 0x80;
    }
    // Formatted by hand: `format!` per byte was a measurable share of a request's guest time.
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        for nibble in [b >> 4, b & 0x0f] {
            out.extend(char::from_digit(u32::from(nibble), 16));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        let r = [0xabu8; 16];
        let generated = "abababab-abab-4bab-abab-abababababab";
        let long = "x".repeat(MAX_LEN + 1);
        let cases: &[(&str, Option<&[u8]>, &str)] = &[
            ("kept", Some(b"req-123"), "req-123"),
            ("trimmed", Some(b"  req-1 "), "req-1"),
            ("absent", None, generated),
            ("empty", Some(b""), generated),
            ("space inside", Some(b"a b"), generated),
            ("control char", Some(b"a\x01"), generated),
            ("non ascii", Some("é".as_bytes()), generated),
            ("too long", Some(long.as_bytes()), generated),
        ];
        for (name, input, want) in cases {
            assert_eq!(choose(*input, r), *want, "case {name}");
        }
    }

    #[test]
    fn uuid_shape() {
        let id = uuid_v4([0u8; 16]);
        assert_eq!(id, "00000000-0000-4000-8000-000000000000");
    }
}
