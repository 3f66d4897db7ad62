//! `config.yaml`: the seed's keys that login-cli uses, typed and validated.
//!
//! Parse, then warn about keys login-cli does not read (see `keys.rs`), then check every value;
//! errors name the key and the allowed values. A missing default `config.yaml` means defaults; an
//! explicit `--config` must exist. Error messages never echo a proxy password.

mod keys;

use anyhow::Context as _;
use gateway_core::auth::oauth::CODEX_CLIENT_ID;
use serde::Deserialize;
use url::Url;

use crate::exit::{fail, ExitKind};
use crate::paths::RuntimePaths;

/// OpenAI's issuer.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
/// The registered callback port, and the one the Codex CLI falls back to.
pub const DEFAULT_REDIRECT_PORT: u16 = 1455;
/// The second registered callback port.
pub const FALLBACK_REDIRECT_PORT: u16 = 1457;
/// The same originator the gateway sends upstream (spin.toml `originator`).
pub const DEFAULT_ORIGINATOR: &str = "codex_cli_rs";
/// Scopes of the Codex CLI login.
pub const DEFAULT_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfig {
    network: RawNetwork,
    oauth: RawOAuth,
    logging: RawLogging,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawNetwork {
    proxy_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawOAuth {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    authorize_endpoint: Option<String>,
    token_endpoint: Option<String>,
    revoke_endpoint: Option<String>,
    redirect_host: Option<String>,
    redirect_port: Option<u16>,
    redirect_path: Option<String>,
    originator: Option<String>,
    scopes: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLogging {
    level: Option<String>,
    format: Option<String>,
    color: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `network.proxy_url`, for every outbound call (none: the environment's proxy variables).
    pub proxy: Option<Url>,
    /// `oauth.*`.
    pub oauth: OAuthSettings,
    /// `logging.*`.
    pub logging: LogSettings,
}

/// OAuth endpoints and client parameters.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// `oauth.issuer`: the base of every endpoint not set explicitly.
    pub issuer: Url,
    /// `oauth.client_id`.
    pub client_id: String,
    /// `oauth.client_secret` (sent only when set; the Codex client has none).
    pub client_secret: Option<String>,
    /// `oauth.authorize_endpoint` [default: `<issuer>/oauth/authorize`].
    pub authorize_endpoint: Url,
    /// `oauth.token_endpoint` [default: `<issuer>/oauth/token`].
    pub token_endpoint: Url,
    /// `oauth.revoke_endpoint` [default: `<issuer>/oauth/revoke`].
    pub revoke_endpoint: Url,
    /// `oauth.redirect_host` (the host in the redirect URI).
    pub redirect_host: String,
    /// `oauth.redirect_port` (0: any free port).
    pub redirect_port: u16,
    /// `oauth.redirect_path`, with a leading `/`.
    pub redirect_path: String,
    /// `oauth.originator`.
    pub originator: String,
    /// `oauth.scopes`.
    pub scopes: Vec<String>,
}

impl OAuthSettings {
    /// `<issuer>` + `path` (the issuer's own path kept).
    pub fn issuer_url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer.as_str().trim_end_matches('/'))
    }
}

/// Log output settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    /// Minimum level.
    pub level: tracing::Level,
    /// `json` instead of text.
    pub json: bool,
    /// ANSI colour (`auto` resolved against stderr).
    pub color: ColorChoice,
}

/// `logging.color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// A loaded config plus the warnings the operator should see.
#[derive(Debug)]
pub struct Loaded {
    /// The settings.
    pub config: Config,
    /// Unknown or unused keys.
    pub warnings: Vec<String>,
}

/// Load and validate the config file named by `paths`.
pub fn load(paths: &RuntimePaths) -> anyhow::Result<Loaded> {
    let text = match std::fs::read_to_string(&paths.config) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !paths.config_explicit => {
            String::new()
        }
        Err(e) => {
            return Err(fail(
                ExitKind::Usage,
                format!("read config {}: {e}", paths.config.display()),
            ))
        }
    };
    parse(&text).with_context(|| format!("load config {}", paths.config.display()))
}

/// Parse and validate config text.
pub fn parse(text: &str) -> anyhow::Result<Loaded> {
    let value: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| fail(ExitKind::Usage, format!("parse yaml: {e}")))?;
    let mut value = match value {
        serde_yaml::Value::Null => serde_yaml::Value::Mapping(serde_yaml::Mapping::new()),
        other => other,
    };
    keys::drop_null_sections(&mut value);
    let warnings = keys::warnings(&value);
    let raw: RawConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        fail(ExitKind::Usage, format!("invalid {key}: {}", e.inner()))
    })?;
    let config = Config {
        proxy: proxy_url(raw.network.proxy_url.as_deref())?,
        oauth: oauth(raw.oauth)?,
        logging: logging(&raw.logging)?,
    };
    Ok(Loaded { config, warnings })
}

fn usage(message: String) -> anyhow::Error {
    fail(ExitKind::Usage, message)
}

/// Hide the password (and a bare user token) of a URL-ish string.
pub fn redact(raw: &str) -> String {
    match raw.rsplit_once('@') {
        Some((before, after)) => {
            let scheme_end = before.find("://").map_or(0, |i| i + 3);
            format!(
                "{}***@{after}",
                before.get(..scheme_end).unwrap_or_default()
            )
        }
        None => raw.to_owned(),
    }
}

fn proxy_url(raw: Option<&str>) -> anyhow::Result<Option<Url>> {
    let raw = raw.unwrap_or_default().trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let shown = redact(raw);
    let url = Url::parse(raw)
        .ok()
        .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    let Some(url) = url else {
        return Err(usage(format!(
            "invalid network.proxy_url \"{shown}\" (expected absolute URL with host)"
        )));
    };
    match url.scheme() {
        "http" | "https" | "socks5" | "socks5h" => Ok(Some(url)),
        _ => Err(usage(format!(
            "invalid network.proxy_url \"{shown}\" (expected scheme http, https, socks5, or socks5h)"
        ))),
    }
}

fn http_url(key: &str, raw: &str) -> anyhow::Result<Url> {
    let raw = raw.trim();
    Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            usage(format!(
                "invalid {key} \"{}\" (expected an absolute http or https URL with a host)",
                redact(raw)
            ))
        })
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn oauth(raw: RawOAuth) -> anyhow::Result<OAuthSettings> {
    let issuer_text = non_blank(raw.issuer).unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
    let issuer = http_url("oauth.issuer", &issuer_text)?;
    let base = issuer.as_str().trim_end_matches('/').to_owned();
    let endpoint = |key: &str, value: Option<String>, path: &str| match non_blank(value) {
        Some(v) => http_url(key, &v),
        None => http_url(key, &format!("{base}{path}")),
    };
    let redirect_path = non_blank(raw.redirect_path).unwrap_or_else(|| "/auth/callback".into());
    let redirect_path = if redirect_path.starts_with('/') {
        redirect_path
    } else {
        format!("/{redirect_path}")
    };
    let scopes: Vec<String> = match raw.scopes {
        Some(list) => list
            .into_iter()
            .filter_map(|s| non_blank(Some(s)))
            .collect(),
        None => Vec::new(),
    };
    let scopes = if scopes.is_empty() {
        DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        scopes
    };
    Ok(OAuthSettings {
        authorize_endpoint: endpoint(
            "oauth.authorize_endpoint",
            raw.authorize_endpoint,
            "/oauth/authorize",
        )?,
        token_endpoint: endpoint("oauth.token_endpoint", raw.token_endpoint, "/oauth/token")?,
        revoke_endpoint: endpoint(
            "oauth.revoke_endpoint",
            raw.revoke_endpoint,
            "/oauth/revoke",
        )?,
        issuer,
        client_id: non_blank(raw.client_id).unwrap_or_else(|| CODEX_CLIENT_ID.to_owned()),
        client_secret: non_blank(raw.client_secret),
        redirect_host: redirect_host(non_blank(raw.redirect_host)),
        redirect_port: raw.redirect_port.unwrap_or(DEFAULT_REDIRECT_PORT),
        redirect_path,
        originator: non_blank(raw.originator).unwrap_or_else(|| DEFAULT_ORIGINATOR.to_owned()),
        scopes,
    })
}

/// The registered redirect URI says `localhost`: `127.0.0.1` (and an empty value) become it,
/// as in the original gateway.
fn redirect_host(value: Option<String>) -> String {
    match value.as_deref() {
        None | Some("127.0.0.1") => "localhost".to_owned(),
        Some(other) => other.to_owned(),
    }
}

fn choice<'a>(
    key: &str,
    raw: Option<&'a str>,
    default: &'a str,
    allowed: &[&str],
) -> anyhow::Result<String> {
    let value = raw
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default);
    let lower = value.to_ascii_lowercase();
    if allowed.contains(&lower.as_str()) {
        return Ok(lower);
    }
    let list = match allowed.split_last() {
        Some((last, rest)) if rest.len() > 1 => format!("{}, or {last}", rest.join(", ")),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(usage(format!(
        "invalid {key} \"{value}\" (expected {list})"
    )))
}

fn logging(raw: &RawLogging) -> anyhow::Result<LogSettings> {
    let level = match choice(
        "logging.level",
        raw.level.as_deref(),
        "info",
        &["debug", "info", "warn", "error"],
    )?
    .as_str()
    {
        "debug" => tracing::Level::DEBUG,
        "warn" => tracing::Level::WARN,
        "error" => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let json = choice(
        "logging.format",
        raw.format.as_deref(),
        "text",
        &["text", "json"],
    )? == "json";
    let color = match choice(
        "logging.color",
        raw.color.as_deref(),
        "auto",
        &["auto", "always", "never"],
    )?
    .as_str()
    {
        "always" => ColorChoice::Always,
        "never" => ColorChoice::Never,
        _ => ColorChoice::Auto,
    };
    Ok(LogSettings { level, json, color })
}

#[cfg(test)]
mod tests;
