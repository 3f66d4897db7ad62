//! Token facts for `/healthz`: whether requests can succeed, and what the operator must do.
//!
//! Never includes a token, the account id or the email (personal data): only times, the plan
//! and failure codes.

use serde::Serialize;

use super::token::{FailureKind, TokenRecord};

/// What `/healthz` says about the OAuth token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenHealth {
    /// A record is stored.
    pub present: bool,
    /// The stored record could be parsed (false for a corrupt or future-version record).
    pub readable: bool,
    /// Access-token expiry (Unix seconds), when known.
    pub expires_at: Option<i64>,
    /// Seconds until expiry (negative once expired), when known.
    pub expires_in_secs: Option<i64>,
    /// `chatgpt_plan_type`, when known.
    pub plan_type: Option<String>,
    /// When the token was last obtained (Unix seconds).
    pub last_refresh: Option<i64>,
    /// `ok`, or `failed` when the last refresh attempt failed.
    pub last_refresh_result: Option<&'static str>,
    /// The code of a terminal refresh failure (the session is dead).
    pub terminal_failure: Option<String>,
    /// Requests will fail until someone runs `login-cli auth login`.
    pub needs_login: bool,
}

/// Health facts of a parsed record (or of its absence) at `now` (Unix seconds).
pub fn token_health(record: Option<&TokenRecord>, now: i64) -> TokenHealth {
    let Some(record) = record else {
        return TokenHealth {
            present: false,
            readable: false,
            expires_at: None,
            expires_in_secs: None,
            plan_type: None,
            last_refresh: None,
            last_refresh_result: None,
            terminal_failure: None,
            needs_login: true,
        };
    };
    let terminal_failure = record
        .last_failure
        .as_ref()
        .filter(|f| f.kind == FailureKind::Terminal)
        .map(|f| f.code.clone());
    TokenHealth {
        present: true,
        readable: true,
        expires_at: record.expires_at,
        expires_in_secs: record.expires_in(now),
        plan_type: record.plan_type.clone(),
        last_refresh: Some(record.last_refresh),
        last_refresh_result: Some(if record.last_failure.is_some() {
            "failed"
        } else {
            "ok"
        }),
        needs_login: terminal_failure.is_some(),
        terminal_failure,
    }
}

/// Health facts straight from the stored bytes: an unreadable record is present but needs a
/// login.
pub fn token_health_from_store(bytes: Option<&[u8]>, now: i64) -> TokenHealth {
    match bytes.map(TokenRecord::from_json) {
        None => token_health(None, now),
        Some(Ok(record)) => token_health(Some(&record), now),
        Some(Err(_)) => TokenHealth {
            present: true,
            ..token_health(None, now)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{RefreshFailure, Secret, RECORD_VERSION};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn record(failure: Option<RefreshFailure>) -> TokenRecord {
        TokenRecord {
            version: RECORD_VERSION,
            access_token: Secret::new("access-secret"),
            refresh_token: Secret::new("refresh-secret"),
            id_token: Some(Secret::new("id-secret")),
            account_id: Some("acct-personal".into()),
            email: Some("me@example.com".into()),
            plan_type: Some("plus".into()),
            expires_at: Some(1_100),
            last_refresh: 900,
            last_failure: failure,
        }
    }

    #[test]
    fn health_table() {
        let terminal = RefreshFailure {
            kind: FailureKind::Terminal,
            code: "refresh_token_reused".into(),
            at: 950,
            attempts: 1,
        };
        let transient = RefreshFailure {
            kind: FailureKind::Transient,
            code: "http_502".into(),
            at: 950,
            attempts: 2,
        };
        let cases = [
            (
                "absent",
                token_health(None, 1_000),
                json!({"present": false, "readable": false, "expires_at": null, "expires_in_secs": null, "plan_type": null, "last_refresh": null, "last_refresh_result": null, "terminal_failure": null, "needs_login": true}),
            ),
            (
                "healthy",
                token_health(Some(&record(None)), 1_000),
                json!({"present": true, "readable": true, "expires_at": 1_100, "expires_in_secs": 100, "plan_type": "plus", "last_refresh": 900, "last_refresh_result": "ok", "terminal_failure": null, "needs_login": false}),
            ),
            (
                "transient",
                token_health(Some(&record(Some(transient))), 1_000),
                json!({"present": true, "readable": true, "expires_at": 1_100, "expires_in_secs": 100, "plan_type": "plus", "last_refresh": 900, "last_refresh_result": "failed", "terminal_failure": null, "needs_login": false}),
            ),
            (
                "terminal",
                token_health(Some(&record(Some(terminal))), 1_200),
                json!({"present": true, "readable": true, "expires_at": 1_100, "expires_in_secs": -100, "plan_type": "plus", "last_refresh": 900, "last_refresh_result": "failed", "terminal_failure": "refresh_token_reused", "needs_login": true}),
            ),
            (
                "unreadable",
                token_health_from_store(Some(br#"{"version": 9}"#), 0),
                json!({"present": true, "readable": false, "expires_at": null, "expires_in_secs": null, "plan_type": null, "last_refresh": null, "last_refresh_result": null, "terminal_failure": null, "needs_login": true}),
            ),
        ];
        for (name, health, expected) in cases {
            assert_eq!(
                serde_json::to_value(&health).unwrap(),
                expected,
                "case {name}"
            );
        }
    }

    #[test]
    fn health_never_shows_secrets_or_personal_data() {
        let bytes = record(None).to_json().unwrap();
        let text = serde_json::to_string(&token_health_from_store(Some(&bytes), 1_000)).unwrap();
        for needle in ["secret", "me@example.com", "acct-personal"] {
            assert!(!text.contains(needle), "{needle} leaked: {text}");
        }
    }
}
