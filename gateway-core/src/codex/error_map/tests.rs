use super::*;
use pretty_assertions::assert_eq;

const NOW: i64 = 1_700_000_000;

struct Case {
    name: &'static str,
    status: u16,
    retry_after: Option<&'static str>,
    body: &'static str,
    want: (u16, &'static str, &'static str, Option<u64>),
}

const CASES: &[Case] = &[
    Case {
        name: "fastapi unsupported parameter",
        status: 400,
        retry_after: None,
        body: r#"{"detail":"Unsupported parameter: temperature"}"#,
        want: (
            400,
            "upstream_bad_request",
            "Unsupported parameter: temperature",
            None,
        ),
    },
    Case {
        name: "fastapi validation list",
        status: 422,
        retry_after: None,
        body: r#"{"detail":[{"loc":["body","input"],"msg":"field required","type":"missing"},{"msg":"bad"}]}"#,
        want: (422, "upstream_bad_request", "field required; bad", None),
    },
    Case {
        name: "quota as 429 with resets_in_seconds",
        status: 429,
        retry_after: Some("99"),
        body: r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":1700003600,"resets_in_seconds":1800}}"#,
        want: (
            429,
            "usage_limit_reached",
            "The usage limit has been reached",
            Some(1800),
        ),
    },
    Case {
        name: "quota delivered as 404, resets_at only",
        status: 404,
        retry_after: None,
        body: r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":1700000060}}"#,
        want: (
            429,
            "usage_limit_reached",
            "The usage limit has been reached",
            Some(60),
        ),
    },
    Case {
        name: "plain 404",
        status: 404,
        retry_after: None,
        body: r#"{"detail":"Not Found"}"#,
        want: (404, "upstream_not_found", "Not Found", None),
    },
    Case {
        name: "rate limit with header",
        status: 429,
        retry_after: Some("7"),
        body: r#"{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached"}}"#,
        want: (429, "rate_limit_exceeded", "Rate limit reached", Some(7)),
    },
    Case {
        name: "rate limit parsed from message",
        status: 429,
        retry_after: None,
        body: r#"{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 1.5s."}}"#,
        want: (
            429,
            "rate_limit_exceeded",
            "Rate limit reached. Please try again in 1.5s.",
            Some(2),
        ),
    },
    Case {
        name: "429 without code",
        status: 429,
        retry_after: Some("3"),
        body: "slow down",
        want: (429, "rate_limit_exceeded", "slow down", Some(3)),
    },
    Case {
        name: "401 token invalidated",
        status: 401,
        retry_after: None,
        body: r#"{"error":{"message":"Your authentication token has been invalidated. Please try signing in again.","type":"invalid_request_error","code":"token_invalidated"}}"#,
        want: (
            401,
            "upstream_unauthorized",
            "Your authentication token has been invalidated. Please try signing in again.",
            None,
        ),
    },
    Case {
        name: "403 region",
        status: 403,
        retry_after: None,
        body: r#"{"error":{"code":"unsupported_country_region_territory","type":"request_forbidden","message":"Country not supported"}}"#,
        want: (403, "upstream_forbidden", "Country not supported", None),
    },
    Case {
        name: "context length",
        status: 400,
        retry_after: None,
        body: r#"{"error":{"code":"context_length_exceeded","message":"Your input exceeds the context window of this model."}}"#,
        want: (
            400,
            "context_length_exceeded",
            "Your input exceeds the context window of this model.",
            None,
        ),
    },
    Case {
        name: "500 becomes 502",
        status: 500,
        retry_after: None,
        body: r#"{"error":{"message":"Internal error"}}"#,
        want: (502, "upstream_error", "Internal error", None),
    },
    Case {
        name: "503 at capacity stays 503",
        status: 503,
        retry_after: Some("5"),
        body: r#"{"error":{"message":"Selected model is at capacity. Please try a different model."}}"#,
        want: (
            503,
            "server_overloaded",
            "Selected model is at capacity. Please try a different model.",
            Some(5),
        ),
    },
    Case {
        name: "html error page is not shown",
        status: 502,
        retry_after: None,
        body: "<html><body>Bad gateway</body></html>",
        want: (502, "upstream_error", "upstream answered HTTP 502", None),
    },
    Case {
        name: "empty body",
        status: 418,
        retry_after: None,
        body: "",
        want: (418, "upstream_error", "upstream answered HTTP 418", None),
    },
    Case {
        name: "error as a string",
        status: 400,
        retry_after: None,
        body: r#"{"error":"Instructions are required"}"#,
        want: (
            400,
            "upstream_bad_request",
            "Instructions are required",
            None,
        ),
    },
];

fn shape(err: &GatewayError) -> (u16, String, String, Option<u64>) {
    (
        err.status(),
        err.code().to_owned(),
        err.to_string(),
        err.retry_after(),
    )
}

#[test]
fn maps_upstream_status_table() {
    for case in CASES {
        let got = map_upstream_status(case.status, case.retry_after, case.body.as_bytes(), NOW);
        let (status, code, message, retry) = case.want;
        assert_eq!(
            shape(&got),
            (status, code.to_owned(), message.to_owned(), retry),
            "case {}",
            case.name
        );
    }
}

#[test]
fn maps_stream_errors() {
    type Want = (u16, &'static str, Option<u64>);
    let cases: &[(&str, &str, Want)] = &[
        (
            "usage limit with resets_in_seconds",
            r#"{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":120}"#,
            (429, "usage_limit_reached", Some(120)),
        ),
        (
            "overloaded code",
            r#"{"code":"server_is_overloaded","message":"busy"}"#,
            (503, "server_overloaded", Some(OVERLOAD_RETRY_SECS)),
        ),
        (
            "capacity message",
            r#"{"code":"x","message":"Selected model is at capacity. Please try a different model."}"#,
            (503, "server_overloaded", Some(OVERLOAD_RETRY_SECS)),
        ),
        (
            "context",
            r#"{"code":"context_length_exceeded","message":"too long"}"#,
            (400, "context_length_exceeded", None),
        ),
        (
            "other",
            r#"{"code":"cyber_policy","message":"no"}"#,
            (502, "upstream_error", None),
        ),
        ("nothing at all", r#"{}"#, (502, "upstream_error", None)),
        (
            "a model for a newer client",
            r#"{"message":"The 'gpt-6-astra' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."}"#,
            (400, "client_version_too_old", None),
        ),
    ];
    for (name, body, (status, code, retry)) in cases {
        let err: UpstreamError = serde_json::from_str(body).unwrap();
        let got = map_stream_error(&err, Some(NOW));
        assert_eq!(
            (got.status(), got.code(), got.retry_after()),
            (*status, *code, *retry),
            "case {name}"
        );
        assert!(!got.to_string().is_empty(), "case {name}");
    }
}

#[test]
fn long_upstream_messages_are_cut() {
    let body = format!(r#"{{"detail":"{}"}}"#, "é".repeat(2000));
    let err = map_upstream_status(400, None, body.as_bytes(), NOW);
    assert_eq!(err.to_string().chars().count(), MAX_MESSAGE_CHARS + 1);
}

#[test]
fn resets_at_in_the_past_gives_no_delay() {
    let err = UpstreamError {
        code: Some("usage_limit_reached".into()),
        resets_at: Some((NOW - 10) as f64),
        ..UpstreamError::default()
    };
    assert_eq!(map_stream_error(&err, Some(NOW)).retry_after(), None);
    assert_eq!(map_stream_error(&err, None).retry_after(), None);
}

#[test]
fn a_version_refusal_names_the_setting_the_model_and_the_version() {
    let body = r#"{"detail":"The 'gpt-6-astra' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."}"#;
    let err = map_upstream_status(400, None, body.as_bytes(), NOW);
    let err = name_client_version(err, "0.147.0");
    assert_eq!((err.status(), err.code()), (400, "client_version_too_old"));
    let message = err.to_string();
    for part in [
        "The 'gpt-6-astra' model requires a newer version of Codex",
        "`codex_client_version`",
        "0.147.0",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    let other = map_upstream_status(404, None, br#"{"detail":"Not Found"}"#, NOW);
    assert_eq!(name_client_version(other, "1").to_string(), "Not Found");
}
