//! `TokenRecord`: the versioned token format shared by the store, `oauth-token.json` and login-cli.
//!
//! One type, one JSON shape: the component reads what login-cli writes, byte for byte the same
//! schema whether it sits in Spin's key-value store or in a file. Secrets are wrapped in
//! [`Secret`] so they cannot reach a log line through `Debug`.

use serde::{Deserialize, Serialize};

/// Key of the token record in the `default` key-value store.
pub const TOKEN_KEY: &str = "codex-gateway/token";

/// Current record format version.
pub const RECORD_VERSION: u32 = 1;

/// A string that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Whether a refresh failure will pass by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The refresh token is dead (`refresh_token_reused`, `…_expired`, `…_invalidated`,
    /// `invalid_grant`): only a new login helps.
    Terminal,
    /// Network trouble or a 5xx: retried on a later request, with back-off.
    Transient,
}

/// The last refresh failure, kept in the record so every instance sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshFailure {
    /// Terminal or transient.
    pub kind: FailureKind,
    /// The OAuth error code or a short transport reason (never a token).
    pub code: String,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// Consecutive transient failures so far (drives the back-off).
    #[serde(default)]
    pub attempts: u32,
}

/// The stored OAuth token and what we know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Format version ([`RECORD_VERSION`]).
    pub version: u32,
    /// Bearer token for the Codex backend.
    pub access_token: Secret,
    /// Rotating refresh token (single use).
    pub refresh_token: Secret,
    /// The id token from the last exchange, if the issuer sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// `chatgpt_account_id` claim (sent as `ChatGPT-Account-Id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `email` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `chatgpt_plan_type` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<String>,
    /// Access-token expiry (Unix seconds), from `expires_in` or else the JWT `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// When this pair was obtained by a login or a refresh (Unix seconds).
    pub last_refresh: i64,
    /// The last refresh failure, cleared by a successful refresh or a new login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<RefreshFailure>,
}
