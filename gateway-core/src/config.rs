//! Settings from Spin variables: typed, validated, with defaults.
//!
//! The variable names are part of the interface (`spin.toml`, `SPIN_VARIABLE_<NAME>`, docs).
//! Validation happens on every request (instances live for one request), so a bad value gives a
//! `config_invalid` envelope naming the variable instead of a trap or a confusing upstream error.

use crate::error::GatewayError;
use crate::log::{LogFormat, LogLevel};
use crate::translate::stream::ReasoningOutput;

/// The Codex CLI's public OAuth client id.
pub const DEFAULT_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// Which upstream the gateway talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// ChatGPT Codex backend with OAuth tokens; chat is translated to Responses.
    CodexOauth,
    /// A plain OpenAI-style API; all routes are proxied unchanged.
    OpenAiApi,
}

/// Every setting of the component.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The one downstream key clients must present.
    pub downstream_api_key: String,
    /// Upstream mode.
    pub mode: Mode,
    /// Codex backend origin, e.g. `https://chatgpt.com` (no trailing slash).
    pub codex_base_url: String,
    /// Path of the Responses endpoint on the Codex backend.
    pub codex_responses_path: String,
    /// Path of the model catalog on the Codex backend.
    pub codex_models_path: String,
    /// `client_version` query value for the model catalog.
    pub codex_client_version: String,
    /// `originator` header sent to the Codex backend.
    pub originator: String,
    /// Base URL of the OpenAI-style upstream (`openai_api` mode).
    pub upstream_base_url: String,
    /// Path prefix of the OpenAI-style API on that origin (e.g. `/api` for `…/api/v1/…`).
    pub upstream_path_prefix: String,
    /// Optional static key for the OpenAI-style upstream.
    pub upstream_api_key: Option<String>,
    /// OAuth issuer origin (token endpoint is `<issuer>/oauth/token`).
    pub oauth_issuer: String,
    /// OAuth client id used for refreshes.
    pub oauth_client_id: String,
    /// Refresh when the access token expires within this many seconds.
    pub refresh_margin_secs: i64,
    /// A refresher silent this long is presumed dead and replaced.
    pub refresh_lease_ttl_secs: i64,
    /// How long a request with an expired token waits for another instance's refresh.
    pub refresh_wait_secs: u64,
    /// How long the live model catalog is cached in the store.
    pub models_cache_ttl_secs: i64,
    /// End an upstream stream after this many silent seconds (no total timeout).
    pub idle_timeout_secs: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Admin key enabling `/admin/token`; the route is 404 without it.
    pub admin_api_key: Option<String>,
    /// Path of a mounted `oauth-token.json` to import from, if present.
    pub token_file: String,
    /// Minimum log level.
    pub log_level: LogLevel,
    /// Log line format.
    pub log_format: LogFormat,
    /// `reasoning_output`: how chat answers carry the model's reasoning.
    pub reasoning_output: ReasoningOutput,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are secrets: never print them, not even in a debug dump.
        f.debug_struct("Settings")
            .field("mode", &self.mode)
            .field("codex_base_url", &self.codex_base_url)
            .field("upstream_base_url", &self.upstream_base_url)
            .field("oauth_issuer", &self.oauth_issuer)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Read and validate every setting through `lookup` (a Spin variable getter in the
    /// component, a map in tests). Empty values count as unset.
    ///
    /// ```
    /// use gateway_core::config::{Mode, Settings};
    /// let s = Settings::from_lookup(|k| (k == "downstream_api_key").then(|| "sk-1".to_string())).unwrap();
    /// assert_eq!(s.mode, Mode::CodexOauth);
    /// assert_eq!(s.codex_base_url, "https://chatgpt.com");
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, GatewayError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let downstream_api_key = get("downstream_api_key")
            .ok_or_else(|| invalid("downstream_api_key", "is required and must not be empty"))?;
        let mode = match get("upstream_mode").as_deref() {
            None | Some("codex_oauth") => Mode::CodexOauth,
            Some("openai_api") => Mode::OpenAiApi,
            Some(other) => {
                return Err(invalid(
                    "upstream_mode",
                    &format!("{other:?} is not one of codex_oauth, openai_api"),
                ))
            }
        };
        Ok(Self {
            downstream_api_key,
            mode,
            codex_base_url: base_url(&get, "codex_base_url", "https://chatgpt.com")?,
            codex_responses_path: path(
                &get,
                "codex_responses_path",
                "/backend-api/codex/responses",
            )?,
            codex_models_path: path(&get, "codex_models_path", "/backend-api/codex/models")?,
            codex_client_version: version(&get, "codex_client_version", "0.147.0")?,
            originator: header_safe(&get, "originator", "codex_cli_rs")?,
            upstream_base_url: base_url(&get, "upstream_base_url", "https://api.openai.com")?,
            upstream_path_prefix: prefix(&get, "upstream_path_prefix")?,
            upstream_api_key: get("upstream_api_key"),
            oauth_issuer: base_url(&get, "oauth_issuer", "https://auth.openai.com")?,
            oauth_client_id: get("oauth_client_id").unwrap_or_else(|| DEFAULT_CLIENT_ID.into()),
            refresh_margin_secs: number(&get, "refresh_margin_secs", 300, 0..=86_400 * 30)?,
            refresh_lease_ttl_secs: number(&get, "refresh_lease_ttl_secs", 30, 2..=600)?,
            refresh_wait_secs: number(&get, "refresh_wait_secs", 10, 0..=120)?,
            models_cache_ttl_secs: number(&get, "models_cache_ttl_secs", 3600, 0..=86_400 * 7)?,
            idle_timeout_secs: number(&get, "idle_timeout_secs", 300, 1..=86_400)?,
            max_body_bytes: number(&get, "max_body_bytes", 16 * 1024 * 1024, 1024..=1 << 30)?,
            admin_api_key: get("admin_api_key"),
            token_file: get("token_file").unwrap_or_else(|| "/oauth-token.json".into()),
            log_level: one_of(&get, "log_level", LogLevel::Info, LogLevel::VALUES)?,
            log_format: one_of(&get, "log_format", LogFormat::Text, LogFormat::VALUES)?,
            reasoning_output: one_of(
                &get,
                "reasoning_output",
                ReasoningOutput::Field,
                ReasoningOutput::VALUES,
            )?,
        })
    }

    /// Full URL of the Codex Responses endpoint.
    pub fn codex_responses_url(&self) -> String {
        format!("{}{}", self.codex_base_url, self.codex_responses_path)
    }

    /// Full URL of the Codex model catalog.
    pub fn codex_models_url(&self) -> String {
        format!(
            "{}{}?client_version={}",
            self.codex_base_url, self.codex_models_path, self.codex_client_version
        )
    }

    /// Token endpoint of the issuer.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.oauth_issuer)
    }
}

fn invalid(variable: &str, reason: &str) -> GatewayError {
    GatewayError::ConfigInvalid {
        variable: variable.to_owned(),
        reason: reason.to_owned(),
    }
}

fn base_url(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<String, GatewayError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| invalid(name, &format!("{value:?} is not an absolute http(s) URL")))?;
    // The same value templates `allowed_outbound_hosts`, where Spin wants an origin only.
    let authority = rest.trim_end_matches('/');
    if authority.is_empty()
        || authority.starts_with(':')
        || authority.contains(['/', '?', '#', ' ', '@'])
    {
        return Err(invalid(
            name,
            &format!(
                "{value:?} must be an origin like https://host[:port] (no path, query or user)"
            ),
        ));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn version(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<String, GatewayError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    // It goes into a query string and the User-Agent unescaped.
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err(invalid(name, &format!("{value:?} must look like 0.147.0")));
    }
    Ok(value)
}

fn prefix(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<String, GatewayError> {
    match get(name) {
        None => Ok(String::new()),
        Some(_) => Ok(path(get, name, "")?.trim_end_matches('/').to_owned()),
    }
}

fn path(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<String, GatewayError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    if !value.starts_with('/') || value.contains(['?', '#', ' ']) {
        return Err(invalid(
            name,
            &format!("{value:?} must be a path starting with /"),
        ));
    }
    Ok(value)
}

fn header_safe(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<String, GatewayError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    if !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(invalid(name, "must be printable ASCII"));
    }
    Ok(value)
}

fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, GatewayError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    let value: T = raw
        .parse()
        .map_err(|_| invalid(name, &format!("{raw:?} is not a whole number")))?;
    if !range.contains(&value) {
        return Err(invalid(
            name,
            &format!("{value} is outside {}..={}", range.start(), range.end()),
        ));
    }
    Ok(value)
}

/// One of `table`'s values; a `config_invalid` message lists them all, so the fix is in the
/// error itself.
fn one_of<T: Copy>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    table: &[(&str, T)],
) -> Result<T, GatewayError> {
    match get(name) {
        None => Ok(default),
        Some(raw) => crate::spelling::lookup(table, &raw).ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            invalid(name, &format!("{raw:?} is not one of {}", names.join(", ")))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, GatewayError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply() {
        let s = settings(&[("downstream_api_key", "sk-secret-123")]).unwrap();
        assert_eq!(
            s.codex_responses_url(),
            "https://chatgpt.com/backend-api/codex/responses"
        );
        assert_eq!(s.token_url(), "https://auth.openai.com/oauth/token");
        assert_eq!(s.oauth_client_id, DEFAULT_CLIENT_ID);
        assert_eq!(s.refresh_margin_secs, 300);
        assert_eq!(s.idle_timeout_secs, 300);
        assert_eq!(s.max_body_bytes, 16 * 1024 * 1024);
        assert_eq!(s.log_level, LogLevel::Info);
        assert_eq!(s.reasoning_output, ReasoningOutput::Field);
        assert!(!format!("{s:?}").contains("sk-secret-123"));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            ("missing key", &[], "downstream_api_key"),
            (
                "blank key",
                &[("downstream_api_key", "  ")],
                "downstream_api_key",
            ),
            (
                "bad mode",
                &[("downstream_api_key", "k"), ("upstream_mode", "proxy")],
                "upstream_mode",
            ),
            (
                "relative url",
                &[
                    ("downstream_api_key", "k"),
                    ("codex_base_url", "chatgpt.com"),
                ],
                "codex_base_url",
            ),
            (
                "ftp url",
                &[
                    ("downstream_api_key", "k"),
                    ("upstream_base_url", "ftp://x"),
                ],
                "upstream_base_url",
            ),
            (
                "no host",
                &[("downstream_api_key", "k"), ("oauth_issuer", "http://")],
                "oauth_issuer",
            ),
            (
                "url with path",
                &[
                    ("downstream_api_key", "k"),
                    ("codex_base_url", "https://x.test/api"),
                ],
                "codex_base_url",
            ),
            (
                "bad version",
                &[
                    ("downstream_api_key", "k"),
                    ("codex_client_version", "1 2&x"),
                ],
                "codex_client_version",
            ),
            (
                "bad level",
                &[("downstream_api_key", "k"), ("log_level", "verbose")],
                "log_level",
            ),
            (
                "bad format",
                &[("downstream_api_key", "k"), ("log_format", "pretty")],
                "log_format",
            ),
            (
                "bad reasoning output",
                &[("downstream_api_key", "k"), ("reasoning_output", "tags")],
                "reasoning_output",
            ),
            (
                "bad path",
                &[("downstream_api_key", "k"), ("codex_responses_path", "x")],
                "codex_responses_path",
            ),
            (
                "bad number",
                &[("downstream_api_key", "k"), ("idle_timeout_secs", "soon")],
                "idle_timeout_secs",
            ),
            (
                "zero idle",
                &[("downstream_api_key", "k"), ("idle_timeout_secs", "0")],
                "idle_timeout_secs",
            ),
        ];
        for (name, pairs, variable) in cases {
            match settings(pairs) {
                Err(GatewayError::ConfigInvalid { variable: v, .. }) => {
                    assert_eq!(&v, variable, "case {name}")
                }
                other => panic!("case {name}: expected config_invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn trailing_slash_and_mode() {
        let s = settings(&[
            ("downstream_api_key", "k"),
            ("upstream_mode", "openai_api"),
            ("upstream_base_url", "http://127.0.0.1:9000/"),
        ])
        .unwrap();
        assert_eq!(s.mode, Mode::OpenAiApi);
        assert_eq!(s.upstream_base_url, "http://127.0.0.1:9000");
    }

    #[test]
    fn enumerated_settings_list_their_values_when_wrong() {
        for (variable, raw, reason) in [
            (
                "log_format",
                "pretty",
                r#""pretty" is not one of text, json"#,
            ),
            (
                "log_level",
                "loud",
                r#""loud" is not one of debug, info, warn, warning, error"#,
            ),
            (
                "reasoning_output",
                "tags",
                r#""tags" is not one of reasoning_content, think_tags, none"#,
            ),
        ] {
            match settings(&[("downstream_api_key", "k"), (variable, raw)]) {
                Err(GatewayError::ConfigInvalid {
                    variable: v,
                    reason: r,
                }) => assert_eq!((v.as_str(), r.as_str()), (variable, reason)),
                other => panic!("{variable}: expected config_invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn reasoning_output_values() {
        for (raw, want) in [
            ("reasoning_content", ReasoningOutput::Field),
            ("THINK_TAGS", ReasoningOutput::ThinkTags),
            ("none", ReasoningOutput::Hidden),
        ] {
            let s = settings(&[("downstream_api_key", "k"), ("reasoning_output", raw)]).unwrap();
            assert_eq!(s.reasoning_output, want, "{raw}");
        }
    }
}
