//! The request flow, independent of the host: one request in, exactly one answer out, then one
//! access-log line. The Spin component implements [`host`]'s traits over WASI and calls
//! [`serve`]; everything it decides is here, tested natively against in-memory hosts.
//!
//! A request's path through this module: [`serve`] checks the headers and routes, [`dispatch`]
//! checks the key and reads the body, a route module (`chat`, `responses`, `one_shot`, `models`,
//! `proxy`, `admin`, `health`) calls upstream through [`codex_call`] or [`proxy`] with a token from
//! [`tokens`], and answers through a [`responder::Responder`], streaming with [`pump`] and
//! [`stream_out`]. Each route returns what the upstream said ([`upstream::Handled`]); nothing
//! travels by side effect.

pub mod admin;
pub mod admin_board;
pub mod admin_keys;
pub mod caller;
pub mod chained;
pub mod chat;
pub mod codex_call;
pub mod dashboard;
#[cfg(test)]
mod flow_tests;
pub mod health;
pub mod host;
pub mod images;
pub mod messages;
pub mod models;
pub mod one_shot;
pub mod opening;
pub mod pool;
pub mod proxy;
pub mod pump;
pub mod request;
pub mod responder;
pub mod responses;
pub mod stream_out;
#[cfg(test)]
mod testkit;
pub mod tokens;
pub mod translated;
pub mod upstream;

use caller::{admit_request, identify, settle, Charge};
use host::{Host, Reply, RequestBody};
use request::{read_body, Ctx, Logger, RequestHeaders};
use responder::{Dialect, Responder};
use upstream::{Handled, UpstreamMeta};

use crate::config::{Mode, Settings};
use crate::error::GatewayError;
use crate::log::{Field, LogFormat, LogLevel};
use crate::router::{route, Route};

/// A request as the host received it.
pub struct Incoming<B> {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Every header, fetched once.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, unread.
    pub body: B,
}

/// Serve one request: exactly one answer (an error envelope for anything unhandled), then the
/// access-log line.
pub async fn serve<H: Host, B: RequestBody, R: Reply>(host: &H, mut req: Incoming<B>, reply: R) {
    let started = host.monotonic_ns();
    let headers = RequestHeaders(std::mem::take(&mut req.headers));
    let client_id = headers.values("x-request-id").first().copied();
    let request_id = crate::request_id::choose(client_id, host.random_16());
    let mut out = Responder::new(reply, request_id.clone());
    let settings = Settings::new(|name| host.variable(name));
    let log_settings = settings
        .log_level()
        .and_then(|level| Ok((level, settings.log_format()?)));
    let (level, format) = *log_settings
        .as_ref()
        .unwrap_or(&(LogLevel::Info, LogFormat::Text));
    let ctx = Ctx {
        host,
        log: Logger::new(level, format, &request_id, host),
        request_id,
        settings,
        headers,
    };
    let mut charge = None;
    let handled = match log_settings {
        Ok(_) => dispatch(&ctx, &mut req, &mut out, &mut charge).await,
        Err(err) => Err(upstream::Failed::from(err)),
    };
    let upstream = match handled {
        Ok(upstream) => upstream,
        Err(failed) => {
            ctx.log.error("gateway.request.error", &failed.err);
            if !out.answered() {
                if let Some(meta) = &failed.upstream {
                    out.extra.extend(meta.relayed.iter().cloned());
                }
                out.error(&failed.err).await;
            }
            failed.upstream
        }
    };
    let ms = host.monotonic_ns().saturating_sub(started) / 1_000_000;
    let mut fields = access_fields(&req.method, &req.path, out.status, ms, upstream.as_ref());
    if let Some(charge) = &charge {
        fields.push(("key", Field::from(charge.caller.name())));
    }
    ctx.log
        .emit(LogLevel::Info, "gateway.request.completed", &fields);
    // The answer has left (a route answers in full before it returns): counting costs the
    // client nothing.
    if let Some(charge) = &charge {
        settle(&ctx, charge, upstream.as_ref());
    }
}

/// Route one request. An admitted generation request leaves its [`Charge`] in `charge`, to be
/// counted once the answer is out, whether it succeeded or not.
async fn dispatch<H: Host, B: RequestBody, R: Reply>(
    ctx: &Ctx<'_, H>,
    req: &mut Incoming<B>,
    out: &mut Responder<R>,
    charge: &mut Option<Charge>,
) -> Handled {
    // Anthropic's clients read Anthropic's error shape, also for a wrong method or too many
    // headers on their routes.
    if req.path.starts_with("/v1/messages") {
        out.dialect = Dialect::Anthropic;
    }
    crate::headers::check_request_headers(ctx.headers.entries())?;
    match route_for(&ctx.settings, &req.method, &req.path)? {
        Route::Health => health::handle(ctx, out).await,
        Route::AdminToken => admin::handle(ctx, &req.method, &req.path, &mut req.body, out).await,
        Route::Hello => {
            out.full(200, &[responder::json_header()], b"{}\n").await;
            Ok(None)
        }
        Route::Models => {
            if models::wants_anthropic_shape(&ctx.headers) {
                out.dialect = Dialect::Anthropic;
            }
            let caller = identify(ctx, out.dialect)?;
            out.private_upstream = matches!(caller, caller::Caller::Client(_));
            models::handle(ctx, &req.path, out).await
        }
        Route::Messages => {
            out.dialect = Dialect::Anthropic;
            generation(ctx, req, out, charge, Generation::Messages).await
        }
        Route::CountTokens => {
            out.dialect = Dialect::Anthropic;
            generation(ctx, req, out, charge, Generation::CountTokens).await
        }
        Route::ChatCompletions => generation(ctx, req, out, charge, Generation::Chat).await,
        Route::Responses => generation(ctx, req, out, charge, Generation::Responses).await,
        Route::ResponsesCompact => generation(ctx, req, out, charge, Generation::Compact).await,
        Route::AlphaSearch => generation(ctx, req, out, charge, Generation::Search).await,
        Route::ImageGenerations => {
            generation(ctx, req, out, charge, Generation::ImageGenerations).await
        }
        Route::ImageEdits => generation(ctx, req, out, charge, Generation::ImageEdits).await,
        Route::AdminKeys => {
            admin_keys::handle(ctx, &req.method, &req.path, &mut req.body, out).await
        }
        Route::AdminUsage => admin_keys::usage(ctx, &req.path, out).await,
        Route::AdminAccounts => admin_board::accounts(ctx, out).await,
        Route::AdminStatus => admin_board::status(ctx, out).await,
        Route::Dashboard => dashboard::handle(&req.path, out).await,
    }
}

/// The generation routes, each served by its module once [`generation`] admitted it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Generation {
    Messages,
    CountTokens,
    Chat,
    Responses,
    Compact,
    Search,
    ImageGenerations,
    ImageEdits,
}

impl Generation {
    fn body_kind(self) -> BodyKind {
        match self {
            Self::ImageEdits => BodyKind::Form,
            _ => BodyKind::Json,
        }
    }

    async fn serve<H: Host, R: Reply>(
        self,
        ctx: &Ctx<'_, H>,
        body: &[u8],
        out: &mut Responder<R>,
    ) -> Handled {
        match self {
            Self::Messages => messages::handle(ctx, body, out).await,
            Self::CountTokens => messages::count(ctx, body, out).await,
            Self::Chat => chat::handle(ctx, body, out).await,
            Self::Responses => responses::handle(ctx, body, out).await,
            Self::Compact => one_shot::compact(ctx, body, out).await,
            Self::Search => one_shot::search(ctx, body, out).await,
            Self::ImageGenerations => images::generations(ctx, body, out).await,
            Self::ImageEdits => images::edits(ctx, body, out).await,
        }
    }
}

/// How a generation route's body is read: for the `model` it names, and whether an
/// `openai_api` relay needs it to be a JSON object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// A JSON object.
    Json,
    /// `multipart/form-data` (`/v1/images/edits`), relayed as sent.
    Form,
}

/// A generation route: key, body within the limit, the key's model list and limits, then
/// relayed as is (`openai_api` mode) or served by `route` (`codex_oauth` mode).
async fn generation<H: Host, B: RequestBody, R: Reply>(
    ctx: &Ctx<'_, H>,
    req: &mut Incoming<B>,
    out: &mut Responder<R>,
    charge: &mut Option<Charge>,
    route: Generation,
) -> Handled {
    let kind = route.body_kind();
    let caller = identify(ctx, out.dialect)?;
    out.private_upstream = matches!(caller, caller::Caller::Client(_));
    let body = read_body(&ctx.headers, &mut req.body, ctx.settings.max_body_bytes()?).await?;
    let model = match kind {
        BodyKind::Json => crate::passthrough::scan_body(&body)?,
        BodyKind::Form => {
            let content_type = ctx.headers.first("content-type").unwrap_or_default();
            crate::openai::multipart::form_field(content_type, &body, "model")
        }
    };
    let path = req.path.split('?').next().unwrap_or_default();
    *charge = Some(admit_request(ctx, caller, counted_model(model, path))?);
    if ctx.settings.mode()? == Mode::OpenAiApi {
        if kind == BodyKind::Json {
            crate::passthrough::require_json_object(&body)?;
        }
        return proxy::forward(ctx, path, Some(&body), out).await;
    }
    route.serve(ctx, &body, out).await
}

/// The model a request is counted and checked under: the one it names, else its route's own
/// name (`images`, for an image request that names none).
fn counted_model(named: Option<String>, path: &str) -> String {
    named.unwrap_or_else(|| {
        if path.starts_with("/v1/images/") {
            "images".into()
        } else {
            "unnamed".into()
        }
    })
}

/// The route table, with the admin routes hidden entirely (404 for every method) unless an
/// admin key is configured.
fn route_for(settings: &Settings, method: &str, path: &str) -> Result<Route, GatewayError> {
    let bare = path.split('?').next().unwrap_or_default();
    let admin =
        bare.starts_with("/admin/") || bare == "/dashboard" || bare.starts_with("/dashboard/");
    if admin && settings.admin_api_key()?.is_none() {
        return Err(GatewayError::NotFound(bare.chars().take(200).collect()));
    }
    route(method, path)
}

/// The fields of the access-log line (never the query: it may carry client text).
pub fn access_fields<'a>(
    method: &'a str,
    path: &'a str,
    status: u16,
    ms: u64,
    upstream: Option<&UpstreamMeta>,
) -> Vec<(&'static str, Field)> {
    let int = |n: u64| Field::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let mut fields = vec![
        ("method", Field::from(method)),
        (
            "path",
            Field::from(path.split('?').next().unwrap_or_default()),
        ),
        ("status", Field::from(status)),
        ("duration_ms", int(ms)),
    ];
    if let Some(meta) = upstream {
        fields.push(("upstream_status", Field::from(meta.status)));
        fields.push(("upstream_ms", int(u64::from(meta.ms))));
        if let Some(account) = &meta.account {
            fields.push(("account", Field::from(account.as_str())));
        }
    }
    fields
}
