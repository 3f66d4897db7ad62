//! `openai_api` mode: the little the gateway checks before relaying a body unchanged.

use crate::error::GatewayError;

/// A request body must be one JSON object; its bytes are then forwarded as they are.
pub fn require_json_object(body: &[u8]) -> Result<(), GatewayError> {
    match serde_json::from_slice::<std::collections::HashMap<String, serde::de::IgnoredAny>>(body) {
        Ok(_) => Ok(()),
        Err(e) if e.is_data() => Err(GatewayError::bad_request(
            "request body must be a JSON object",
        )),
        Err(e) => Err(GatewayError::bad_request(format!(
            "request body is not valid JSON: {e}"
        ))),
    }
}

/// Deepest nesting of arrays and objects accepted in a request body (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

/// Refuse bodies nested deeper than [`MAX_DEPTH`] before anything parses or forwards them,
/// reading the top-level `"model"` string on the way (the name a request is counted and checked
/// under). A byte scan (strings skipped): one pass and no allocation whatever the depth.
pub fn scan_body(body: &[u8]) -> Result<Option<String>, GatewayError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    // At depth 1: where the current string began, whether the last key was "model", and
    // whether its value comes next.
    let (mut started, mut key_is_model, mut value_next) = (0usize, false, false);
    let mut model = None;
    for (at, &b) in body.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    in_string = false;
                    if depth == 1 && model.is_none() {
                        let text = body.get(started..at).unwrap_or_default();
                        if value_next {
                            model = quoted_string(body.get(started - 1..=at).unwrap_or_default());
                            value_next = false;
                        } else {
                            key_is_model = text == b"model";
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                started = at + 1;
            }
            b':' if depth == 1 => {
                value_next = key_is_model;
                key_is_model = false;
            }
            b',' if depth == 1 => value_next = false,
            b'[' | b'{' => {
                value_next = false;
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(GatewayError::bad_request(format!(
                        "request body is nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(model)
}

/// A JSON string literal's text (escapes decoded), if it is one.
fn quoted_string(literal: &[u8]) -> Option<String> {
    if !literal.contains(&b'\\') {
        let inner = literal.get(1..literal.len().checked_sub(1)?)?;
        return std::str::from_utf8(inner).ok().map(str::to_owned);
    }
    serde_json::from_slice::<String>(literal).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(scan_body(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(scan_body(deep.as_bytes()).unwrap_err().status(), 400);
        let in_string = format!("{{\"a\":\"{}\\\"\"}}", "[".repeat(1000));
        assert!(scan_body(in_string.as_bytes()).is_ok());
    }

    #[test]
    fn the_top_level_model_is_read_on_the_way() {
        for (body, model) in [
            (r#"{"model":"gpt-5.4","input":"hi"}"#, Some("gpt-5.4")),
            (
                r#"{ "input": {"model": "inner"}, "model" : "outer" }"#,
                Some("outer"),
            ),
            (r#"{"messages":[{"model":"x"}],"stream":true}"#, None),
            (r#"{"model":null}"#, None),
            (r#"{"model":"gpt-\u0035","x":1}"#, Some("gpt-5")),
            (r#"{"note":"model","model":"m"}"#, Some("m")),
            (r#"{"a":"model","b":"not this"}"#, None),
        ] {
            assert_eq!(
                scan_body(body.as_bytes()).unwrap().as_deref(),
                model,
                "{body}"
            );
        }
    }

    #[test]
    fn cases() {
        assert!(require_json_object(br#"{"model":"x","n":12345678901234567890123}"#).is_ok());
        for bad in [&b""[..], b"[]", b"nope", b"{\"a\":", b"42"] {
            assert_eq!(
                require_json_object(bad).unwrap_err().status(),
                400,
                "{bad:?}"
            );
        }
    }
}

/// How an `openai_api` relay ends when the upstream breaks off after the answer started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CutRelay {
    /// A JSON (or other sized) body: abort the connection, so the client never reads a
    /// truncated answer as complete.
    Abort,
    /// An event stream: end it with this error event, as a failed stream of ours ends.
    ErrorEvent(Vec<u8>),
}

const SEQUENCE_KEY: &[u8] = b"\"sequence_number\":";
/// Enough of a piece's end to hold the key, spaces and a 20-digit number.
const TAIL_BYTES: usize = 64;

/// The last `"sequence_number":` in `bytes` whose number ends inside `bytes` (one that runs to
/// the end may go on in the next piece).
fn last_complete_sequence(bytes: &[u8]) -> Option<u64> {
    memchr::memmem::rfind_iter(bytes, SEQUENCE_KEY).find_map(|at| {
        let after = bytes.get(at + SEQUENCE_KEY.len()..)?;
        let start = after.iter().position(|b| !b.is_ascii_whitespace())?;
        let digits = after.get(start..)?;
        let len = digits.iter().position(|b| !b.is_ascii_digit())?;
        let number = std::str::from_utf8(digits.get(..len)?).ok()?;
        number.parse().ok()
    })
}

/// Follows a relayed body just enough to end it honestly if the upstream is cut off: whether it
/// is an event stream, and the last Responses `sequence_number` seen (the error event goes on
/// from there, as strict clients require).
#[derive(Debug, Clone)]
pub struct RelayWatch {
    responses: bool,
    event_stream: bool,
    last_sequence: Option<u64>,
    /// The end of the piece before: a key or number split between two pieces is read whole.
    tail: Vec<u8>,
}

impl RelayWatch {
    /// A relay of `path` whose answer has `content_type`.
    pub fn new(path: &str, content_type: Option<&str>) -> Self {
        let event_stream = content_type.is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        });
        Self {
            responses: path == "/v1/responses",
            event_stream,
            last_sequence: None,
            tail: Vec::new(),
        }
    }

    /// Note one relayed piece of the body.
    pub fn observe(&mut self, bytes: &[u8]) {
        if !(self.event_stream && self.responses) {
            return;
        }
        // Only the seam is copied: the piece's own numbers come after any that cross into it.
        let mut seam = std::mem::take(&mut self.tail);
        seam.extend_from_slice(bytes.get(..bytes.len().min(TAIL_BYTES)).unwrap_or_default());
        if let Some(n) = last_complete_sequence(bytes).or_else(|| last_complete_sequence(&seam)) {
            self.last_sequence = Some(n);
        }
        self.tail = match bytes.get(bytes.len().saturating_sub(TAIL_BYTES)..) {
            Some(end) if bytes.len() >= TAIL_BYTES => end.to_vec(),
            _ => seam.split_off(seam.len().saturating_sub(TAIL_BYTES)),
        };
    }

    /// What to do now that the upstream failed with `err`.
    pub fn cut(&self, err: &crate::error::GatewayError) -> CutRelay {
        if !self.event_stream {
            return CutRelay::Abort;
        }
        if self.responses {
            let next = self.last_sequence.map_or(0, |n| n + 1);
            return CutRelay::ErrorEvent(
                crate::translate::responses::fold::responses_stream_error_event(err, next),
            );
        }
        let mut out = Vec::new();
        crate::translate::chat::stream::ChatFrame::Error(err.clone()).write_sse(&mut out);
        CutRelay::ErrorEvent(out)
    }
}

#[cfg(test)]
mod relay_tests {
    use super::*;
    use crate::error::GatewayError;

    fn err() -> GatewayError {
        GatewayError::upstream_error("upstream connection failed mid-response")
    }

    #[test]
    fn json_bodies_are_aborted() {
        let watch = RelayWatch::new("/v1/chat/completions", Some("application/json"));
        assert_eq!(watch.cut(&err()), CutRelay::Abort);
        let watch = RelayWatch::new("/v1/responses", None);
        assert_eq!(watch.cut(&err()), CutRelay::Abort);
    }

    #[test]
    fn chat_streams_end_with_an_error_data_line() {
        let watch = RelayWatch::new(
            "/v1/chat/completions",
            Some("text/event-stream; charset=utf-8"),
        );
        let CutRelay::ErrorEvent(bytes) = watch.cut(&err()) else {
            panic!("not an event")
        };
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("data: {\"error\":"), "{text}");
        assert!(text.ends_with("\n\n"), "{text}");
    }

    #[test]
    fn responses_streams_continue_the_sequence() {
        let mut watch = RelayWatch::new("/v1/responses", Some("Text/Event-Stream"));
        watch.observe(b"event: a\ndata: {\"type\":\"x\",\"sequence_number\":3}\n\n");
        watch.observe(b"data: {\"sequence_number\": 41,\"type\":\"y\"}\n\ndata: {\"type\":\"z\"");
        let CutRelay::ErrorEvent(bytes) = watch.cut(&err()) else {
            panic!("not an event")
        };
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"sequence_number\":42"), "{text}");
        assert!(text.contains("\"type\":\"error\""), "{text}");
    }

    #[test]
    fn a_number_split_between_pieces_is_read_whole() {
        let mut watch = RelayWatch::new("/v1/responses", Some("text/event-stream"));
        watch.observe(b"data: {\"sequence_number\":7}\n\ndata: {\"sequence_");
        watch.observe(b"number\": 1");
        assert_eq!(watch.last_sequence, Some(7), "12 may still go on");
        watch.observe(b"2,\"type\":\"y\"}\n\n");
        assert_eq!(watch.last_sequence, Some(12));
        watch.observe(b"data: {\"sequence_number\":");
        watch.observe(b"}\n\n");
        assert_eq!(watch.last_sequence, Some(12), "no digits: no number");
    }

    #[test]
    fn a_stream_with_no_numbers_starts_at_zero() {
        let watch = RelayWatch::new("/v1/responses", Some("text/event-stream"));
        let CutRelay::ErrorEvent(bytes) = watch.cut(&err()) else {
            panic!("not an event")
        };
        assert!(String::from_utf8(bytes)
            .unwrap()
            .contains("\"sequence_number\":0"));
    }
}
