//! The outbound HTTP client: `network.proxy_url` for every call login-cli makes.
//!
//! With no proxy configured, reqwest honours `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` as the
//! original gateway's Go client did. Redirects are never followed (a token must not be replayed
//! to another host).

use std::time::Duration;

use anyhow::Context as _;

use crate::config::{redact, Config};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("codex-gateway-login-cli/", env!("CARGO_PKG_VERSION"));

/// Timeout of OAuth and admin calls (the original gateway's 30 s).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A builder with the proxy, the user agent and no redirects.
pub fn builder(config: &Config) -> anyhow::Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(proxy) = &config.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .with_context(|| format!("invalid network.proxy_url \"{}\"", redact(proxy.as_str())))?;
        builder = builder.proxy(proxy);
    }
    Ok(builder)
}

/// The client for OAuth and admin calls (30 s per call).
pub fn client(config: &Config) -> anyhow::Result<reqwest::Client> {
    builder(config)?
        .timeout(CALL_TIMEOUT)
        .build()
        .context("build the HTTP client")
}

/// The reason of a transport error, without the URL's query (which may carry a code).
pub fn transport_reason(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(e) = source {
        detail = e.to_string();
        source = e.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
