//! Server-sent-events framing for what we write downstream.
//!
//! Callers hand in finished payloads (JSON bytes); this file only frames them and never parses
//! or re-serialises them. A payload containing line breaks is split over several `data:` lines,
//! so no input can break the framing.

/// `data: {json}\n\n`.
pub fn write_data(out: &mut Vec<u8>, json: &[u8]) {
    write_field_lines(out, b"data", json);
    out.push(b'\n');
}

/// `event: {name}\ndata: {json}\n\n`, the Responses API framing.
pub fn write_event(out: &mut Vec<u8>, name: &str, json: &[u8]) {
    write_field_lines(out, b"event", name.as_bytes());
    write_data(out, json);
}

/// `data: [DONE]\n\n`, the Chat Completions end-of-stream marker.
pub fn write_done(out: &mut Vec<u8>) {
    write_data(out, b"[DONE]");
}

/// `: {text}\n\n`, a comment clients ignore (keep-alive).
pub fn write_comment(out: &mut Vec<u8>, text: &str) {
    write_field_lines(out, b"", text.as_bytes());
    out.push(b'\n');
}

/// Writes `{field}: {line}\n` for every line of `value` (an empty value gives one line).
fn write_field_lines(out: &mut Vec<u8>, field: &[u8], value: &[u8]) {
    for line in value.split(|b| *b == b'\n' || *b == b'\r') {
        out.extend_from_slice(field);
        out.extend_from_slice(b": ");
        out.extend_from_slice(line);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::decode::SseDecoder;

    #[test]
    fn frames_round_trip_through_the_decoder() {
        let mut out = Vec::new();
        write_comment(&mut out, "keep-alive");
        write_event(&mut out, "error", br#"{"type":"error"}"#);
        write_data(&mut out, b"{\"a\":\n1}");
        write_done(&mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            ": keep-alive\n\nevent: error\ndata: {\"type\":\"error\"}\n\ndata: {\"a\":\ndata: 1}\n\ndata: [DONE]\n\n"
        );
        let events = SseDecoder::new(1024).push(&out).unwrap();
        let got: Vec<_> = events
            .iter()
            .map(|e| (e.event.as_deref(), e.data.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("error"), r#"{"type":"error"}"#),
                (None, "{\"a\":\n1}"),
                (None, "[DONE]")
            ]
        );
    }
}
