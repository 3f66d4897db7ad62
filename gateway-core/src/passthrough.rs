//! `openai_api` mode: the little the gateway checks before relaying a body unchanged.

use crate::error::GatewayError;

/// A request body must be one JSON object; its bytes are then forwarded as they are.
pub fn require_json_object(body: &[u8]) -> Result<(), GatewayError> {
    match serde_json::from_slice::<std::collections::HashMap<String, serde::de::IgnoredAny>>(body) {
        Ok(_) => Ok(()),
        Err(e) if e.is_data() => Err(GatewayError::bad_request("request body must be a JSON object")),
        Err(e) => Err(GatewayError::bad_request(format!("request body is not valid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert!(require_json_object(br#"{"model":"x","n":12345678901234567890123}"#).is_ok());
        for bad in [&b""[..], b"[]", b"nope", b"{\"a\":", b"42"] {
            assert_eq!(require_json_object(bad).unwrap_err().status(), 400, "{bad:?}");
        }
    }
}
