//! Every failure the gateway can report, and the one table that maps it to the wire.
//!
//! `status`, `code` and `retry_after` are exhaustive matches: adding a variant forces a decision
//! about how it looks to clients. Messages never carry tokens or keys.

use serde::Serialize;

/// A failure that ends a request with an OpenAI-style error envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The client sent something we cannot accept (400 `invalid_request`).
    #[error("{message}")]
    BadRequest {
        /// The offending request field, when one can be named.
        param: Option<String>,
        /// What is wrong, for humans.
        message: String,
    },
    /// The request body exceeds the configured limit (413).
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body's `content-encoding` is not one the gateway decodes (415).
    #[error("content-encoding {0:?} is not supported; send the body as is, gzip or zstd")]
    UnsupportedEncoding(String),
    /// Too many or too large request headers (431).
    #[error("request headers exceed {max_count} fields or {max_bytes} bytes")]
    HeadersTooLarge {
        /// Most header fields accepted.
        max_count: usize,
        /// Most header bytes accepted.
        max_bytes: usize,
    },
    /// Missing or wrong downstream key (401 `invalid_api_key`).
    #[error("{0}")]
    Unauthorized(String),
    /// A client key may not use this model (403 `model_not_allowed`).
    #[error("{0}")]
    ModelNotAllowed(String),
    /// A client key has used up one of its limits (429 `key_limit_reached`).
    #[error("{message}")]
    KeyLimitReached {
        /// Which limit, and when its window ends.
        message: String,
        /// Seconds to the end of the window.
        retry_after: u64,
    },
    /// No such route (404).
    #[error("no route for {0}")]
    NotFound(String),
    /// Route exists, method does not (405, with `Allow`).
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed {
        /// Value of the `Allow` header.
        allow: &'static str,
    },
    /// A Spin variable holds an unusable value (500 `config_invalid`).
    #[error("invalid setting {variable}: {reason}")]
    ConfigInvalid {
        /// The variable name.
        variable: String,
        /// Why it is rejected.
        reason: String,
    },
    /// No usable OAuth token (503): absent, or a terminal refresh failure recorded.
    #[error("{message}")]
    OAuth {
        /// Whether a login is needed or a refresh failed for now.
        code: OAuthCode,
        /// What happened and what the operator should do.
        message: String,
        /// Seconds before a retry makes sense, for transient failures.
        retry_after: Option<u64>,
    },
    /// The upstream answered with an error status or an in-stream failure.
    #[error("{message}")]
    Upstream {
        /// Status we answer with (upstream 4xx kept; 5xx becomes 502; capacity 503; quota 429).
        status: u16,
        /// Stable machine code, e.g. `upstream_error`, `usage_limit_reached`.
        code: UpstreamCode,
        /// Upstream's own message when it is safe to show.
        message: String,
        /// From `Retry-After`, `resets_in_seconds` or `resets_at`.
        retry_after: Option<u64>,
    },
    /// The upstream could not be reached (502 `upstream_unavailable`).
    #[error("{0}")]
    UpstreamUnavailable(String),
    /// The upstream went silent past the idle timeout (504 `upstream_timeout`).
    #[error("upstream sent nothing for {idle_secs} s")]
    UpstreamTimeout {
        /// The idle timeout that elapsed.
        idle_secs: u64,
    },
    /// The key-value store failed (503 `kv_unavailable`).
    #[error("key-value store error: {0}")]
    Kv(String),
    /// Our own bug (500 `internal_error`).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why no token could be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    /// No usable token: a login is needed (`oauth_unavailable`).
    Unavailable,
    /// A refresh failed for a reason that may pass (`oauth_refresh_failed`).
    RefreshFailed,
}

impl OAuthCode {
    /// The envelope's `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "oauth_unavailable",
            Self::RefreshFailed => "oauth_refresh_failed",
        }
    }
}

/// The codes an upstream failure is reported with: a closed set, documented in
/// `docs/en/api-reference.md`, whatever the upstream called it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamCode {
    /// Any other upstream failure (`upstream_error`).
    Error,
    /// 400 or 422 from upstream (`upstream_bad_request`).
    BadRequest,
    /// 401 after a refresh (`upstream_unauthorized`).
    Unauthorized,
    /// 403 (`upstream_forbidden`).
    Forbidden,
    /// 404 (`upstream_not_found`).
    NotFound,
    /// The conversation does not fit the model (`context_length_exceeded`).
    ContextLengthExceeded,
    /// The model is at capacity (`server_overloaded`).
    ServerOverloaded,
    /// The subscription's usage window is spent (`usage_limit_reached`).
    UsageLimitReached,
    /// Too many requests (`rate_limit_exceeded`, also any unnamed 429).
    RateLimitExceeded,
    /// No quota (`insufficient_quota`).
    InsufficientQuota,
    /// The plan does not include this (`usage_not_included`).
    UsageNotIncluded,
    /// A non-stream answer larger than the gateway folds (`answer_too_large`).
    AnswerTooLarge,
    /// The model needs a newer Codex client than the gateway presents
    /// (`client_version_too_old`).
    ClientVersionTooOld,
    /// An image call answered without an image (`image_not_generated`).
    ImageNotGenerated,
}

impl UpstreamCode {
    /// The quota codes, by the name the backend uses.
    pub const QUOTA: [Self; 4] = [
        Self::UsageLimitReached,
        Self::RateLimitExceeded,
        Self::InsufficientQuota,
        Self::UsageNotIncluded,
    ];

    /// The envelope's `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "upstream_error",
            Self::BadRequest => "upstream_bad_request",
            Self::Unauthorized => "upstream_unauthorized",
            Self::Forbidden => "upstream_forbidden",
            Self::NotFound => "upstream_not_found",
            Self::ContextLengthExceeded => "context_length_exceeded",
            Self::ServerOverloaded => "server_overloaded",
            Self::UsageLimitReached => "usage_limit_reached",
            Self::RateLimitExceeded => "rate_limit_exceeded",
            Self::InsufficientQuota => "insufficient_quota",
            Self::UsageNotIncluded => "usage_not_included",
            Self::AnswerTooLarge => "answer_too_large",
            Self::ClientVersionTooOld => "client_version_too_old",
            Self::ImageNotGenerated => "image_not_generated",
        }
    }

    /// The quota code the backend named `code`, if it is one.
    pub fn quota(code: &str) -> Option<Self> {
        Self::QUOTA.into_iter().find(|q| q.as_str() == code)
    }
}

impl GatewayError {
    /// A 400 naming the field at fault.
    pub fn bad_param(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            param: Some(param.into()),
            message: message.into(),
        }
    }

    /// A 400 about the request as a whole.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            param: None,
            message: message.into(),
        }
    }

    /// No token can be used; the operator must log in again.
    pub fn oauth_unavailable(message: impl Into<String>) -> Self {
        Self::OAuth {
            code: OAuthCode::Unavailable,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A refresh failed for a reason that may pass.
    pub fn oauth_refresh_failed(message: impl Into<String>, retry_after: Option<u64>) -> Self {
        Self::OAuth {
            code: OAuthCode::RefreshFailed,
            message: message.into(),
            retry_after,
        }
    }

    /// A generic upstream failure (502 `upstream_error`).
    pub fn upstream_error(message: impl Into<String>) -> Self {
        Self::Upstream {
            status: 502,
            code: UpstreamCode::Error,
            message: message.into(),
            retry_after: None,
        }
    }

    /// HTTP status of the envelope.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::PayloadTooLarge { .. } => 413,
            Self::HeadersTooLarge { .. } => 431,
            Self::UnsupportedEncoding(_) => 415,
            Self::Unauthorized(_) => 401,
            Self::ModelNotAllowed(_) => 403,
            Self::KeyLimitReached { .. } => 429,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::ConfigInvalid { .. } => 500,
            Self::OAuth { .. } => 503,
            Self::Upstream { status, .. } => *status,
            Self::UpstreamUnavailable(_) => 502,
            Self::UpstreamTimeout { .. } => 504,
            Self::Kv(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// Stable machine-readable code of the envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "invalid_request",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::HeadersTooLarge { .. } => "headers_too_large",
            Self::UnsupportedEncoding(_) => "unsupported_content_encoding",
            Self::Unauthorized(_) => "invalid_api_key",
            Self::ModelNotAllowed(_) => "model_not_allowed",
            Self::KeyLimitReached { .. } => "key_limit_reached",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::ConfigInvalid { .. } => "config_invalid",
            Self::OAuth { code, .. } => code.as_str(),
            Self::Upstream { code, .. } => code.as_str(),
            Self::UpstreamUnavailable(_) => "upstream_unavailable",
            Self::UpstreamTimeout { .. } => "upstream_timeout",
            Self::Kv(_) => "kv_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// Seconds for a `Retry-After` header, when a retry has a known earliest time.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::OAuth { retry_after, .. } | Self::Upstream { retry_after, .. } => *retry_after,
            Self::KeyLimitReached { retry_after, .. } => Some(*retry_after),
            Self::BadRequest { .. }
            | Self::PayloadTooLarge { .. }
            | Self::HeadersTooLarge { .. }
            | Self::UnsupportedEncoding(_)
            | Self::Unauthorized(_)
            | Self::ModelNotAllowed(_)
            | Self::NotFound(_)
            | Self::MethodNotAllowed { .. }
            | Self::ConfigInvalid { .. }
            | Self::UpstreamUnavailable(_)
            | Self::UpstreamTimeout { .. }
            | Self::Kv(_)
            | Self::Internal(_) => None,
        }
    }

    /// Whether this is our fault (logged at error level) rather than the client's or upstream's.
    pub fn is_internal(&self) -> bool {
        match self {
            Self::Internal(_) | Self::ConfigInvalid { .. } => true,
            Self::BadRequest { .. }
            | Self::PayloadTooLarge { .. }
            | Self::HeadersTooLarge { .. }
            | Self::UnsupportedEncoding(_)
            | Self::Unauthorized(_)
            | Self::ModelNotAllowed(_)
            | Self::KeyLimitReached { .. }
            | Self::NotFound(_)
            | Self::MethodNotAllowed { .. }
            | Self::OAuth { .. }
            | Self::Upstream { .. }
            | Self::UpstreamUnavailable(_)
            | Self::UpstreamTimeout { .. }
            | Self::Kv(_) => false,
        }
    }

    /// The request field at fault, if any.
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::BadRequest { param, .. } => param.as_deref(),
            Self::PayloadTooLarge { .. }
            | Self::HeadersTooLarge { .. }
            | Self::UnsupportedEncoding(_)
            | Self::Unauthorized(_)
            | Self::ModelNotAllowed(_)
            | Self::KeyLimitReached { .. }
            | Self::NotFound(_)
            | Self::MethodNotAllowed { .. }
            | Self::ConfigInvalid { .. }
            | Self::OAuth { .. }
            | Self::Upstream { .. }
            | Self::UpstreamUnavailable(_)
            | Self::UpstreamTimeout { .. }
            | Self::Kv(_)
            | Self::Internal(_) => None,
        }
    }

    /// What the log may say about this error. The client may read its own text in the answer,
    /// but the log never carries it: a serde message quotes the offending value and an
    /// upstream excerpt can quote the prompt. A bad request keeps its category and position
    /// (the field path is the `param` field), an upstream failure its status and code.
    pub fn log_message(&self) -> String {
        match self {
            Self::BadRequest { message, .. } => without_client_text(message),
            Self::UnsupportedEncoding(_) => "content-encoding not supported".into(),
            // The message names the model the client asked for: its own text.
            Self::ModelNotAllowed(_) => "the model is not on the key's list".into(),
            Self::Upstream { status, code, .. } => {
                format!("upstream failure {} (answered {status})", code.as_str())
            }
            Self::PayloadTooLarge { .. }
            | Self::HeadersTooLarge { .. }
            | Self::Unauthorized(_)
            | Self::KeyLimitReached { .. }
            | Self::NotFound(_)
            | Self::MethodNotAllowed { .. }
            | Self::ConfigInvalid { .. }
            | Self::OAuth { .. }
            | Self::UpstreamUnavailable(_)
            | Self::UpstreamTimeout { .. }
            | Self::Kv(_)
            | Self::Internal(_) => self.to_string(),
        }
    }

    /// The fields of a log line about this error: code, param (if any) and [`Self::log_message`].
    pub fn log_fields(&self) -> Vec<(&'static str, crate::log::Field)> {
        let mut fields = vec![("code", self.code().into())];
        if let Some(param) = self.param() {
            fields.push(("param", param.into()));
        }
        fields.push(("message", self.log_message().into()));
        fields
    }

    /// The OpenAI-style envelope body (`{"error":{...}}`), newline-terminated.
    pub fn envelope_json(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec(&self.envelope()).unwrap_or_default();
        body.push(b'\n');
        body
    }

    /// The envelope as a typed value (used for in-stream error events too).
    pub fn envelope(&self) -> ErrorEnvelope<'_> {
        ErrorEnvelope {
            error: ErrorBody {
                message: self.to_string(),
                r#type: "gateway_error",
                param: self.param(),
                code: self.code(),
            },
        }
    }
}

impl From<crate::ports::KvError> for GatewayError {
    fn from(err: crate::ports::KvError) -> Self {
        Self::Kv(err.0)
    }
}

/// A bad-request message up to the first quoted value (the gateway and serde quote what the
/// client sent in `"…"` or `` `…` ``), plus serde's `line N column M` when it has one.
fn without_client_text(message: &str) -> String {
    let cut = message.find(['"', '`', '\'']).unwrap_or(message.len());
    let mut out = message[..cut].trim_end().trim_end_matches(':').to_owned();
    if cut < message.len() {
        out.push_str(" …");
    }
    if let Some(at) = message.rfind(" at line ") {
        let position: String = message[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .collect();
        if !out.ends_with(position.trim_end()) {
            out.push_str(position.trim_end());
        }
    }
    out
}

/// `{"error": {...}}` as OpenAI clients parse it.
#[derive(Debug, Serialize)]
pub struct ErrorEnvelope<'a> {
    /// The error object.
    pub error: ErrorBody<'a>,
}

/// The inner error object of the envelope.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Human-readable message.
    pub message: String,
    /// Always `gateway_error` for errors the gateway produces.
    pub r#type: &'static str,
    /// Offending parameter or null.
    pub param: Option<&'a str>,
    /// Stable machine code.
    pub code: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_has_openai_shape() {
        let err = GatewayError::bad_param("messages", "messages is required");
        let v: serde_json::Value = serde_json::from_slice(&err.envelope_json()).unwrap();
        assert_eq!(
            v,
            json!({"error":{"message":"messages is required","type":"gateway_error","param":"messages","code":"invalid_request"}})
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn log_messages_never_carry_client_text() {
        let cases = [
            (
                GatewayError::bad_param(
                    "messages",
                    r#"messages: invalid type: string "MARKER my prompt", expected a sequence"#,
                ),
                "messages: invalid type: string …",
            ),
            (
                GatewayError::bad_param(
                    "reasoning_effort",
                    "reasoning_effort: unknown variant `MARKER`, expected one of `low`, `high`",
                ),
                "reasoning_effort: unknown variant …",
            ),
            (
                GatewayError::bad_request("invalid JSON: expected `,` or `}` at line 1 column 17"),
                "invalid JSON: expected … at line 1 column 17",
            ),
            (
                GatewayError::bad_request(
                    "invalid JSON: EOF while parsing a string at line 3 column 9",
                ),
                "invalid JSON: EOF while parsing a string at line 3 column 9",
            ),
            (
                GatewayError::Upstream {
                    status: 400,
                    code: UpstreamCode::BadRequest,
                    message: "Invalid prompt: MARKER".into(),
                    retry_after: None,
                },
                "upstream failure upstream_bad_request (answered 400)",
            ),
            (
                GatewayError::ModelNotAllowed(
                    "this key (alice) may not use model \"MARKER\"; it may use: gpt-5.4".into(),
                ),
                "the model is not on the key's list",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.log_message(), want);
            assert!(!format!("{:?}", err.log_fields()).contains("MARKER"));
        }
        let fields = GatewayError::bad_param("messages", "x").log_fields();
        assert_eq!(fields[1].0, "param");
    }

    #[test]
    fn quota_errors_carry_retry_after() {
        let err = GatewayError::Upstream {
            status: 429,
            code: UpstreamCode::UsageLimitReached,
            message: "The usage limit has been reached".into(),
            retry_after: Some(42),
        };
        assert_eq!(err.retry_after(), Some(42));
        assert_eq!(err.status(), 429);
    }
}
