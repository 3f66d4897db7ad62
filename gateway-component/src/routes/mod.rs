//! Route handlers: parse, call the core, write the result. No JSON indexing or SSE bytes here.
pub mod admin;
pub mod chat;
pub mod health;
pub mod models;
pub mod proxy;
pub mod responses;

use gateway_core::headers::relay_response_header;

use gateway_core::config::Mode;
use gateway_core::error::GatewayError;
use gateway_core::log::LogLevel;
use spin_sdk::http::IncomingRequest;
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use crate::host::codex::{call, CodexCall};
use crate::host::downstream::{read_body, Responder};
use crate::host::upstream::Upstream;
use crate::Ctx;

/// Header naming the client parameters that had no effect upstream.
pub const IGNORED_PARAMS_HEADER: &str = "x-codex-gateway-ignored-params";

/// The body of a generation route (`path`), read within the limit and checked; `None` when
/// `openai_api` mode already relayed the whole exchange.
pub fn generation_body(
    ctx: &mut Ctx<'_>,
    req: &IncomingRequest,
    out: &mut Responder,
    path: &str,
) -> Result<Option<Vec<u8>>, GatewayError> {
    let body = read_body(req, &ctx.headers, ctx.settings.max_body_bytes()?)?;
    gateway_core::passthrough::check_depth(&body)?;
    if ctx.settings.mode()? == Mode::OpenAiApi {
        gateway_core::passthrough::require_json_object(&body)?;
        proxy::forward(ctx, path, Some(&body), out)?;
        return Ok(None);
    }
    Ok(Some(body))
}

/// POST a Responses body to the Codex backend.
pub fn post_codex(
    ctx: &mut Ctx<'_>,
    body: &[u8],
    session_id: Option<&str>,
) -> Result<Upstream, GatewayError> {
    let url = ctx.settings.codex_responses_url()?;
    let request = CodexCall {
        method: Method::Post,
        url,
        body: Some(body),
        session_id,
    };
    call(ctx, &request)
}

/// A stream that failed after it started is answered with an error event, not an error
/// status, so the request log line alone would show a 200: say what happened.
pub fn log_stream_failure(ctx: &Ctx<'_>, err: &GatewayError) {
    ctx.log
        .emit(LogLevel::Warn, "gateway.stream.failed", &err.log_fields());
}

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
