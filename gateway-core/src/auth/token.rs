//! `TokenRecord`: the versioned token format shared by the store, `oauth-token.json` and login-cli.
//!
//! One type, one JSON shape: the component reads what login-cli writes, byte for byte the same
//! schema whether it sits in Spin's key-value store or in a file. Secrets are wrapped in
//! [`Secret`] so they cannot reach a log line through `Debug`; nothing here ever formats a token,
//! and no error carries one (JSON errors keep only their category and position).

use serde::{Deserialize, Serialize};

use super::jwt::Claims;

/// Key of the token record in the `default` key-value store.
pub const TOKEN_KEY: &str = "codex-gateway/token";

/// Current record format version.
pub const RECORD_VERSION: u32 = 1;

/// What every "no usable token" message tells the operator to do.
pub const LOGIN_HINT: &str = "run `login-cli auth login`";

/// With no known expiry, a token this old is refreshed, as the Codex CLI does (8 days).
pub const STALE_AFTER_SECS: i64 = 8 * 24 * 3600;

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
    /// Whether the secret is empty (or only whitespace).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
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

impl RefreshFailure {
    /// The failure to record after `previous`: consecutive transient failures count up, anything
    /// else starts at one.
    pub fn after(
        previous: Option<&RefreshFailure>,
        kind: FailureKind,
        code: impl Into<String>,
        at: i64,
    ) -> Self {
        let attempts = match previous {
            Some(p) if p.kind == FailureKind::Transient && kind == FailureKind::Transient => {
                p.attempts.saturating_add(1)
            }
            _ => 1,
        };
        Self {
            kind,
            code: code.into(),
            at,
            attempts,
        }
    }
}

/// Why a token record (or a token response, or a Codex CLI `auth.json`) cannot be used.
///
/// Messages name the problem and never carry a token or a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The access token is missing or empty.
    #[error("the access token is empty")]
    EmptyAccessToken,
    /// No refresh token, and no earlier one to keep.
    #[error("the refresh token is missing or empty")]
    MissingRefreshToken,
    /// The bytes are not JSON of the expected shape (category and position only).
    #[error("{what} is not valid JSON of the expected shape ({detail})")]
    Json {
        /// What was being read, e.g. `token record`.
        what: &'static str,
        /// serde's error category and position, never the offending value.
        detail: String,
    },
    /// The record carries no `version`.
    #[error("token record has no version field")]
    MissingVersion,
    /// The record was written by a newer (or unknown) format.
    #[error("token record version {0} is not supported (expected {RECORD_VERSION})")]
    UnsupportedVersion(u64),
    /// A Codex CLI `auth.json` without ChatGPT tokens (an API-key login, say).
    #[error("auth.json holds no ChatGPT tokens (was it an API-key login?)")]
    NoChatGptTokens,
    /// A timestamp field is not RFC 3339.
    #[error("{0} is not an RFC 3339 timestamp")]
    BadTimestamp(&'static str),
}

impl TokenError {
    /// A JSON error reduced to its category and position.
    pub(crate) fn json(what: &'static str, err: &serde_json::Error) -> Self {
        Self::Json {
            what,
            detail: format!(
                "{:?} error at line {} column {}",
                err.classify(),
                err.line(),
                err.column()
            ),
        }
    }
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

/// Claims gathered from the id token, then the access token, then the previous record.
pub(super) struct Identity {
    pub(super) account_id: Option<String>,
    pub(super) email: Option<String>,
    pub(super) plan_type: Option<String>,
}

impl Identity {
    pub(super) fn gather(
        id: Option<&Claims>,
        access: Option<&Claims>,
        previous: Option<&TokenRecord>,
    ) -> Self {
        let pick = |f: fn(&Claims) -> Option<&String>, p: fn(&TokenRecord) -> Option<&String>| {
            id.and_then(f)
                .or_else(|| access.and_then(f))
                .or_else(|| previous.and_then(p))
                .cloned()
        };
        Self {
            account_id: pick(|c| c.chatgpt_account_id.as_ref(), |r| r.account_id.as_ref()),
            email: pick(|c| c.email.as_ref(), |r| r.email.as_ref()),
            plan_type: pick(|c| c.chatgpt_plan_type.as_ref(), |r| r.plan_type.as_ref()),
        }
    }
}

impl TokenRecord {
    /// Whether the token should be refreshed now: it expires within `margin_secs`, or, with no
    /// known expiry, it was obtained more than [`STALE_AFTER_SECS`] ago.
    pub fn needs_refresh(&self, now: i64, margin_secs: i64) -> bool {
        match self.expires_at {
            Some(exp) => now.saturating_add(margin_secs) >= exp,
            None => now.saturating_sub(self.last_refresh) >= STALE_AFTER_SECS,
        }
    }

    /// Whether the access token is past its known expiry. An unknown expiry is never "expired":
    /// the upstream's 401 is the judge then.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|exp| now >= exp)
    }

    /// Seconds until expiry (negative once expired), if the expiry is known.
    pub fn expires_in(&self, now: i64) -> Option<i64> {
        self.expires_at.map(|exp| exp.saturating_sub(now))
    }

    /// A short, stable hex id of this token generation (FNV-1a 64 over the refresh and access
    /// tokens). It changes with every login and every refresh (the access token always changes,
    /// even when the issuer keeps the refresh token), and not when a failure is recorded. It names
    /// lease keys; it reveals nothing usable about the tokens.
    pub fn fingerprint(&self) -> String {
        let parts = [
            self.refresh_token.expose(),
            "\0",
            self.access_token.expose(),
        ];
        let hash = crate::fnv::fnv1a64(parts.iter().flat_map(|p| p.bytes()));
        format!("{hash:016x}")
    }

    /// Compact JSON, as stored under [`TOKEN_KEY`].
    pub fn to_json(&self) -> Result<Vec<u8>, TokenError> {
        serde_json::to_vec(self).map_err(|e| TokenError::json("token record", &e))
    }

    /// Pretty JSON with a trailing newline, as written to `oauth-token.json`.
    pub fn to_json_pretty(&self) -> Result<String, TokenError> {
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| TokenError::json("token record", &e))?;
        text.push('\n');
        Ok(text)
    }

    /// Parse a stored record, refusing unknown versions.
    pub fn from_json(bytes: &[u8]) -> Result<TokenRecord, TokenError> {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            version: Option<u64>,
        }
        let probe: Probe =
            serde_json::from_slice(bytes).map_err(|e| TokenError::json("token record", &e))?;
        match probe.version {
            None => return Err(TokenError::MissingVersion),
            Some(v) if v != u64::from(RECORD_VERSION) => {
                return Err(TokenError::UnsupportedVersion(v))
            }
            Some(_) => {}
        }
        let record: TokenRecord =
            serde_json::from_slice(bytes).map_err(|e| TokenError::json("token record", &e))?;
        if record.access_token.is_empty() {
            return Err(TokenError::EmptyAccessToken);
        }
        Ok(record)
    }
}

/// Which record an import should write, if any: the file's when the store has none, or when the
/// file's `last_refresh` is later than the stored one's (a newer login always wins; on a tie the
/// store keeps its record, which the gateway may have rotated since).
pub fn choose_import(
    stored: Option<&TokenRecord>,
    file: Option<&TokenRecord>,
) -> Option<TokenRecord> {
    match (stored, file) {
        (_, None) => None,
        (None, Some(file)) => Some(file.clone()),
        (Some(stored), Some(file)) => {
            (file.last_refresh > stored.last_refresh).then(|| file.clone())
        }
    }
}

#[cfg(test)]
mod tests;
