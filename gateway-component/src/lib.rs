//! The codex-gateway Spin component: a thin host edge over `gateway-core`.
//!
//! One `match` on the route; every path ends in exactly one response, and any error still
//! unhandled becomes the OpenAI-style envelope. Nothing here may panic: on Spin a trap is an
//! empty 500.

#![expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to unsafe export glue"
)]

mod host;
mod routes;

use gateway_core::config::Settings;
use gateway_core::error::GatewayError;
use gateway_core::log::{Field, LogFormat, LogLevel};
use gateway_core::router::{route, Route};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

use host::downstream::{RequestHeaders, Responder};
use host::log::Logger;

/// Everything a route handler needs about this request.
pub struct Ctx<'a> {
    /// The request's id (echoed, logged, forwarded).
    pub request_id: String,
    /// Settings, read as the route uses them.
    pub settings: Settings<'static>,
    /// Per-request logger.
    pub log: &'a Logger,
    /// The request's headers.
    pub headers: RequestHeaders,
    /// Upstream status and latency (ms), for the access log.
    pub upstream: Option<(u16, u64)>,
    /// Upstream headers worth relaying (rate limits), also on error answers.
    pub relayed: Vec<(String, String)>,
}

#[http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let started = host::clock::monotonic_ns();
    let headers = RequestHeaders::of(&req);
    let client_id = headers.values("x-request-id").first().copied();
    let request_id = gateway_core::request_id::choose(client_id, host::clock::random_16());
    let method = method_name(&req);
    let path = req.path_with_query().unwrap_or_default();
    let mut responder = Responder::new(out, request_id.clone());
    let settings = Settings::new(host::vars::lookup);
    let log_settings = settings
        .log_level()
        .and_then(|level| Ok((level, settings.log_format()?)));
    let log = match &log_settings {
        Ok((level, format)) => Logger::new(*level, *format, &request_id),
        Err(_) => Logger::new(LogLevel::Info, LogFormat::Text, &request_id),
    };
    let mut upstream = None;
    let mut relayed = Vec::new();
    let result = log_settings.and_then(|_| {
        let mut ctx = Ctx {
            request_id,
            settings,
            log: &log,
            headers,
            upstream: None,
            relayed: Vec::new(),
        };
        let result = gateway_core::headers::check_request_headers(ctx.headers.entries())
            .and_then(|()| route_for(&ctx.settings, &method, &path))
            .and_then(|route| dispatch(&mut ctx, route, req, &mut responder));
        upstream = ctx.upstream;
        relayed = ctx.relayed;
        result
    });
    if let Err(err) = &result {
        let level = if err.is_internal() {
            LogLevel::Error
        } else {
            LogLevel::Warn
        };
        log.emit(level, "gateway.request.error", &err.log_fields());
        if !responder.answered() {
            responder.extra.extend(relayed);
            responder.error(err);
        }
    }
    let mut fields = vec![
        ("method", Field::from(method.as_str())),
        (
            "path",
            Field::from(path.split('?').next().unwrap_or_default()),
        ),
        ("status", Field::from(responder.status)),
        ("duration_ms", Field::Int(elapsed_ms(started))),
    ];
    if let Some((status, ms)) = upstream {
        fields.push(("upstream_status", Field::from(status)));
        fields.push((
            "upstream_ms",
            Field::Int(i64::try_from(ms).unwrap_or(i64::MAX)),
        ));
    }
    log.emit(LogLevel::Info, "gateway.request.completed", &fields);
}

fn dispatch(
    ctx: &mut Ctx,
    route: Route,
    req: IncomingRequest,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    if route == Route::Health {
        return routes::health::handle(ctx, out);
    }
    if route == Route::AdminToken {
        return routes::admin::handle(ctx, &req, out);
    }
    let auth = ctx.headers.values("authorization");
    gateway_core::auth::api_key::check_bearer(&auth, &ctx.settings.downstream_api_key()?)?;
    match route {
        Route::Models => routes::models::handle(ctx, out),
        Route::ChatCompletions => routes::chat::handle(ctx, &req, out),
        Route::Responses => routes::responses::handle(ctx, &req, out),
        Route::Health | Route::AdminToken => Ok(()),
    }
}

/// The route table, with `/admin/token` hidden entirely (404 for every method) unless an
/// admin key is configured.
fn route_for(settings: &Settings, method: &str, path: &str) -> Result<Route, GatewayError> {
    let admin = path.split('?').next() == Some("/admin/token");
    if admin && settings.admin_api_key()?.is_none() {
        return Err(GatewayError::NotFound("/admin/token".into()));
    }
    route(method, path)
}

fn method_name(req: &IncomingRequest) -> String {
    use spin_sdk::http::Method;
    match req.method() {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(m) => m,
    }
}

fn elapsed_ms(started_ns: u64) -> i64 {
    let ns = host::clock::monotonic_ns().saturating_sub(started_ns);
    i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX)
}
