//! `openai_api` mode: relay a route to `<upstream_base_url><path>` unchanged, streaming the
//! answer through as it arrives. Only the bearer, the request id and the content type are sent;
//! the ChatGPT account id and Codex headers never go to this upstream.

use super::host::{BodyOut, Host, Method, Outgoing, Reply, UpstreamBody};
use super::pump::take_ready;
use super::request::Ctx;
use super::responder::Responder;
use super::tokens;
use super::upstream::{send, with_renewal, Failed, Handled, Upstream};
use crate::accounts::DEFAULT_ACCOUNT;
use crate::auth::token::TokenRecord;
use crate::error::GatewayError;
use crate::headers::openai_request_headers;
use crate::memo::Reads;
use crate::passthrough::{CutRelay, RelayWatch};

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
pub async fn forward<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    path: &str,
    body: Option<&[u8]>,
    out: &mut Responder<R>,
) -> Handled {
    let content_type = ctx.headers.first("content-type");
    let url = ctx.settings.upstream_url(path)?;
    let idle_secs = ctx.settings.idle_timeout_secs()?;
    // A key that failed to read is an error above, never a reason to send the OAuth token.
    let store = ctx.host.kv()?;
    let kv = Reads::new(&store, ctx.host.memo(), ctx.host);
    let credential = match ctx.settings.upstream_api_key()? {
        Some(key) => Credential::Static(key),
        None => Credential::OAuth(tokens::current(ctx, &kv, DEFAULT_ACCOUNT)?),
    };
    let send_with = async |credential: &Credential| {
        let headers = openai_request_headers(credential.bearer(), &ctx.request_id, content_type);
        let method = if body.is_some() {
            Method::Post
        } else {
            Method::Get
        };
        send(
            ctx.host,
            &Outgoing {
                method,
                url: &url,
                headers: &headers,
                body,
                idle_secs,
            },
        )
        .await
    };
    let renew = |credential: &Credential| match credential {
        Credential::OAuth(record) => {
            tokens::replace(ctx, &kv, DEFAULT_ACCOUNT, record).map(|r| Some(Credential::OAuth(r)))
        }
        Credential::Static(_) => Ok(None),
    };
    let upstream = with_renewal(credential, send_with, renew).await?;
    let meta = upstream.meta.clone();
    if upstream.status() >= 500 {
        let err =
            GatewayError::upstream_error(format!("upstream answered HTTP {}", upstream.status()));
        return Err(Failed::after(err, &meta));
    }
    relay(ctx, path, upstream, out)
        .await
        .map_err(|e| Failed::after(e, &meta))?;
    Ok(Some(meta))
}

/// Copy status, relayable headers and the body as it arrives, one write per burst of upstream
/// data: the first leaves with the head, the last with the end of the body, and an answer that
/// has fully arrived leaves whole. A sized answer keeps its `content-length`. An upstream cut off
/// after the answer started never looks complete: an event stream ends with an error event, any
/// other body is aborted.
pub async fn relay<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    path: &str,
    mut upstream: Upstream<impl UpstreamBody>,
    out: &mut Responder<R>,
) -> Result<(), GatewayError> {
    let mut headers = upstream.meta.relayed.clone();
    let content_type = upstream.header("content-type").map(str::to_owned);
    if let Some(ct) = &content_type {
        headers.push(("content-type".into(), ct.clone()));
    }
    let length = upstream
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut watch = RelayWatch::new(path, content_type.as_deref());
    let mut pending = upstream.body.next_chunk().await?.unwrap_or_default();
    let cut = take_ready(&mut upstream.body, &mut pending).await;
    watch.observe(&pending);
    if cut.is_none() && upstream.body.ended() {
        out.relay_whole(upstream.status(), &headers, length, &pending)
            .await;
        return Ok(());
    }
    let Some(mut writer) = out
        .relay(upstream.status(), &headers, length, &pending)
        .await
    else {
        return Ok(());
    };
    if let Some(err) = cut {
        end_cut(ctx, &watch, writer, Vec::new(), &err).await;
        return Ok(());
    }
    loop {
        match upstream.body.next_chunk().await {
            Ok(Some(mut pending)) => {
                let cut = take_ready(&mut upstream.body, &mut pending).await;
                watch.observe(&pending);
                if let Some(err) = cut {
                    end_cut(ctx, &watch, writer, pending, &err).await;
                    return Ok(());
                }
                if upstream.body.ended() {
                    writer.finish_with(&pending).await;
                    return Ok(());
                }
                if writer.write(&pending).await.is_err() {
                    return Ok(());
                }
            }
            Ok(None) => break,
            Err(err) => {
                end_cut(ctx, &watch, writer, Vec::new(), &err).await;
                return Ok(());
            }
        }
    }
    writer.finish_with(&[]).await;
    Ok(())
}

/// End a relay whose upstream failed after the answer started, with the bytes read before the
/// failure: an event stream gets them and its error event in one last write, any other body
/// gets them and is aborted.
async fn end_cut<H: Host, B: BodyOut>(
    ctx: &Ctx<'_, H>,
    watch: &RelayWatch,
    mut writer: B,
    mut pending: Vec<u8>,
    err: &GatewayError,
) {
    ctx.log.stream_failed(err);
    match watch.cut(err) {
        CutRelay::Abort => {
            if pending.is_empty() || writer.write(&pending).await.is_ok() {
                writer.abort().await;
            }
        }
        CutRelay::ErrorEvent(event) => {
            pending.extend_from_slice(&event);
            writer.finish_with(&pending).await;
        }
    }
}
