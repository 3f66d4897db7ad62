//! Decoding the JWT claims we need (expiry, account id, plan, email) without verifying them.
//!
//! The gateway only reads its own tokens to learn facts about them; the issuer verifies them.
//! Never put the token, or any claim value, into an error: errors say what kind of thing went
//! wrong and where, nothing more.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

/// The namespace object OpenAI puts the ChatGPT claims under.
pub const AUTH_NAMESPACE: &str = "https://api.openai.com/auth";

/// The namespace object access tokens put the profile (email) under.
pub const PROFILE_NAMESPACE: &str = "https://api.openai.com/profile";

/// The claims the gateway uses. Every field is optional: tokens differ in what they carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// `exp` (Unix seconds).
    pub exp: Option<i64>,
    /// Top-level `email`, else the profile namespace's `email`.
    pub email: Option<String>,
    /// `chatgpt_account_id` from the auth namespace.
    pub chatgpt_account_id: Option<String>,
    /// `chatgpt_plan_type` from the auth namespace.
    pub chatgpt_plan_type: Option<String>,
}

/// Why a token's claims could not be read. Carries no part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three dot-separated segments.
    #[error("not a JWT: expected 3 dot-separated segments, found {0}")]
    Segments(usize),
    /// The payload segment is not base64url.
    #[error("JWT payload is not base64url")]
    Base64,
    /// The payload is not a JSON object of the expected shape.
    #[error("JWT payload is not valid claims JSON ({0})")]
    Json(String),
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    exp: Option<serde_json::Number>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default, rename = "https://api.openai.com/auth")]
    auth: Option<AuthNamespace>,
    #[serde(default, rename = "https://api.openai.com/profile")]
    profile: Option<ProfileNamespace>,
}

#[derive(Deserialize)]
struct AuthNamespace {
    #[serde(default)]
    chatgpt_account_id: Option<String>,
    #[serde(default)]
    chatgpt_plan_type: Option<String>,
}

#[derive(Deserialize)]
struct ProfileNamespace {
    #[serde(default)]
    email: Option<String>,
}

/// Decode the payload of `token` (unverified) and pick out the claims we use.
///
/// Accepts padded and unpadded base64url (and the standard alphabet, which some tools emit).
///
/// ```
/// use gateway_core::auth::jwt::decode_claims;
/// // {"exp":1700000000,"https://api.openai.com/auth":{"chatgpt_account_id":"acc-1"}}
/// let token = "e30.eyJleHAiOjE3MDAwMDAwMDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2MtMSJ9fQ.sig";
/// let claims = decode_claims(token).unwrap();
/// assert_eq!(claims.exp, Some(1_700_000_000));
/// assert_eq!(claims.chatgpt_account_id.as_deref(), Some("acc-1"));
/// ```
pub fn decode_claims(token: &str) -> Result<Claims, JwtError> {
    let segments: Vec<&str> = token.trim().split('.').collect();
    let payload = match segments.as_slice() {
        [_, payload, _] => *payload,
        other => return Err(JwtError::Segments(other.len())),
    };
    let bytes = decode_base64url(payload)?;
    let parsed: Payload = serde_json::from_slice(&bytes).map_err(|e| {
        JwtError::Json(format!("{:?} error at column {}", e.classify(), e.column()))
    })?;
    let auth = parsed.auth;
    let (account_id, plan_type) = match auth {
        Some(ns) => (ns.chatgpt_account_id, ns.chatgpt_plan_type),
        None => (None, None),
    };
    Ok(Claims {
        exp: parsed.exp.as_ref().and_then(number_to_secs),
        email: non_empty(parsed.email).or_else(|| non_empty(parsed.profile?.email)),
        chatgpt_account_id: non_empty(account_id),
        chatgpt_plan_type: non_empty(plan_type),
    })
}

fn decode_base64url(segment: &str) -> Result<Vec<u8>, JwtError> {
    let normalised: String = segment
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    URL_SAFE_NO_PAD
        .decode(normalised.as_bytes())
        .map_err(|_| JwtError::Base64)
}

fn number_to_secs(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    if f.is_finite() && f.abs() < 1e15 {
        // Fractional seconds are allowed by RFC 7519; whole seconds are all we need (range
        // checked just above, so the cast cannot saturate).
        Some(f.trunc() as i64)
    } else {
        None
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::auth::testkit::make_jwt;

    struct Case {
        name: &'static str,
        token: String,
        expected: Result<Claims, JwtError>,
    }

    fn padded(payload: &serde_json::Value) -> String {
        let body = base64::engine::general_purpose::URL_SAFE.encode(payload.to_string());
        format!("e30.{body}.")
    }

    #[test]
    fn claims_table() {
        let full = serde_json::json!({
            "exp": 1_700_000_000,
            "email": "a@example.com",
            "https://api.openai.com/auth": {"chatgpt_account_id": "acc", "chatgpt_plan_type": "plus"}
        });
        let cases = [
            Case {
                name: "all claims",
                token: make_jwt(&full),
                expected: Ok(Claims {
                    exp: Some(1_700_000_000),
                    email: Some("a@example.com".into()),
                    chatgpt_account_id: Some("acc".into()),
                    chatgpt_plan_type: Some("plus".into()),
                }),
            },
            Case {
                name: "padded base64url",
                token: padded(&serde_json::json!({"exp": 5})),
                expected: Ok(Claims {
                    exp: Some(5),
                    ..Claims::default()
                }),
            },
            Case {
                name: "float exp and profile email",
                token: make_jwt(&serde_json::json!({
                    "exp": 12.75,
                    "https://api.openai.com/profile": {"email": "p@example.com"}
                })),
                expected: Ok(Claims {
                    exp: Some(12),
                    email: Some("p@example.com".into()),
                    ..Claims::default()
                }),
            },
            Case {
                name: "empty strings are absent",
                token: make_jwt(
                    &serde_json::json!({"email": "", "https://api.openai.com/auth": {"chatgpt_account_id": " "}}),
                ),
                expected: Ok(Claims::default()),
            },
            Case {
                name: "two segments",
                token: "abc.def".into(),
                expected: Err(JwtError::Segments(2)),
            },
            Case {
                name: "opaque token",
                token: "sk-opaque".into(),
                expected: Err(JwtError::Segments(1)),
            },
            Case {
                name: "bad base64",
                token: "a.!!!.c".into(),
                expected: Err(JwtError::Base64),
            },
        ];
        for case in cases {
            assert_eq!(
                decode_claims(&case.token),
                case.expected,
                "case {}",
                case.name
            );
        }
    }

    #[test]
    fn json_errors_never_echo_the_payload() {
        let token = format!(
            "e30.{}.x",
            URL_SAFE_NO_PAD.encode(r#"{"email": 42, "secret":"s3cr3t"}"#)
        );
        let err = decode_claims(&token).unwrap_err();
        assert!(matches!(err, JwtError::Json(_)));
        let text = err.to_string();
        assert!(!text.contains("s3cr3t") && !text.contains("42"), "{text}");
    }
}
