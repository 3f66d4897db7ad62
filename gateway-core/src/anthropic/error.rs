//! Anthropic's error shape, `{"type":"error","error":{"type","message"}}`, for every failure on
//! the Anthropic routes: the same [`GatewayError`] as the OpenAI routes, typed by its status.

use serde::Serialize;

use crate::error::GatewayError;

/// The envelope.
#[derive(Debug, Serialize)]
pub struct AnthropicError<'a> {
    /// Always `error`.
    #[serde(rename = "type")]
    kind: &'static str,
    error: Inner<'a>,
}

#[derive(Debug, Serialize)]
struct Inner<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: String,
    /// The gateway's own code, for clients that want more than the type.
    code: &'a str,
}

/// Anthropic's error type for an HTTP status.
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 | 405 | 415 | 422 | 431 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    }
}

/// The envelope for `err`.
pub fn envelope(err: &GatewayError) -> AnthropicError<'_> {
    AnthropicError {
        kind: "error",
        error: Inner {
            kind: error_type(err.status()),
            message: err.to_string(),
            code: err.code(),
        },
    }
}

/// The envelope as a newline-terminated JSON body.
pub fn envelope_json(err: &GatewayError) -> Vec<u8> {
    let mut body = serde_json::to_vec(&envelope(err)).unwrap_or_default();
    body.push(b'\n');
    body
}

/// `event: error` with the envelope: a failure after the stream began.
pub fn write_error_event(out: &mut Vec<u8>, err: &GatewayError) {
    out.extend_from_slice(b"event: error\ndata: ");
    out.extend_from_slice(&serde_json::to_vec(&envelope(err)).unwrap_or_default());
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_status() {
        let cases = [
            (GatewayError::bad_request("x"), "invalid_request_error"),
            (
                GatewayError::Unauthorized("k".into()),
                "authentication_error",
            ),
            (GatewayError::NotFound("/x".into()), "not_found_error"),
            (
                GatewayError::PayloadTooLarge { limit: 1 },
                "request_too_large",
            ),
            (GatewayError::upstream_error("boom"), "api_error"),
            (GatewayError::Kv("down".into()), "overloaded_error"),
        ];
        for (err, kind) in cases {
            let body: serde_json::Value = serde_json::from_slice(&envelope_json(&err)).unwrap();
            assert_eq!(body["type"], "error");
            assert_eq!(body["error"]["type"], kind, "{err:?}");
            assert_eq!(body["error"]["message"], err.to_string());
        }
    }
}
