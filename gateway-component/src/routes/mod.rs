//! Route handlers: parse, call the core, write the result. No JSON indexing or SSE bytes here.
pub mod admin;
pub mod chat;
pub mod health;
pub mod models;
pub mod proxy;
pub mod responses;

use gateway_core::headers::relay_response_header;

use crate::host::upstream::Upstream;

/// Header naming the client parameters that had no effect upstream.
pub const IGNORED_PARAMS_HEADER: &str = "x-codex-gateway-ignored-params";

/// Relayed upstream headers (rate limits etc.) plus the ignored-params report.
pub fn common_headers(upstream: &Upstream, ignored: &[String]) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = upstream
        .headers
        .iter()
        .filter(|(name, _)| name.as_str() != "content-type" && relay_response_header(name))
        .filter_map(|(name, value)| {
            Some((
                name.to_ascii_lowercase(),
                String::from_utf8(value.clone()).ok()?,
            ))
        })
        .collect();
    if !ignored.is_empty() {
        headers.push((IGNORED_PARAMS_HEADER.into(), ignored.join(", ")));
    }
    headers
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
