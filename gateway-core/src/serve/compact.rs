//! `POST /v1/responses/compact`: remote compaction, as the Codex CLI asks for it (v1) for a
//! provider it treats as OpenAI's. One JSON request, one JSON answer (a `response.compaction`
//! whose `output` carries `compaction` items), relayed as the backend sends it.

use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::responder::Responder;
use super::upstream::{Failed, Handled};
use crate::forwarded::{forwarded_headers, Forwarding};

/// Relay one compaction to `<codex responses URL>/compact`.
pub fn handle<H: Host, R: Reply>(ctx: &Ctx<'_, H>, body: &[u8], out: &mut Responder<R>) -> Handled {
    crate::passthrough::require_json_object(body)?;
    let client = forwarded_headers(ctx.headers.entries(), Forwarding::Responses)?;
    let request = CodexCall {
        method: Method::Post,
        url: format!("{}/compact", ctx.settings.codex_responses_url()?),
        body: Some(body),
        session_id: None,
        stream: false,
        client: &client,
    };
    let upstream = call(ctx, &request)?;
    let meta = upstream.meta.clone();
    super::proxy::relay(ctx, "/v1/responses/compact", upstream, out)
        .map_err(|e| Failed::after(e, &meta))?;
    Ok(Some(meta))
}
