//! OAuth wire helpers for `auth.openai.com/oauth/token`: the refresh form, the answer, the errors.
//!
//! Pure functions; the host sends the bytes. Nothing here ever puts a token into an error or a
//! message: error texts come from the issuer's own description, truncated, or from the status.

use serde::{Deserialize, Deserializer, Serialize};

use super::jwt::decode_claims;
use super::token::{FailureKind, Identity, Secret, TokenError, TokenRecord, RECORD_VERSION};

/// OpenAI's public OAuth client id for the Codex CLI flow.
pub const CODEX_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// Error codes that mean the refresh token is dead: only a new login helps.
pub const TERMINAL_CODES: &[&str] = &[
    "refresh_token_reused",
    "refresh_token_expired",
    "refresh_token_invalidated",
    "invalid_grant",
];

/// Longest issuer message we keep.
const MAX_MESSAGE_CHARS: usize = 200;

/// A successful `/oauth/token` answer (code exchange or refresh).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The new access token (empty when the issuer left it out).
    #[serde(default)]
    pub access_token: Secret,
    /// The rotated refresh token; absent when the issuer keeps the old one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// The id token, when the issuer sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// Lifetime of the access token in seconds (number or numeric string accepted).
    #[serde(
        default,
        deserialize_with = "lenient_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_in: Option<i64>,
    /// Usually `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Granted scopes, space separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

// Here rather than in `token.rs`, so that the record depends on nothing about the endpoint
// and the endpoint's module alone knows both.
impl TokenRecord {
    /// The record for a successful `/oauth/token` answer (login or refresh) received at `now_unix`.
    ///
    /// Expiry comes from `expires_in`, else the access token's `exp`. Account id, email and plan
    /// come from the id token's claims, else the access token's, else `previous`. A refresh
    /// answer without a refresh token keeps `previous`'s.
    ///
    /// ```
    /// use gateway_core::auth::oauth::TokenResponse;
    /// use gateway_core::auth::token::TokenRecord;
    /// let resp: TokenResponse =
    ///     serde_json::from_str(r#"{"access_token":"at","refresh_token":"rt","expires_in":3600}"#).unwrap();
    /// let record = TokenRecord::from_token_response(&resp, 1_000, None).unwrap();
    /// assert_eq!(record.expires_at, Some(4_600));
    /// assert!(!record.needs_refresh(1_000, 300));
    /// assert!(record.needs_refresh(4_400, 300));
    /// assert_eq!(format!("{:?}", record.access_token), "***");
    /// ```
    pub fn from_token_response(
        resp: &TokenResponse,
        now_unix: i64,
        previous: Option<&TokenRecord>,
    ) -> Result<TokenRecord, TokenError> {
        if resp.access_token.is_empty() {
            return Err(TokenError::EmptyAccessToken);
        }
        let refresh_token = resp
            .refresh_token
            .as_ref()
            .filter(|t| !t.is_empty())
            .or_else(|| previous.map(|p| &p.refresh_token).filter(|t| !t.is_empty()))
            .cloned()
            .ok_or(TokenError::MissingRefreshToken)?;
        let id_token = resp
            .id_token
            .as_ref()
            .filter(|t| !t.is_empty())
            .cloned()
            .or_else(|| previous.and_then(|p| p.id_token.clone()));
        let id_claims = resp
            .id_token
            .as_ref()
            .and_then(|t| decode_claims(t.expose()).ok());
        let access_claims = decode_claims(resp.access_token.expose()).ok();
        let identity = Identity::gather(id_claims.as_ref(), access_claims.as_ref(), previous);
        let expires_at = match resp.expires_in {
            Some(secs) if secs > 0 => Some(now_unix.saturating_add(secs)),
            _ => access_claims.as_ref().and_then(|c| c.exp),
        };
        Ok(TokenRecord {
            version: RECORD_VERSION,
            access_token: resp.access_token.clone(),
            refresh_token,
            id_token,
            account_id: identity.account_id,
            email: identity.email,
            plan_type: identity.plan_type,
            expires_at,
            last_refresh: now_unix,
            last_failure: None,
        })
    }
}

impl TokenResponse {
    /// Parse a 2xx body.
    pub fn from_json(body: &[u8]) -> Result<TokenResponse, TokenError> {
        serde_json::from_slice(body).map_err(|e| TokenError::json("token response", &e))
    }
}

fn lenient_seconds<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(de)? {
        Some(Raw::Int(i)) => Some(i),
        Some(Raw::Float(f)) if f.is_finite() && f.abs() < 1e15 => Some(f.trunc() as i64),
        Some(Raw::Text(t)) => t.trim().parse::<i64>().ok(),
        Some(Raw::Float(_)) | None => None,
    })
}

/// A failed refresh, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token refresh failed ({code}): {message}")]
pub struct RefreshError {
    /// Terminal (log in again) or transient (retry later).
    pub kind: FailureKind,
    /// The issuer's error code, `http_<status>`, or a transport reason such as `network`.
    pub code: String,
    /// A short human explanation, never a token.
    pub message: String,
}

impl RefreshError {
    /// The request never got an answer (DNS, connect, TLS, timeout, reset).
    pub fn network(reason: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Transient,
            code: "network".into(),
            message: truncate(&reason.into()),
        }
    }

    /// A 2xx answer we could not use (not JSON, empty access token).
    pub fn invalid_response(reason: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Transient,
            code: "invalid_response".into(),
            message: truncate(&reason.into()),
        }
    }

    /// Whether the issuer said the refresh token was already used (by someone else).
    pub fn is_reused(&self) -> bool {
        self.code == "refresh_token_reused"
    }
}

/// How a token endpoint is reached. The host implements it with an outgoing HTTP request whose
/// timeout must stay below the lease TTL; tests implement it with a fake.
pub trait TokenEndpoint {
    /// Exchange `refresh_token` for a new token pair.
    fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, RefreshError>;
}

/// The `application/x-www-form-urlencoded` body of a refresh request.
///
/// ```
/// use gateway_core::auth::oauth::refresh_form_body;
/// assert_eq!(
///     refresh_form_body("app_x", "a b/c+d"),
///     "grant_type=refresh_token&client_id=app_x&refresh_token=a+b%2Fc%2Bd"
/// );
/// ```
pub fn refresh_form_body(client_id: &str, refresh_token: &str) -> String {
    let mut body = String::from("grant_type=refresh_token&client_id=");
    form_encode_into(&mut body, client_id);
    body.push_str("&refresh_token=");
    form_encode_into(&mut body, refresh_token);
    body
}

/// Append `value` form-urlencoded (WHATWG): alphanumerics and `*-._` stay, space becomes `+`,
/// every other byte of the UTF-8 encoding becomes `%XX`.
pub fn form_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => {
                out.push('%');
                for nibble in [other >> 4, other & 0x0f] {
                    if let Some(&h) = HEX.get(usize::from(nibble)) {
                        out.push(char::from(h));
                    }
                }
            }
        }
    }
}

/// The outcome of a token-endpoint answer: a usable response for 2xx, else a classified error.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<TokenResponse, RefreshError> {
    if !(200..300).contains(&status) {
        return Err(classify_token_error(status, body));
    }
    let resp = TokenResponse::from_json(body)
        .map_err(|e| RefreshError::invalid_response(e.to_string()))?;
    if resp.access_token.is_empty() {
        return Err(RefreshError::invalid_response(
            "the token endpoint answered without an access token",
        ));
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<ErrorField>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Code(String),
    Object {
        #[serde(default)]
        code: Option<String>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
}

/// Classify a non-2xx token-endpoint answer.
///
/// Terminal: any of [`TERMINAL_CODES`] (as `{"error":"…"}` or `{"error":{"code":"…"}}`), and
/// any other 401 (the issuer rejected the credential, as the Codex CLI also concludes).
/// Everything else (5xx, 429, other 4xx, bodies we cannot read) is transient and retried with
/// back-off.
pub fn classify_token_error(status: u16, body: &[u8]) -> RefreshError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => error_code_and_message(parsed),
        Err(_) => (None, None),
    };
    let terminal_code = code.as_deref().is_some_and(|c| TERMINAL_CODES.contains(&c));
    let kind = if terminal_code || status == 401 {
        FailureKind::Terminal
    } else {
        FailureKind::Transient
    };
    let code = code.unwrap_or_else(|| format!("http_{status}"));
    let message = message
        .map(|m| truncate(&m))
        .unwrap_or_else(|| format!("the token endpoint answered HTTP {status}"));
    RefreshError {
        kind,
        code,
        message,
    }
}

fn error_code_and_message(body: ErrorBody) -> (Option<String>, Option<String>) {
    let (code, message) = match body.error {
        Some(ErrorField::Code(code)) => (Some(code), body.error_description),
        Some(ErrorField::Object {
            code,
            kind,
            message,
        }) => (code.or(kind), message.or(body.error_description)),
        None => (body.code, body.message.or(body.error_description)),
    };
    let clean = |s: Option<String>| s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    (clean(code), clean(message))
}

fn truncate(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    cleaned.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn classify_table() {
        use FailureKind::{Terminal, Transient};
        let cases: &[(&str, u16, &str, FailureKind, &str)] = &[
            (
                "error string",
                400,
                r#"{"error":"invalid_grant","error_description":"bad"}"#,
                Terminal,
                "invalid_grant",
            ),
            (
                "error object reused",
                401,
                r#"{"error":{"code":"refresh_token_reused","message":"m"}}"#,
                Terminal,
                "refresh_token_reused",
            ),
            (
                "error object expired",
                400,
                r#"{"error":{"code":"refresh_token_expired"}}"#,
                Terminal,
                "refresh_token_expired",
            ),
            (
                "invalidated",
                401,
                r#"{"error":{"code":"refresh_token_invalidated"}}"#,
                Terminal,
                "refresh_token_invalidated",
            ),
            (
                "top-level code",
                400,
                r#"{"code":"refresh_token_reused","message":"x"}"#,
                Terminal,
                "refresh_token_reused",
            ),
            ("bare 401", 401, "nope", Terminal, "http_401"),
            ("server error", 500, "<html>", Transient, "http_500"),
            (
                "bad gateway json",
                502,
                r#"{"error":"server_error"}"#,
                Transient,
                "server_error",
            ),
            ("rate limited", 429, "", Transient, "http_429"),
            (
                "other 4xx",
                400,
                r#"{"error":"invalid_request","error_description":"x"}"#,
                Transient,
                "invalid_request",
            ),
            (
                "cloudflare 403",
                403,
                "<html>challenge</html>",
                Transient,
                "http_403",
            ),
        ];
        for (name, status, body, kind, code) in cases {
            let err = classify_token_error(*status, body.as_bytes());
            assert_eq!((err.kind, err.code.as_str()), (*kind, *code), "case {name}");
        }
    }

    #[test]
    fn messages_come_from_the_issuer_or_the_status() {
        let err = classify_token_error(
            400,
            br#"{"error":"invalid_grant","error_description":"  gone\n"}"#,
        );
        assert_eq!(err.message, "gone");
        let err = classify_token_error(503, b"");
        assert_eq!(err.message, "the token endpoint answered HTTP 503");
        let long = format!(
            r#"{{"error":{{"code":"x","message":"{}"}}}}"#,
            "a".repeat(1000)
        );
        assert_eq!(
            classify_token_error(500, long.as_bytes()).message.len(),
            200
        );
    }

    #[test]
    fn form_body_percent_encodes_everything_unsafe() {
        assert_eq!(
            refresh_form_body("app_EMoamEEZ73f0CkXaXp7hrann", "rt.x-y_z~&=é"),
            "grant_type=refresh_token&client_id=app_EMoamEEZ73f0CkXaXp7hrann&refresh_token=rt.x-y_z%7E%26%3D%C3%A9"
        );
    }

    #[test]
    fn token_response_parsing() {
        let ok = parse_token_response(
            200,
            br#"{"access_token":"a","refresh_token":"r","id_token":"i","expires_in":"864000","token_type":"Bearer","scope":"openid"}"#,
        )
        .unwrap();
        assert_eq!(ok.expires_in, Some(864_000));
        assert_eq!(ok.refresh_token.as_ref().map(Secret::expose), Some("r"));
        let float = TokenResponse::from_json(br#"{"access_token":"a","expires_in":10.9}"#).unwrap();
        assert_eq!(float.expires_in, Some(10));
        let empty = parse_token_response(200, br#"{"refresh_token":"r"}"#).unwrap_err();
        assert_eq!(empty.code, "invalid_response");
        let garbage = parse_token_response(200, br#"{"access_token": 12 secret"#).unwrap_err();
        assert_eq!(garbage.kind, FailureKind::Transient);
        assert!(!garbage.message.contains("secret"));
        let failed =
            parse_token_response(401, br#"{"error":{"code":"refresh_token_reused"}}"#).unwrap_err();
        assert!(failed.is_reused());
        let debug = format!("{ok:?}");
        assert!(!debug.contains("\"a\"") && debug.contains("***"), "{debug}");
    }
}
