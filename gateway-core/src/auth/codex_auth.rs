//! Reading the official Codex CLI's `~/.codex/auth.json` into a [`TokenRecord`] (for `auth import`).
//!
//! Also holds the small RFC 3339 parser the import needs (no date crate in the core). Never puts
//! a token or a field value into an error.

use serde::Deserialize;

use super::jwt::decode_claims;
use super::token::{Secret, TokenError, TokenRecord, RECORD_VERSION};

#[derive(Deserialize)]
struct CodexAuthFile {
    #[serde(default)]
    tokens: Option<CodexTokens>,
    #[serde(default)]
    last_refresh: Option<String>,
}

#[derive(Deserialize)]
struct CodexTokens {
    #[serde(default)]
    id_token: Option<Secret>,
    #[serde(default)]
    access_token: Secret,
    #[serde(default)]
    refresh_token: Secret,
    #[serde(default)]
    account_id: Option<String>,
}

impl TokenRecord {
    /// Parse the Codex CLI's `auth.json`
    /// (`{"OPENAI_API_KEY", "tokens": {id_token, access_token, refresh_token, account_id},
    /// "last_refresh": RFC 3339}`).
    ///
    /// Expiry comes from the access token's `exp`; account id from `tokens.account_id`, else the
    /// id token's claims, else the access token's. A file without `last_refresh` counts as
    /// obtained at `now` (the operator is importing it on purpose).
    pub fn from_codex_auth_json(bytes: &[u8], now: i64) -> Result<TokenRecord, TokenError> {
        let file: CodexAuthFile =
            serde_json::from_slice(bytes).map_err(|e| TokenError::json("auth.json", &e))?;
        let tokens = file.tokens.ok_or(TokenError::NoChatGptTokens)?;
        if tokens.access_token.is_empty() {
            return Err(TokenError::EmptyAccessToken);
        }
        if tokens.refresh_token.is_empty() {
            return Err(TokenError::MissingRefreshToken);
        }
        let last_refresh = match file.last_refresh {
            Some(text) => parse_rfc3339(&text).ok_or(TokenError::BadTimestamp("last_refresh"))?,
            None => now,
        };
        let id_token = tokens.id_token.filter(|t| !t.is_empty());
        let id = id_token
            .as_ref()
            .and_then(|t| decode_claims(t.expose()).ok());
        let access = decode_claims(tokens.access_token.expose()).ok();
        let claim = |f: fn(&super::jwt::Claims) -> Option<&String>| {
            id.as_ref()
                .and_then(f)
                .or_else(|| access.as_ref().and_then(f))
                .cloned()
        };
        let account_id = tokens
            .account_id
            .filter(|a| !a.trim().is_empty())
            .or_else(|| claim(|c| c.chatgpt_account_id.as_ref()));
        Ok(TokenRecord {
            version: RECORD_VERSION,
            expires_at: access.as_ref().and_then(|c| c.exp),
            account_id,
            email: claim(|c| c.email.as_ref()),
            plan_type: claim(|c| c.chatgpt_plan_type.as_ref()),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            id_token,
            last_refresh,
            last_failure: None,
        })
    }
}

/// Unix seconds of an RFC 3339 timestamp (`2025-01-02T03:04:05.123456789+08:00`, `…Z`).
///
/// Accepts `T`, `t` or a space between date and time, any number of fractional digits (ignored)
/// and `Z`, `z` or `±HH:MM` offsets. Returns `None` for anything else.
///
/// ```
/// use gateway_core::auth::codex_auth::parse_rfc3339;
/// assert_eq!(parse_rfc3339("1970-01-02T00:00:00Z"), Some(86_400));
/// assert_eq!(parse_rfc3339("2026-03-05T13:34:56.123456789+08:00"), Some(1_772_688_896));
/// ```
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let sep = rest.chars().next()?;
    if !matches!(sep, 'T' | 't' | ' ') {
        return None;
    }
    let rest = rest.get(1..)?;
    let (year, month, day) = parse_fields::<3>(date, '-')
        .map(|[y, m, d]| (y, m, d))
        .filter(|_| date.len() == 10)?;
    let clock = rest.get(..8)?;
    let [hour, minute, second] = parse_fields::<3>(clock, ':')?;
    let mut tail = rest.get(8..)?;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        tail = frac.get(digits..)?;
    }
    let offset = parse_offset(tail)?;
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    if !valid {
        return None;
    }
    let days = crate::calendar::days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second - offset)
}

fn parse_fields<const N: usize>(text: &str, sep: char) -> Option<[i64; N]> {
    let mut out = [0i64; N];
    let mut parts = text.split(sep);
    for slot in &mut out {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn parse_offset(tail: &str) -> Option<i64> {
    if tail == "Z" || tail == "z" {
        return Some(0);
    }
    let sign = match tail.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let body = tail.get(1..)?;
    if body.len() != 5 {
        return None;
    }
    let [hours, minutes] = parse_fields::<2>(body, ':')?;
    (hours < 24 && minutes < 60).then_some(sign * (hours * 3_600 + minutes * 60))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::testkit::make_jwt;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn rfc3339_table() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2000-02-29T12:00:00Z", Some(951_825_600)),
            ("2025-01-02T03:04:05.5Z", Some(1_735_787_045)),
            ("2025-01-02 03:04:05z", Some(1_735_787_045)),
            ("2025-01-02T03:04:05-01:30", Some(1_735_787_045 + 5_400)),
            ("0001-01-01T00:00:00Z", Some(-62_135_596_800)),
            ("2025-02-29T00:00:00Z", None),
            ("2025-01-02T03:04:05", None),
            ("2025-01-02T03:04:05.Z", None),
            ("2025-1-02T03:04:05Z", None),
            ("2025-01-02T24:00:00Z", None),
            ("2025-01-02T03:04:05+0100", None),
            ("", None),
            ("日本語日本語日本語日本語", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_rfc3339(text), *expected, "case {text:?}");
        }
    }

    fn auth_json(tokens: serde_json::Value, last_refresh: Option<&str>) -> Vec<u8> {
        let mut v = json!({"OPENAI_API_KEY": null, "tokens": tokens});
        if let Some(t) = last_refresh {
            v["last_refresh"] = json!(t);
        }
        v.to_string().into_bytes()
    }

    #[test]
    fn imports_codex_cli_auth_json() {
        let id = make_jwt(&json!({"email": "a@example.com",
            "https://api.openai.com/auth": {"chatgpt_plan_type": "pro", "chatgpt_account_id": "from-id"}}));
        let access = make_jwt(&json!({"exp": 2_000_000_000}));
        let bytes = auth_json(
            json!({"id_token": id, "access_token": access, "refresh_token": "rt", "account_id": "acc"}),
            Some("2025-01-02T03:04:05.123456Z"),
        );
        let record = TokenRecord::from_codex_auth_json(&bytes, 7).unwrap();
        assert_eq!(record.account_id.as_deref(), Some("acc"));
        assert_eq!(record.email.as_deref(), Some("a@example.com"));
        assert_eq!(record.plan_type.as_deref(), Some("pro"));
        assert_eq!(record.expires_at, Some(2_000_000_000));
        assert_eq!(record.last_refresh, 1_735_787_045);
        assert_eq!(record.refresh_token.expose(), "rt");
    }

    #[test]
    fn codex_auth_json_errors() {
        let api_key_only = br#"{"OPENAI_API_KEY":"sk-secret","tokens":null}"#;
        let cases: Vec<(&str, Vec<u8>, TokenError)> = vec![
            (
                "api key only",
                api_key_only.to_vec(),
                TokenError::NoChatGptTokens,
            ),
            (
                "empty access",
                auth_json(json!({"access_token": "", "refresh_token": "r"}), None),
                TokenError::EmptyAccessToken,
            ),
            (
                "no refresh",
                auth_json(json!({"access_token": "a"}), None),
                TokenError::MissingRefreshToken,
            ),
            (
                "bad time",
                auth_json(
                    json!({"access_token": "a", "refresh_token": "r"}),
                    Some("yesterday"),
                ),
                TokenError::BadTimestamp("last_refresh"),
            ),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(
                TokenRecord::from_codex_auth_json(&bytes, 0).unwrap_err(),
                expected,
                "case {name}"
            );
        }
        let no_time = auth_json(
            json!({"access_token": "opaque", "refresh_token": "r", "id_token": "opaque"}),
            None,
        );
        let record = TokenRecord::from_codex_auth_json(&no_time, 99).unwrap();
        assert_eq!(
            (record.last_refresh, record.expires_at, record.account_id),
            (99, None, None)
        );
        let err = TokenRecord::from_codex_auth_json(b"{\"tokens\": \"sk-secret\"}", 0).unwrap_err();
        assert!(!err.to_string().contains("sk-secret"), "{err}");
    }
}
