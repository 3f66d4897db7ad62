//! Settings from Spin variables: typed, validated, with defaults, read when first used.
//!
//! The variable names are part of the interface (`spin.toml`, `SPIN_VARIABLE_<NAME>`, docs).
//! Instances live for one request and every variable is a host call (about 2 µs on Spin), so a
//! request reads only the settings its route uses, each at most once. A bad value gives a
//! `config_invalid` envelope naming the variable instead of a trap or a confusing upstream
//! error; so does a variables provider that fails, which never reads as "unset".

use std::cell::RefCell;

use crate::accounts::choose::Strategy;
use crate::aliases::ModelAliases;
use crate::auth::oauth::CODEX_CLIENT_ID;
use crate::error::GatewayError;
use crate::log::{LogFormat, LogLevel};

/// The largest `max_body_bytes` accepted: a request body is held about three times over while
/// it is read, parsed and re-encoded, which must stay well inside a guest's memory.
pub const MAX_BODY_BYTES_CAP: usize = 128 * 1024 * 1024;

/// The Codex client version the gateway presents by default: the newest Codex CLI release the
/// agent suite runs (`tests/agents/package.json`; a test keeps the two equal). The backend lists
/// and serves a model only to clients at or above its `minimal_client_version`.
pub const DEFAULT_CLIENT_VERSION: &str = "0.171.0";

/// Every setting: its variable name and its default (`None`: required). `spin.toml` declares
/// exactly these defaults (a test compares them).
pub const VARIABLES: &[(&str, Option<&str>)] = &[
    ("downstream_api_key", None),
    ("upstream_mode", Some("codex_oauth")),
    ("codex_base_url", Some("https://chatgpt.com")),
    ("codex_responses_path", Some("/backend-api/codex/responses")),
    ("codex_models_path", Some("/backend-api/codex/models")),
    ("codex_client_version", Some(DEFAULT_CLIENT_VERSION)),
    ("originator", Some("codex_cli_rs")),
    ("upstream_base_url", Some("https://api.openai.com")),
    ("upstream_path_prefix", Some("")),
    ("upstream_api_key", Some("")),
    ("oauth_issuer", Some("https://auth.openai.com")),
    ("oauth_client_id", Some(CODEX_CLIENT_ID)),
    ("refresh_margin_secs", Some("300")),
    ("refresh_lease_ttl_secs", Some("30")),
    ("refresh_wait_secs", Some("10")),
    ("models_cache_ttl_secs", Some("3600")),
    ("idle_timeout_secs", Some("300")),
    ("max_body_bytes", Some("16777216")),
    ("admin_api_key", Some("")),
    ("token_file", Some("/oauth-token.json")),
    ("log_level", Some("info")),
    ("log_format", Some("text")),
    ("reasoning_output", Some("reasoning_content")),
    ("chat_prompt_cache_key", Some("derived")),
    ("account_strategy", Some("headroom")),
    ("model_aliases", Some("")),
    ("image_host_model", Some(DEFAULT_IMAGE_HOST_MODEL)),
    ("usage_tracking", Some("on")),
];

/// The chat model that calls the `image_generation` tool for the Images API routes: a small,
/// quick model, as the tool does the drawing.
pub const DEFAULT_IMAGE_HOST_MODEL: &str = "gpt-5.4-mini";

/// The settings that are secrets (`secret = true` in `spin.toml`): never shown anywhere.
pub const SECRET_VARIABLES: [&str; 3] = ["downstream_api_key", "upstream_api_key", "admin_api_key"];

/// The shortest `admin_api_key` accepted.
pub const MIN_ADMIN_KEY_CHARS: usize = 32;

/// Which upstream the gateway talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// ChatGPT Codex backend with OAuth tokens; chat is translated to Responses.
    CodexOauth,
    /// A plain OpenAI-style API; all routes are proxied unchanged.
    OpenAiApi,
}

impl Mode {
    const VALUES: &'static [(&'static str, Mode)] = &[
        ("codex_oauth", Mode::CodexOauth),
        ("openai_api", Mode::OpenAiApi),
    ];

    /// The variable's spelling of this mode.
    pub fn name(self) -> &'static str {
        match self {
            Self::CodexOauth => "codex_oauth",
            Self::OpenAiApi => "openai_api",
        }
    }
}

/// Why a variable could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The variables provider failed (unreachable, denied, timed out): not the same as unset.
    Provider,
}

/// A variable getter: `Ok(None)` only when the variable is not defined.
pub type Lookup<'a> = Box<dyn Fn(&str) -> Result<Option<String>, LookupError> + 'a>;

/// The component's settings, read on first use through a variable getter (Spin variables in
/// the component, a map in tests) and kept for the rest of the request.
pub struct Settings<'a> {
    lookup: Lookup<'a>,
    read: RefCell<Vec<(&'static str, Option<String>)>>,
}

impl std::fmt::Debug for Settings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values can be secrets: only which settings were read.
        let read: Vec<&str> = self.read.borrow().iter().map(|(n, _)| *n).collect();
        f.debug_struct("Settings").field("read", &read).finish()
    }
}

impl<'a> Settings<'a> {
    /// Settings over `lookup`; nothing is read yet.
    ///
    /// ```
    /// use gateway_core::config::{Mode, Settings};
    /// let s = Settings::new(|k| Ok((k == "downstream_api_key").then(|| "sk-1".to_string())));
    /// assert_eq!(s.mode().unwrap(), Mode::CodexOauth);
    /// assert_eq!(s.codex_responses_url().unwrap(), "https://chatgpt.com/backend-api/codex/responses");
    /// ```
    pub fn new(lookup: impl Fn(&str) -> Result<Option<String>, LookupError> + 'a) -> Self {
        Self {
            lookup: Box::new(lookup),
            read: RefCell::new(Vec::new()),
        }
    }

    /// Read and validate every setting (tests, and a check of a whole configuration).
    pub fn validate_all(&self) -> Result<(), GatewayError> {
        self.downstream_api_key()?;
        self.mode()?;
        self.codex_responses_url()?;
        self.codex_models_url()?;
        self.originator()?;
        self.upstream_url("/")?;
        self.upstream_api_key()?;
        self.token_url()?;
        self.oauth_client_id()?;
        self.refresh_margin_secs()?;
        self.refresh_lease_ttl_secs()?;
        self.refresh_wait_secs()?;
        self.models_cache_ttl_secs()?;
        self.idle_timeout_secs()?;
        self.max_body_bytes()?;
        self.admin_api_key()?;
        self.token_file()?;
        self.log_level()?;
        self.log_format()?;
        self.reasoning_output()?;
        self.chat_prompt_cache_key()?;
        self.account_strategy()?;
        self.model_aliases()?;
        self.image_host_model()?;
        self.usage_tracking()?;
        Ok(())
    }

    /// The names read so far, in order (tests and benchmarks).
    pub fn names_read(&self) -> Vec<&'static str> {
        self.read.borrow().iter().map(|(n, _)| *n).collect()
    }

    /// The trimmed value of `name`, `None` when unset or empty; read from the host once.
    fn value(&self, name: &'static str) -> Result<Option<String>, GatewayError> {
        if let Some((_, v)) = self.read.borrow().iter().find(|(n, _)| *n == name) {
            return Ok(v.clone());
        }
        let value = (self.lookup)(name)
            .map_err(|LookupError::Provider| {
                invalid(name, "could not be read: its variables provider failed")
            })?
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        self.read.borrow_mut().push((name, value.clone()));
        Ok(value)
    }

    /// The value of `name`, or its default from [`VARIABLES`].
    fn value_or_default(&self, name: &'static str) -> Result<String, GatewayError> {
        Ok(self
            .value(name)?
            .unwrap_or_else(|| default_of(name).to_owned()))
    }

    /// The one downstream key clients must present.
    pub fn downstream_api_key(&self) -> Result<String, GatewayError> {
        self.value("downstream_api_key")?
            .ok_or_else(|| invalid("downstream_api_key", "is required and must not be empty"))
    }

    /// Upstream mode.
    pub fn mode(&self) -> Result<Mode, GatewayError> {
        self.one_of("upstream_mode", Mode::VALUES)
    }

    /// Full URL of the Codex Responses endpoint.
    pub fn codex_responses_url(&self) -> Result<String, GatewayError> {
        let base = self.base_url("codex_base_url")?;
        Ok(base + &self.path("codex_responses_path")?)
    }

    /// Full URL of the Codex model catalog (`?client_version=`).
    pub fn codex_models_url(&self) -> Result<String, GatewayError> {
        let base = self.base_url("codex_base_url")?;
        let path = self.path("codex_models_path")?;
        Ok(format!(
            "{base}{path}?client_version={}",
            self.codex_client_version()?
        ))
    }

    /// `version` sent to the Codex backend, also its catalog's `client_version`.
    pub fn codex_client_version(&self) -> Result<String, GatewayError> {
        let name = "codex_client_version";
        let value = self.value_or_default(name)?;
        // It goes into a query string and the User-Agent unescaped.
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(invalid(name, &format!("{value:?} must look like 0.171.0")));
        }
        Ok(value)
    }

    /// `originator` header sent to the Codex backend.
    pub fn originator(&self) -> Result<String, GatewayError> {
        let value = self.value_or_default("originator")?;
        if !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(invalid("originator", "must be printable ASCII"));
        }
        Ok(value)
    }

    /// `<upstream_base_url><upstream_path_prefix><path>` (`openai_api` mode).
    pub fn upstream_url(&self, path: &str) -> Result<String, GatewayError> {
        let base = self.base_url("upstream_base_url")?;
        let name = "upstream_path_prefix";
        let prefix = match self.value(name)? {
            None => String::new(),
            Some(_) => self.path(name)?.trim_end_matches('/').to_owned(),
        };
        Ok(format!("{base}{prefix}{path}"))
    }

    /// Static key for the OpenAI-style upstream, if set.
    pub fn upstream_api_key(&self) -> Result<Option<String>, GatewayError> {
        self.value("upstream_api_key")
    }

    /// Token endpoint of the issuer (`<oauth_issuer>/oauth/token`).
    pub fn token_url(&self) -> Result<String, GatewayError> {
        Ok(self.base_url("oauth_issuer")? + "/oauth/token")
    }

    /// OAuth client id used for refreshes.
    pub fn oauth_client_id(&self) -> Result<String, GatewayError> {
        self.value_or_default("oauth_client_id")
    }

    /// Refresh when the access token expires within this many seconds.
    pub fn refresh_margin_secs(&self) -> Result<i64, GatewayError> {
        self.number("refresh_margin_secs", 0..=86_400 * 30)
    }

    /// A refresher silent this long is presumed dead and replaced.
    pub fn refresh_lease_ttl_secs(&self) -> Result<i64, GatewayError> {
        self.number("refresh_lease_ttl_secs", 2..=600)
    }

    /// How long a request with an expired token waits for another instance's refresh.
    pub fn refresh_wait_secs(&self) -> Result<u64, GatewayError> {
        self.number("refresh_wait_secs", 0..=120)
    }

    /// How long the live model catalog is cached in the store.
    pub fn models_cache_ttl_secs(&self) -> Result<i64, GatewayError> {
        self.number("models_cache_ttl_secs", 0..=86_400 * 7)
    }

    /// End an upstream stream after this many silent seconds (no total timeout).
    pub fn idle_timeout_secs(&self) -> Result<u64, GatewayError> {
        self.number("idle_timeout_secs", 1..=86_400)
    }

    /// Largest accepted request body.
    pub fn max_body_bytes(&self) -> Result<usize, GatewayError> {
        self.number("max_body_bytes", 1024..=MAX_BODY_BYTES_CAP)
    }

    /// Admin key enabling the admin routes and `/dashboard` (404 without it). A key shorter
    /// than [`MIN_ADMIN_KEY_CHARS`] is refused: it guards every key and account of the gateway.
    pub fn admin_api_key(&self) -> Result<Option<String>, GatewayError> {
        let key = self.value("admin_api_key")?;
        if key
            .as_ref()
            .is_some_and(|k| k.chars().count() < MIN_ADMIN_KEY_CHARS)
        {
            return Err(invalid(
                "admin_api_key",
                &format!(
                    "shorter than {MIN_ADMIN_KEY_CHARS} characters; choose a long random one \
                     (e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        Ok(key)
    }

    /// Every setting that is not a secret, with its value (`/admin/status`).
    pub fn public_values(&self) -> Result<Vec<(&'static str, String)>, GatewayError> {
        VARIABLES
            .iter()
            .filter(|(name, _)| !SECRET_VARIABLES.contains(name))
            .map(|(name, _)| Ok((*name, self.value_or_default(name)?)))
            .collect()
    }

    /// Path of a mounted `oauth-token.json` to import from.
    pub fn token_file(&self) -> Result<String, GatewayError> {
        self.value_or_default("token_file")
    }

    /// Minimum log level.
    pub fn log_level(&self) -> Result<LogLevel, GatewayError> {
        self.one_of("log_level", LogLevel::VALUES)
    }

    /// Log line format.
    pub fn log_format(&self) -> Result<LogFormat, GatewayError> {
        self.one_of("log_format", LogFormat::VALUES)
    }

    /// `reasoning_output`: how chat answers carry the model's reasoning.
    pub fn reasoning_output(&self) -> Result<ReasoningOutput, GatewayError> {
        self.one_of("reasoning_output", ReasoningOutput::VALUES)
    }

    /// `chat_prompt_cache_key`: what stands in for a chat request's missing cache key.
    pub fn chat_prompt_cache_key(&self) -> Result<CacheKeyFallback, GatewayError> {
        self.one_of("chat_prompt_cache_key", CacheKeyFallback::VALUES)
    }

    /// `account_strategy`: which of several accounts serves a request.
    pub fn account_strategy(&self) -> Result<Strategy, GatewayError> {
        self.one_of("account_strategy", Strategy::VALUES)
    }

    /// `image_host_model`: the chat model that calls the `image_generation` tool.
    pub fn image_host_model(&self) -> Result<String, GatewayError> {
        self.value_or_default("image_host_model")
    }

    /// `usage_tracking`: whether every request's usage is counted in the store (`on`, `off`).
    pub fn usage_tracking(&self) -> Result<bool, GatewayError> {
        self.one_of("usage_tracking", &[("on", true), ("off", false)])
    }

    /// `model_aliases`: client model names mapped to backend models ([`ModelAliases`]).
    pub fn model_aliases(&self) -> Result<ModelAliases, GatewayError> {
        ModelAliases::parse(&self.value_or_default("model_aliases")?)
            .map_err(crate::aliases::invalid)
    }

    fn base_url(&self, name: &'static str) -> Result<String, GatewayError> {
        let value = self.value_or_default(name)?;
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

    fn path(&self, name: &'static str) -> Result<String, GatewayError> {
        let value = self.value_or_default(name)?;
        if !value.starts_with('/') || value.contains(['?', '#', ' ']) {
            return Err(invalid(
                name,
                &format!("{value:?} must be a path starting with /"),
            ));
        }
        Ok(value)
    }

    fn number<T>(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, GatewayError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let raw = self.value_or_default(name)?;
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
    fn one_of<T: Copy>(&self, name: &'static str, table: &[(&str, T)]) -> Result<T, GatewayError> {
        let raw = self.value_or_default(name)?;
        crate::spelling::lookup(table, &raw).ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            invalid(name, &format!("{raw:?} is not one of {}", names.join(", ")))
        })
    }
}

/// The default of a known setting ("" for none).
fn default_of(name: &str) -> &'static str {
    VARIABLES
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, d)| *d)
        .unwrap_or_default()
}

fn invalid(variable: &str, reason: &str) -> GatewayError {
    GatewayError::ConfigInvalid {
        variable: variable.to_owned(),
        reason: reason.to_owned(),
    }
}

/// What a chat request without `prompt_cache_key` or `user` sends as its cache key (the
/// `chat_prompt_cache_key` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheKeyFallback {
    /// A key derived from the start of the conversation, so its turns share the backend's
    /// prompt cache.
    #[default]
    Derived,
    /// None: every turn starts without a key.
    None,
}

impl CacheKeyFallback {
    /// The accepted spellings (any case).
    pub const VALUES: &'static [(&'static str, Self)] =
        &[("derived", Self::Derived), ("none", Self::None)];
}

/// How the model's reasoning reaches chat clients (the `reasoning_output` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningOutput {
    /// In `delta.reasoning_content` / `message.reasoning_content`, beside the answer.
    #[default]
    Field,
    /// Inside the content, as one `<think>…</think>` block before the answer, for clients
    /// that only render `content` and fold think tags themselves. Reasoning that arrives after
    /// the answer text began is left out.
    ThinkTags,
    /// Not sent (still counted in `usage.completion_tokens_details.reasoning_tokens`).
    Hidden,
}

impl ReasoningOutput {
    /// The accepted spellings (any case).
    pub const VALUES: &'static [(&'static str, Self)] = &[
        ("reasoning_content", Self::Field),
        ("think_tags", Self::ThinkTags),
        ("none", Self::Hidden),
    ];

    /// Parse one of [`Self::VALUES`].
    pub fn parse(raw: &str) -> Option<Self> {
        crate::spelling::lookup(Self::VALUES, raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Settings<'static> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::new(move |k| Ok(map.get(k).cloned()))
    }

    #[test]
    fn defaults_apply() {
        let s = settings(&[("downstream_api_key", "sk-secret-123")]);
        assert_eq!(
            s.codex_responses_url().unwrap(),
            "https://chatgpt.com/backend-api/codex/responses"
        );
        assert_eq!(
            s.codex_models_url().unwrap(),
            "https://chatgpt.com/backend-api/codex/models?client_version=0.171.0"
        );
        assert_eq!(
            s.token_url().unwrap(),
            "https://auth.openai.com/oauth/token"
        );
        assert_eq!(s.oauth_client_id().unwrap(), CODEX_CLIENT_ID);
        assert_eq!(s.refresh_margin_secs().unwrap(), 300);
        assert_eq!(s.idle_timeout_secs().unwrap(), 300);
        assert_eq!(s.max_body_bytes().unwrap(), 16 * 1024 * 1024);
        assert_eq!(s.log_level().unwrap(), LogLevel::Info);
        assert_eq!(s.reasoning_output().unwrap(), ReasoningOutput::Field);
        assert_eq!(s.upstream_api_key().unwrap(), None);
        assert_eq!(
            s.upstream_url("/v1/models").unwrap(),
            "https://api.openai.com/v1/models"
        );
        s.validate_all().unwrap();
        assert!(!format!("{s:?}").contains("sk-secret-123"));
    }

    #[test]
    fn every_default_is_valid_and_every_variable_is_read() {
        let s = settings(&[("downstream_api_key", "k")]);
        s.validate_all().unwrap();
        let mut read = s.names_read();
        read.sort_unstable();
        let mut all: Vec<&str> = VARIABLES.iter().map(|(n, _)| *n).collect();
        all.sort_unstable();
        assert_eq!(read, all, "validate_all reads every variable, once");
    }

    #[test]
    fn each_setting_is_read_once_and_only_when_used() {
        let calls = RefCell::new(Vec::<String>::new());
        let s = Settings::new(|k| {
            calls.borrow_mut().push(k.to_owned());
            Ok(None)
        });
        assert_eq!(s.idle_timeout_secs().unwrap(), 300);
        assert_eq!(s.idle_timeout_secs().unwrap(), 300);
        s.codex_responses_url().unwrap();
        assert_eq!(
            *calls.borrow(),
            [
                "idle_timeout_secs",
                "codex_base_url",
                "codex_responses_path"
            ]
        );
    }

    #[test]
    fn a_failing_provider_is_config_invalid_never_unset() {
        let s = Settings::new(|k| {
            if k == "upstream_api_key" {
                Err(LookupError::Provider)
            } else {
                Ok(Some("k".into()))
            }
        });
        match s.upstream_api_key() {
            Err(GatewayError::ConfigInvalid { variable, reason }) => {
                assert_eq!(variable, "upstream_api_key");
                assert!(reason.contains("provider failed"), "{reason}");
            }
            other => panic!("expected config_invalid, got {other:?}"),
        }
        assert_eq!(s.downstream_api_key().unwrap(), "k");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let cases: &[(&str, &str, &str)] = &[
            ("blank key", "downstream_api_key", "  "),
            ("bad mode", "upstream_mode", "proxy"),
            ("relative url", "codex_base_url", "chatgpt.com"),
            ("ftp url", "upstream_base_url", "ftp://x"),
            ("no host", "oauth_issuer", "http://"),
            ("url with path", "codex_base_url", "https://x.test/api"),
            ("bad version", "codex_client_version", "1 2&x"),
            ("bad level", "log_level", "verbose"),
            ("bad format", "log_format", "pretty"),
            ("bad reasoning output", "reasoning_output", "tags"),
            ("bad path", "codex_responses_path", "x"),
            ("bad prefix", "upstream_path_prefix", "api"),
            ("bad number", "idle_timeout_secs", "soon"),
            ("zero idle", "idle_timeout_secs", "0"),
            ("huge body", "max_body_bytes", "99999999999"),
        ];
        for (name, variable, value) in cases {
            let s = settings(&[("downstream_api_key", "k"), (variable, value)]);
            match s.validate_all() {
                Err(GatewayError::ConfigInvalid { variable: v, .. }) => {
                    assert_eq!(&v, variable, "case {name}")
                }
                other => panic!("case {name}: expected config_invalid, got {other:?}"),
            }
        }
        match settings(&[]).downstream_api_key() {
            Err(GatewayError::ConfigInvalid { variable, .. }) => {
                assert_eq!(variable, "downstream_api_key")
            }
            other => panic!("missing key: expected config_invalid, got {other:?}"),
        }
    }

    #[test]
    fn trailing_slash_and_mode() {
        let s = settings(&[
            ("downstream_api_key", "k"),
            ("upstream_mode", "openai_api"),
            ("upstream_base_url", "http://127.0.0.1:9000/"),
            ("upstream_path_prefix", "/api/"),
        ]);
        assert_eq!(s.mode().unwrap(), Mode::OpenAiApi);
        assert_eq!(
            s.upstream_url("/v1/models").unwrap(),
            "http://127.0.0.1:9000/api/v1/models"
        );
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
            (
                "upstream_mode",
                "bogus",
                r#""bogus" is not one of codex_oauth, openai_api"#,
            ),
        ] {
            match settings(&[("downstream_api_key", "k"), (variable, raw)]).validate_all() {
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
            let s = settings(&[("reasoning_output", raw)]);
            assert_eq!(s.reasoning_output().unwrap(), want, "{raw}");
        }
    }
}
