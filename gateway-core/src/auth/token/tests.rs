use super::*;
use crate::auth::oauth::TokenResponse;
use crate::auth::testkit::{make_jwt, record};
use pretty_assertions::assert_eq;
use serde_json::json;

fn response(value: serde_json::Value) -> TokenResponse {
    serde_json::from_value(value).unwrap()
}

/// (refresh token, expires_at, account, email, plan)
type Expected = (
    &'static str,
    Option<i64>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

/// (name, expires_at, last_refresh, now, margin, needs_refresh, is_expired)
type RefreshCase = (&'static str, Option<i64>, i64, i64, i64, bool, bool);

/// (name, stored, file, expected last_refresh of the import)
type ImportCase = (&'static str, Option<i64>, Option<i64>, Option<i64>);

#[test]
fn from_token_response_table() {
    let id = make_jwt(&json!({"email": "id@example.com",
        "https://api.openai.com/auth": {"chatgpt_account_id": "acc-id", "chatgpt_plan_type": "pro"}}));
    let access = make_jwt(&json!({"exp": 5_000, "email": "at@example.com",
        "https://api.openai.com/auth": {"chatgpt_account_id": "acc-at", "chatgpt_plan_type": "plus"}}));
    let previous = TokenRecord {
        email: Some("old@example.com".into()),
        ..record(Some(10), 1)
    };
    struct Case {
        name: &'static str,
        resp: serde_json::Value,
        previous: Option<TokenRecord>,
        expected: Result<Expected, TokenError>,
    }
    let cases = [
        Case {
            name: "login with id token and expires_in",
            resp: json!({"access_token": access, "refresh_token": "rt-new", "id_token": id, "expires_in": 100}),
            previous: None,
            expected: Ok((
                "rt-new",
                Some(1_100),
                Some("acc-id"),
                Some("id@example.com"),
                Some("pro"),
            )),
        },
        Case {
            name: "no expires_in: access-token exp; no id token: access claims",
            resp: json!({"access_token": access, "refresh_token": "rt-new"}),
            previous: None,
            expected: Ok((
                "rt-new",
                Some(5_000),
                Some("acc-at"),
                Some("at@example.com"),
                Some("plus"),
            )),
        },
        Case {
            name: "refresh without refresh token keeps the previous one and its claims",
            resp: json!({"access_token": "opaque", "expires_in": 0}),
            previous: Some(previous.clone()),
            expected: Ok((
                "rt-0",
                None,
                Some("acc"),
                Some("old@example.com"),
                Some("plus"),
            )),
        },
        Case {
            name: "empty refresh token counts as absent",
            resp: json!({"access_token": "opaque", "refresh_token": ""}),
            previous: Some(previous.clone()),
            expected: Ok((
                "rt-0",
                None,
                Some("acc"),
                Some("old@example.com"),
                Some("plus"),
            )),
        },
        Case {
            name: "empty access token",
            resp: json!({"access_token": " ", "refresh_token": "r"}),
            previous: Some(previous.clone()),
            expected: Err(TokenError::EmptyAccessToken),
        },
        Case {
            name: "login without refresh token",
            resp: json!({"access_token": "a"}),
            previous: None,
            expected: Err(TokenError::MissingRefreshToken),
        },
    ];
    for case in cases {
        let got =
            TokenRecord::from_token_response(&response(case.resp), 1_000, case.previous.as_ref())
                .map(|r| {
                    assert_eq!(
                        (r.last_refresh, r.last_failure.clone(), r.version),
                        (1_000, None, 1),
                        "case {}",
                        case.name
                    );
                    (
                        r.refresh_token.expose().to_owned(),
                        r.expires_at,
                        r.account_id,
                        r.email,
                        r.plan_type,
                    )
                });
        let expected = case.expected.map(|(rt, exp, acc, email, plan)| {
            (
                rt.to_owned(),
                exp,
                acc.map(str::to_owned),
                email.map(str::to_owned),
                plan.map(str::to_owned),
            )
        });
        assert_eq!(got, expected, "case {}", case.name);
    }
}

#[test]
fn needs_refresh_and_expiry_table() {
    let cases: &[RefreshCase] = &[
        ("far from expiry", Some(10_000), 0, 1_000, 300, false, false),
        (
            "just outside margin",
            Some(1_301),
            0,
            1_000,
            300,
            false,
            false,
        ),
        ("at margin", Some(1_300), 0, 1_000, 300, true, false),
        ("inside margin", Some(1_100), 0, 1_000, 300, true, false),
        ("at expiry", Some(1_000), 0, 1_000, 300, true, true),
        ("expired", Some(900), 0, 1_000, 300, true, true),
        (
            "unknown expiry, fresh",
            None,
            0,
            STALE_AFTER_SECS - 1,
            300,
            false,
            false,
        ),
        (
            "unknown expiry, 8 days old",
            None,
            0,
            STALE_AFTER_SECS,
            300,
            true,
            false,
        ),
        (
            "huge margin saturates",
            Some(i64::MAX),
            0,
            i64::MAX,
            i64::MAX,
            true,
            true,
        ),
    ];
    for (name, expires_at, last_refresh, now, margin, needs, expired) in cases {
        let r = record(*expires_at, *last_refresh);
        assert_eq!(
            (r.needs_refresh(*now, *margin), r.is_expired(*now)),
            (*needs, *expired),
            "case {name}"
        );
    }
}

#[test]
fn json_round_trip_and_errors() {
    let mut r = record(Some(99), 5);
    r.last_failure = Some(RefreshFailure::after(
        None,
        FailureKind::Transient,
        "http_502",
        7,
    ));
    let back = TokenRecord::from_json(&r.to_json().unwrap()).unwrap();
    assert_eq!(back, r);
    assert_eq!(
        TokenRecord::from_json(r.to_json_pretty().unwrap().as_bytes()).unwrap(),
        r
    );
    let stored: serde_json::Value = serde_json::from_slice(&r.to_json().unwrap()).unwrap();
    assert_eq!(
        stored,
        json!({"version": 1, "access_token": "at-0", "refresh_token": "rt-0", "account_id": "acc",
            "plan_type": "plus", "expires_at": 99, "last_refresh": 5,
            "last_failure": {"kind": "transient", "code": "http_502", "at": 7, "attempts": 1}})
    );

    let cases: &[(&str, &[u8], &str)] = &[
        ("future version", br#"{"version": 2, "access_token": "x"}"#, "version 2 is not supported"),
        ("no version", br#"{"access_token": "x"}"#, "no version"),
        ("not json", b"sk-secret-garbage", "not valid JSON"),
        ("wrong type", br#"{"version": 1, "access_token": 5, "refresh_token": "sk-secret", "last_refresh": 0}"#, "not valid JSON"),
        ("empty access", br#"{"version": 1, "access_token": "", "refresh_token": "r", "last_refresh": 0}"#, "access token is empty"),
    ];
    for (name, bytes, needle) in cases {
        let err = TokenRecord::from_json(bytes).unwrap_err().to_string();
        assert!(err.contains(needle), "case {name}: {err}");
        assert!(!err.contains("sk-secret"), "case {name} leaks: {err}");
    }
}

#[test]
fn fingerprint_tracks_the_generation() {
    let base = record(Some(1), 1);
    let fp = base.fingerprint();
    assert_eq!(fp.len(), 16);
    assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(fp, record(Some(1), 1).fingerprint(), "stable");

    let mut failed = base.clone();
    failed.last_failure = Some(RefreshFailure::after(None, FailureKind::Terminal, "x", 2));
    failed.expires_at = Some(77);
    assert_eq!(
        failed.fingerprint(),
        fp,
        "recording a failure keeps the generation"
    );

    let rotated = TokenRecord::from_token_response(
        &response(json!({"access_token": "at-1", "refresh_token": "rt-1"})),
        5,
        Some(&base),
    )
    .unwrap();
    let kept_rt = TokenRecord::from_token_response(
        &response(json!({"access_token": "at-1"})),
        5,
        Some(&base),
    )
    .unwrap();
    let fps = [fp.clone(), rotated.fingerprint(), kept_rt.fingerprint()];
    assert_ne!(fps[0], fps[1], "rotation");
    assert_ne!(fps[0], fps[2], "refresh that keeps the refresh token");
    assert_ne!(fps[1], fps[2]);
}

#[test]
fn choose_import_table() {
    let at = |last_refresh: i64| TokenRecord {
        last_refresh,
        ..record(Some(1), 0)
    };
    let cases: &[ImportCase] = &[
        ("empty store", None, Some(5), Some(5)),
        ("newer file", Some(5), Some(6), Some(6)),
        ("same age", Some(5), Some(5), None),
        ("older file", Some(6), Some(5), None),
        ("no file", Some(5), None, None),
        ("nothing", None, None, None),
    ];
    for (name, stored, file, expected) in cases {
        let stored = stored.map(at);
        let file = file.map(at);
        let got = choose_import(stored.as_ref(), file.as_ref()).map(|r| r.last_refresh);
        assert_eq!(got, *expected, "case {name}");
    }
}

#[test]
fn failures_count_transient_attempts() {
    let first = RefreshFailure::after(None, FailureKind::Transient, "a", 1);
    let second = RefreshFailure::after(Some(&first), FailureKind::Transient, "b", 2);
    let terminal = RefreshFailure::after(Some(&second), FailureKind::Terminal, "c", 3);
    let again = RefreshFailure::after(Some(&terminal), FailureKind::Transient, "d", 4);
    assert_eq!(
        [
            first.attempts,
            second.attempts,
            terminal.attempts,
            again.attempts
        ],
        [1, 2, 1, 1]
    );
}

#[test]
fn secrets_never_print() {
    let r = record(Some(1), 1);
    let debug = format!("{r:?}");
    assert!(
        !debug.contains("at-0") && !debug.contains("rt-0"),
        "{debug}"
    );
    assert_eq!(Secret::new("x").to_string(), "***");
}
