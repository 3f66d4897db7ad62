//! `openai_api` mode: relay a route to `<upstream_base_url><path>` unchanged, streaming the
//! answer through as it arrives. Only the bearer, the request id and the content type are sent;
//! the ChatGPT account id and Codex headers never go to this upstream.

use gateway_core::auth::token::TokenRecord;
use gateway_core::error::GatewayError;
use gateway_core::headers::openai_request_headers;
use gateway_core::passthrough::{CutRelay, RelayWatch};
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use super::relayed_headers;
use crate::host::downstream::Responder;
use crate::host::tokens;
use crate::host::upstream::{send, Outgoing, Upstream};
use crate::Ctx;

enum Credential {
    Static(String),
    OAuth(TokenRecord),
}

impl Credential {
    fn bearer(&self) -> &str {
        match self {
            Self::Static(key) => key,
            Self::OAuth(record) => record.access_token.expose(),
        }
    }
}

/// Relay this request upstream and its answer back.
pub fn forward(
    ctx: &mut Ctx<'_>,
    path: &str,
    body: Option<&[u8]>,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    let content_type = ctx.headers.first("content-type").map(str::to_owned);
    let url = ctx.settings.upstream_url(path)?;
    // A key that failed to read is an error above, never a reason to send the OAuth token.
    let credential = match ctx.settings.upstream_api_key()? {
        Some(key) => Credential::Static(key),
        None => Credential::OAuth(tokens::current(&ctx.settings, ctx.log)?),
    };
    let mut upstream = send_once(ctx, &url, body, content_type.as_deref(), &credential)?;
    if upstream.status == 401 {
        if let Credential::OAuth(record) = &credential {
            drop(upstream);
            let fresh = Credential::OAuth(tokens::replace(&ctx.settings, ctx.log, record)?);
            upstream = send_once(ctx, &url, body, content_type.as_deref(), &fresh)?;
        }
    }
    if upstream.status >= 500 {
        return Err(GatewayError::upstream_error(format!(
            "upstream answered HTTP {}",
            upstream.status
        )));
    }
    relay(ctx, path, upstream, out)
}

fn send_once(
    ctx: &mut Ctx<'_>,
    url: &str,
    body: Option<&[u8]>,
    content_type: Option<&str>,
    credential: &Credential,
) -> Result<Upstream, GatewayError> {
    let headers = openai_request_headers(credential.bearer(), &ctx.request_id, content_type);
    let started = crate::host::clock::monotonic_ns();
    let response = send(Outgoing {
        method: if body.is_some() {
            Method::Post
        } else {
            Method::Get
        },
        url,
        headers: &headers,
        body,
        idle_secs: ctx.settings.idle_timeout_secs()?,
    })?;
    let ms = crate::host::clock::monotonic_ns().saturating_sub(started) / 1_000_000;
    ctx.upstream = Some((response.status, ms));
    ctx.relayed = relayed_headers(&response.headers);
    Ok(response)
}

/// Copy status, relayable headers and the body, chunk by chunk as it arrives. The first chunk
/// leaves with the head; a sized answer keeps its `content-length`. An upstream cut off after
/// the answer started never looks complete: an event stream ends with an error event, any other
/// body is aborted.
fn relay(
    ctx: &Ctx<'_>,
    path: &str,
    mut upstream: Upstream,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    let mut headers = relayed_headers(&upstream.headers);
    let content_type = upstream.header("content-type").map(str::to_owned);
    if let Some(ct) = &content_type {
        headers.push(("content-type".into(), ct.clone()));
    }
    let length = upstream
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut watch = RelayWatch::new(path, content_type.as_deref());
    let first = upstream.next_chunk()?.unwrap_or_default();
    watch.observe(&first);
    let Some(mut writer) = out.relay(upstream.status, &headers, length, &first) else {
        return Ok(());
    };
    loop {
        match upstream.next_chunk() {
            Ok(Some(chunk)) => {
                watch.observe(&chunk);
                if writer.write(&chunk).is_err() {
                    return Ok(());
                }
            }
            Ok(None) => break,
            Err(err) => {
                super::log_stream_failure(ctx, &err);
                match watch.cut(&err) {
                    CutRelay::Abort => writer.abort(),
                    CutRelay::ErrorEvent(event) => writer.finish_with(&event),
                }
                return Ok(());
            }
        }
    }
    writer.finish();
    Ok(())
}
