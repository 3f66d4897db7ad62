//! One call to the Codex backend with the stored token: refreshed before use, renewed once on a
//! 401, and a refusal mapped to the envelope the client should see. With several accounts in
//! the store, [`pool`](super::pool) picks the account and fails over.

use super::host::{Host, Method, Outgoing};
use super::opening::{self, Replayed};
use super::pool;
use super::request::Ctx;
use super::tokens;
use super::upstream::{send, with_renewal, Failed, Upstream};
use crate::accounts::index::AccountIndex;
use crate::accounts::DEFAULT_ACCOUNT;
use crate::auth::token::TokenRecord;
use crate::codex::error_map::{map_upstream_status, name_client_version};
use crate::codex::lite::{to_lite, LiteModels, LITE_HEADER, LITE_MODELS_KEY};
use crate::headers::{codex_request_headers, CodexHeaderArgs};
use crate::memo::Reads;
use crate::ports::Kv;

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
    /// Whether the answer is an event stream (else one JSON document).
    pub stream: bool,
    /// The client's own headers to pass on ([`crate::forwarded`]).
    pub client: &'a [(String, String)],
    /// The model of a Responses call, which is sent in the Responses Lite shape when the
    /// cached catalog marks it so ([`crate::codex::lite`]); `None` for other calls.
    pub lite_model: Option<&'a str>,
}

/// Send `call`; a 2xx answer is returned with its body unread, any other becomes the error.
/// Without an account index the `default` account serves alone, exactly as a single-account
/// gateway always has.
pub async fn call<H: Host>(
    ctx: &Ctx<'_, H>,
    call: &CodexCall<'_>,
) -> Result<Upstream<Replayed<H::Body>>, Failed> {
    let store = ctx.host.kv()?;
    let kv = Reads::new(&store, ctx.host.memo(), ctx.host);
    let lite = lite_shaped(ctx, &kv, call)?;
    let shaped;
    let call = match &lite {
        Some((body, client)) => {
            shaped = CodexCall {
                method: call.method,
                url: call.url.clone(),
                body: Some(body),
                session_id: call.session_id,
                stream: call.stream,
                client,
                lite_model: call.lite_model,
            };
            &shaped
        }
        None => call,
    };
    match AccountIndex::load(&kv)? {
        None => call_as(ctx, &kv, call, DEFAULT_ACCOUNT)
            .await
            .map(opening::whole),
        Some(index) => {
            let attempt = async |account: &str| {
                let answer = call_as(ctx, &kv, call, account).await?;
                // Another account can still serve while nothing has reached the client.
                if call.stream {
                    opening::hold_opening(answer).await
                } else {
                    Ok(opening::whole(answer))
                }
            };
            pool::call(ctx, &kv, &index.accounts, session_of(call), attempt).await
        }
    }
}

/// A body in the Responses Lite shape and the client headers that go with it.
type LiteCall = (Vec<u8>, Vec<(String, String)>);

/// The body and client headers of `call` in the Responses Lite shape, when its model is lite
/// by the cached catalog and the client did not shape it itself (the Codex CLI does).
fn lite_shaped<H: Host>(
    ctx: &Ctx<'_, H>,
    kv: &dyn Kv,
    call: &CodexCall<'_>,
) -> Result<Option<LiteCall>, Failed> {
    let (Some(model), Some(body)) = (call.lite_model, call.body) else {
        return Ok(None);
    };
    if call.client.iter().any(|(name, _)| name == LITE_HEADER) {
        return Ok(None);
    }
    // An unreadable list is no list: the plain shape always works.
    let stored = kv.get(LITE_MODELS_KEY).ok().flatten();
    if !LiteModels::says_lite(stored.as_deref(), model, ctx.host.now_ms() / 1000) {
        return Ok(None);
    }
    // The header goes only with the lite shape: a body that keeps the plain one goes plain.
    let Some(lite) = to_lite(body)? else {
        return Ok(None);
    };
    let mut client = call.client.to_vec();
    client.push((LITE_HEADER.to_owned(), "true".to_owned()));
    Ok(Some((lite, client)))
}

/// The conversation a call belongs to: its cache key, else the client's own session header.
fn session_of<'a>(call: &'a CodexCall<'a>) -> Option<&'a str> {
    call.session_id.or_else(|| {
        call.client
            .iter()
            .find(|(name, _)| crate::forwarded::SESSION_HEADERS.contains(&name.as_str()))
            .map(|(_, value)| value.as_str())
    })
}

/// Send `call` with `account`'s token.
async fn call_as<H: Host>(
    ctx: &Ctx<'_, H>,
    kv: &Reads<'_>,
    call: &CodexCall<'_>,
    account: &str,
) -> Result<Upstream<H::Body>, Failed> {
    let originator = ctx.settings.originator()?;
    let client_version = ctx.settings.codex_client_version()?;
    let idle_secs = ctx.settings.idle_timeout_secs()?;
    let send_with = async |token: &TokenRecord| {
        let headers = codex_request_headers(CodexHeaderArgs {
            access_token: token.access_token.expose(),
            account_id: token.account_id.as_deref(),
            originator: &originator,
            client_version: &client_version,
            session_id: call.session_id,
            request_id: &ctx.request_id,
            stream: call.stream,
            has_body: call.body.is_some(),
            client: call.client,
        });
        send(
            ctx.host,
            &Outgoing {
                method: call.method,
                url: &call.url,
                headers: &headers,
                body: call.body,
                idle_secs,
            },
        )
        .await
    };
    let renew = |rejected: &TokenRecord| tokens::replace(ctx, kv, account, rejected).map(Some);
    let mut response = with_renewal(tokens::current(ctx, kv, account)?, send_with, renew).await?;
    if (200..300).contains(&response.status()) {
        return Ok(response);
    }
    let retry_after = response.header("retry-after").map(str::to_owned);
    let body = response
        .read_all(ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    let err = map_upstream_status(
        response.status(),
        retry_after.as_deref(),
        &body,
        ctx.host.now_ms() / 1000,
    );
    // A Codex client's own identity replaces the gateway's, so the refusal names what was sent:
    // its `version`, else its user agent's.
    let sent = |name: &str| {
        call.client
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let from_agent = sent("originator")
        .and(sent("user-agent"))
        .and_then(|agent| agent.split_once('/'))
        .and_then(|(_, rest)| rest.split_whitespace().next());
    let presented = sent("version")
        .or(from_agent)
        .unwrap_or(client_version.as_str());
    Err(Failed::after(
        name_client_version(err, presented),
        &response.meta,
    ))
}
