//! `proxy-forward`: plain-HTTP listeners that relay every request to a fixed upstream through
//! `network.proxy_url`, because Spin's outbound HTTP has no proxy setting. Bodies stream both
//! ways (SSE is flushed event by event), hop-by-hop headers are dropped, and only an idle
//! upstream times out. Logs method, path, status and time; never headers or bodies.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::TryStreamExt as _;
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::{Body as _, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HOST};
use hyper::{Request, Response};
use tokio::net::TcpListener;
use url::Url;

use crate::cli::ForwardArgs;
use crate::config::redact;
use crate::exit::{fail, ExitKind};
use crate::http::{builder, transport_reason};
use crate::serve::{full, Body, BoxError, Server};
use crate::ui;
use crate::Ctx;

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus `host`.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

struct Route {
    client: reqwest::Client,
    base: String,
}

/// Run `proxy-forward` until Ctrl-C (or SIGTERM).
pub async fn run(ctx: &Ctx, args: &ForwardArgs) -> anyhow::Result<()> {
    if args.listen.len() != args.upstream.len() {
        return Err(fail(
            ExitKind::Usage,
            format!(
                "each --listen needs one --upstream (got {} --listen and {} --upstream)",
                args.listen.len(),
                args.upstream.len()
            ),
        ));
    }
    let client = builder(&ctx.config)?
        .read_timeout(args.idle_timeout)
        .build()
        .context("build the HTTP client")?;
    let via = ctx.config.proxy.as_ref().map_or_else(
        || "no network.proxy_url: direct, or the HTTPS_PROXY/HTTP_PROXY environment".to_owned(),
        |p| format!("via {}", redact(p.as_str())),
    );
    let mut servers = Vec::new();
    for (addr, upstream) in args.listen.iter().zip(&args.upstream) {
        let base = upstream_base(upstream)?;
        if !addr.ip().is_loopback() {
            ui::warn(&format!("{addr} is not a loopback address: anyone who reaches it can use {base} through this forwarder"));
        }
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("listen on {addr}"))?;
        let bound = listener.local_addr()?;
        let route = Arc::new(Route {
            client: client.clone(),
            base: base.clone(),
        });
        let handler = move |req| relay(route.clone(), req);
        servers.push(Server::spawn(listener, handler, Duration::from_secs(5)));
        ui::say(&format!("Forwarding http://{bound} -> {base} ({via})"));
    }
    ui::say("Press Ctrl-C to stop.");
    stop_signal().await;
    for server in servers {
        server.shutdown().await;
    }
    Ok(())
}

fn upstream_base(raw: &str) -> anyhow::Result<String> {
    let url = Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            fail(
                ExitKind::Usage,
                format!(
                    "invalid --upstream \"{}\" (expected an http or https URL)",
                    redact(raw)
                ),
            )
        })?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

async fn relay(route: Arc<Route>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path_and_query}", route.base);
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    headers.remove(HOST);
    let mut upstream = route
        .client
        .request(parts.method.clone(), url)
        .headers(headers);
    if body.size_hint().exact() != Some(0) {
        upstream = upstream.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    }
    let path = parts.uri.path();
    match upstream.send().await {
        Ok(res) => {
            let status = res.status();
            tracing::info!(method = %parts.method, path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "login_cli.forward.request");
            let mut headers = res.headers().clone();
            strip_hop_by_hop(&mut headers);
            let stream = res
                .bytes_stream()
                .map_ok(Frame::data)
                .map_err(BoxError::from);
            let mut out = Response::new(StreamBody::new(stream).boxed_unsync());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            out
        }
        Err(e) => {
            let reason = transport_reason(&e);
            tracing::warn!(method = %parts.method, path, reason = %reason, "login_cli.forward.request failed");
            let body = serde_json::json!({"error": {
                "message": format!("proxy-forward could not reach {}: {reason}", route.base),
                "type": "gateway_error",
                "param": null,
                "code": "forwarder_upstream_unreachable",
            }});
            full(502, "application/json", body.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_are_dropped() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("connection", "close, x-private"),
            ("x-private", "1"),
            ("te", "trailers"),
            ("authorization", "Bearer k"),
            ("accept", "text/event-stream"),
        ] {
            h.insert(HeaderName::from_static(k), v.parse().unwrap());
        }
        strip_hop_by_hop(&mut h);
        let mut names: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["accept", "authorization"]);
    }

    #[test]
    fn upstreams_must_be_http_urls() {
        assert_eq!(
            upstream_base("https://chatgpt.com/").unwrap(),
            "https://chatgpt.com"
        );
        assert!(upstream_base("chatgpt.com").is_err());
    }
}
