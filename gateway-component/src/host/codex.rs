//! One call to the Codex backend with the stored token: refresh before use, one forced refresh
//! and retry on 401, and upstream error statuses mapped to envelopes.

use gateway_core::codex::error_map::map_upstream_status;
use gateway_core::error::GatewayError;
use gateway_core::headers::{codex_request_headers, CodexHeaderArgs};
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use super::clock::{monotonic_ns, WasiClock};
use super::tokens;
use super::upstream::{send, Outgoing, Upstream};
use crate::Ctx;
use gateway_core::ports::Clock;

/// Error bodies are read whole, up to this size.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// What to ask the Codex backend.
pub struct CodexCall<'a> {
    /// `POST` with a body, or `GET`.
    pub method: Method,
    /// Full URL.
    pub url: String,
    /// JSON body for POST.
    pub body: Option<&'a [u8]>,
    /// Conversation id for the `session_id` header.
    pub session_id: Option<&'a str>,
}

/// Send `call`; a 2xx response is returned with its body unread.
pub fn call(ctx: &mut Ctx<'_>, call: &CodexCall<'_>) -> Result<Upstream, GatewayError> {
    let token = tokens::current(&ctx.settings, ctx.log)?;
    let first = send_once(ctx, call, &token)?;
    let response = if first.status == 401 {
        drop(first);
        let replaced = tokens::replace(&ctx.settings, ctx.log, &token)?;
        send_once(ctx, call, &replaced)?
    } else {
        first
    };
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    Err(error_from(response))
}

fn send_once(
    ctx: &mut Ctx<'_>,
    call: &CodexCall<'_>,
    token: &gateway_core::auth::token::TokenRecord,
) -> Result<Upstream, GatewayError> {
    let headers = codex_request_headers(CodexHeaderArgs {
        access_token: token.access_token.expose(),
        account_id: token.account_id.as_deref(),
        originator: &ctx.settings.originator()?,
        client_version: &ctx.settings.codex_client_version()?,
        session_id: call.session_id,
        request_id: &ctx.request_id,
        has_body: call.body.is_some(),
    });
    let started = monotonic_ns();
    let result = send(Outgoing {
        method: call.method.clone(),
        url: &call.url,
        headers: &headers,
        body: call.body,
        idle_secs: ctx.settings.idle_timeout_secs()?,
    });
    let ms = monotonic_ns().saturating_sub(started) / 1_000_000;
    if let Ok(response) = &result {
        ctx.upstream = Some((response.status, ms));
        ctx.relayed = crate::routes::relayed_headers(&response.headers);
    }
    result
}

/// Read a non-2xx response and map it to the envelope clients should see.
pub fn error_from(mut response: Upstream) -> GatewayError {
    let retry_after = response.header("retry-after").map(str::to_owned);
    let body = response.read_all(ERROR_BODY_LIMIT).unwrap_or_default();
    map_upstream_status(
        response.status,
        retry_after.as_deref(),
        &body,
        WasiClock.now_ms() / 1000,
    )
}
