//! Route handlers: parse, call the core, write the result. No JSON indexing or SSE bytes here.
pub mod admin;
pub mod chat;
pub mod health;
pub mod models;
pub mod proxy;
pub mod responses;

use gateway_core::headers::relay_response_header;

use crate::host::downstream::Responder;

/// Header naming the client parameters that had no effect upstream.
pub const IGNORED_PARAMS_HEADER: &str = "x-codex-gateway-ignored-params";

/// Upstream headers worth relaying to the client (rate limits, model etag).
pub fn relayed_headers(headers: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("content-type") && relay_response_header(name)
        })
        .filter_map(|(name, value)| {
            Some((
                name.to_ascii_lowercase(),
                String::from_utf8(value.clone()).ok()?,
            ))
        })
        .collect()
}

/// Report client parameters that had no effect, on every answer to this request.
pub fn report_ignored(out: &mut Responder, ignored: &[String]) {
    if !ignored.is_empty() {
        out.extra
            .push((IGNORED_PARAMS_HEADER.into(), ignored.join(", ")));
    }
}

/// Headers of an SSE answer.
pub fn sse_headers() -> [(String, String); 2] {
    [
        ("content-type".into(), "text/event-stream".into()),
        ("cache-control".into(), "no-cache".into()),
    ]
}

/// `content-type: application/json`.
pub fn json_header() -> (String, String) {
    ("content-type".into(), "application/json".into())
}
