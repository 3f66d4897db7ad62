//! `openai_api` mode: relay a route to `<upstream_base_url><path>` unchanged, streaming the
//! answer through as it arrives. Only the bearer, the request id and the content type are sent;
//! the ChatGPT account id and Codex headers never go to this upstream.

use gateway_core::auth::token::TokenRecord;
use gateway_core::error::GatewayError;
use gateway_core::headers::openai_request_headers;
use spin_sdk::http::IncomingRequest;
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use super::relayed_headers;
use crate::host::downstream::{header_values, Responder};
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
    req: &IncomingRequest,
    path: &str,
    body: Option<&[u8]>,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    let content_type = header_values(req, "content-type")
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok());
    let credential = match &ctx.settings.upstream_api_key {
        Some(key) => Credential::Static(key.clone()),
        None => Credential::OAuth(tokens::current(ctx)?),
    };
    let url = format!(
        "{}{}{}",
        ctx.settings.upstream_base_url, ctx.settings.upstream_path_prefix, path
    );
    let mut upstream = send_once(ctx, &url, body, content_type.as_deref(), &credential)?;
    if upstream.status == 401 {
        if let Credential::OAuth(record) = &credential {
            drop(upstream);
            let fresh = Credential::OAuth(tokens::replace(ctx, record)?);
            upstream = send_once(ctx, &url, body, content_type.as_deref(), &fresh)?;
        }
    }
    if upstream.status >= 500 {
        return Err(GatewayError::upstream_error(format!(
            "upstream answered HTTP {}",
            upstream.status
        )));
    }
    relay(upstream, out);
    Ok(())
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
        idle_secs: ctx.settings.idle_timeout_secs,
    })?;
    let ms = crate::host::clock::monotonic_ns().saturating_sub(started) / 1_000_000;
    ctx.upstream = Some((response.status, ms));
    ctx.relayed = relayed_headers(&response.headers);
    Ok(response)
}

/// Copy status, relayable headers and the body, chunk by chunk, flushing each.
fn relay(mut upstream: Upstream, out: &mut Responder) {
    let mut headers = relayed_headers(&upstream.headers);
    if let Some(ct) = upstream.header("content-type") {
        headers.push(("content-type".into(), ct.to_owned()));
    }
    let Some(mut writer) = out.start(upstream.status, &headers) else {
        return;
    };
    while let Ok(Some(chunk)) = upstream.next_chunk() {
        if writer.write(&chunk).is_err() {
            return;
        }
    }
    writer.finish();
}
