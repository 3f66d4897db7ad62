//! The backend's one-JSON-in, one-JSON-out endpoints, relayed as the backend answers them:
//! `POST /v1/responses/compact`, remote compaction as the Codex CLI asks for it (v1) from a
//! provider it treats as OpenAI's, and `POST /v1/alpha/search`, the standalone web search the
//! Codex CLI (≥ 0.144.1) calls for a Responses Lite model when the model runs its `web.run`
//! tool. Both are cleaned of what the backend refuses in any request (system items, nested
//! cache breakpoints; for compaction the refused parameters too), and otherwise relayed as sent.

use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::responder::Responder;
use super::upstream::{Failed, Handled};
use crate::error::GatewayError;
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::translate::responses::request::{clean_one_shot, OneShot};

/// Relay one compaction to `<codex responses URL>/compact`.
pub async fn compact<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let url = format!("{}/compact", ctx.settings.codex_responses_url()?);
    relay_one(ctx, body, out, url, OneShot::Compact).await
}

/// Relay one search to the backend's `…/codex/alpha/search`, beside its `…/codex/responses`.
pub async fn search<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let url = search_url(&ctx.settings.codex_responses_url()?)?;
    relay_one(ctx, body, out, url, OneShot::Search).await
}

/// `…/codex/responses` → `…/codex/alpha/search`.
fn search_url(responses_url: &str) -> Result<String, GatewayError> {
    let (base, _) = responses_url
        .rsplit_once('/')
        .ok_or_else(|| GatewayError::Internal("codex_responses_path has no parent path".into()))?;
    Ok(format!("{base}/alpha/search"))
}

async fn relay_one<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
    url: String,
    kind: OneShot,
) -> Handled {
    crate::passthrough::require_json_object(body)?;
    let (body, ignored) = clean_one_shot(body, kind)?;
    out.report_ignored(&ignored);
    let path = match kind {
        OneShot::Compact => "/v1/responses/compact",
        OneShot::Search => "/v1/alpha/search",
    };
    let client = forwarded_headers(ctx.headers.entries(), Forwarding::Responses)?;
    let request = CodexCall {
        method: Method::Post,
        url,
        body: Some(&body),
        session_id: None,
        stream: false,
        client: &client,
        lite_model: None,
    };
    let upstream = call(ctx, &request).await?;
    let meta = upstream.meta.clone();
    super::proxy::relay(ctx, path, upstream, out)
        .await
        .map_err(|e| Failed::after(e, &meta))?;
    Ok(Some(meta))
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_sits_beside_responses() {
        assert_eq!(
            super::search_url("https://chatgpt.com/backend-api/codex/responses").unwrap(),
            "https://chatgpt.com/backend-api/codex/alpha/search"
        );
    }
}
