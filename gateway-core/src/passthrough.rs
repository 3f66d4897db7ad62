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

/// Refuse bodies nested deeper than [`MAX_DEPTH`] before anything parses or forwards them.
///
/// A byte scan (strings skipped), so it costs one pass and no allocation whatever the depth.
pub fn check_depth(body: &[u8]) -> Result<(), GatewayError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check_depth(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(check_depth(deep.as_bytes()).unwrap_err().status(), 400);
        let in_string = format!("{{\"a\":\"{}\\\"\"}}", "[".repeat(1000));
        assert!(check_depth(in_string.as_bytes()).is_ok());
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
