//! Table-driven tests of `normalize_responses`: what changes, what stays byte-exact, no panics.

use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// `expect: None` means the client's bytes must come back unchanged.
struct Case {
    name: &'static str,
    input: &'static str,
    expect: Option<&'static str>,
    stream: bool,
    ignored: &'static [&'static str],
}

const OK: &str = r#""instructions":"Be brief.","store":false,"stream":true"#;

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case {
        name: "a compliant body is forwarded untouched, whitespace and all",
        input: "{ \"model\": \"gpt-5\", \"instructions\": \"Be brief.\", \"input\": \"hi\",\n \"store\": false, \"stream\": true, \"temperature_like\": 1e400 }",
        expect: None, stream: true, ignored: &[],
    },
    Case {
        name: "missing store, stream and instructions are added at the end",
        input: r#"{"model":"m","input":"hi"}"#,
        expect: Some(r#"{"model":"m","input":"hi","stream":true,"store":false,"instructions":"You are a helpful assistant."}"#),
        stream: false, ignored: &[],
    },
    Case {
        name: "store true and stream false are overridden in place",
        input: r#"{"stream":false,"model":"m","store":true,"instructions":"x"}"#,
        expect: Some(r#"{"stream":true,"model":"m","store":false,"instructions":"x"}"#),
        stream: false, ignored: &["store"],
    },
    Case {
        name: "null stream and store are normalised silently",
        input: r#"{"stream":null,"store":null,"instructions":"x"}"#,
        expect: Some(r#"{"stream":true,"store":false,"instructions":"x"}"#),
        stream: false, ignored: &[],
    },
    Case {
        name: "blank or non-string instructions get the default",
        input: r#"{"instructions":"  ","store":false,"stream":true}"#,
        expect: Some(r#"{"instructions":"You are a helpful assistant.","store":false,"stream":true}"#),
        stream: true, ignored: &[],
    },
    Case {
        name: "object instructions get the default",
        input: r#"{"instructions":{"a":1},"store":false,"stream":true}"#,
        expect: Some(r#"{"instructions":"You are a helpful assistant.","store":false,"stream":true}"#),
        stream: true, ignored: &[],
    },
    Case {
        name: "rejected parameters are removed and reported; nulls removed silently",
        input: r#"{"model":"m","max_output_tokens":10,"max_completion_tokens":1,"temperature":0.3,"top_p":1,
            "frequency_penalty":0,"presence_penalty":0,"truncation":"auto","user":"u","previous_response_id":"resp_1",
            "prompt_cache_retention":"24h","prompt_cache_options":{},"context_management":[],"safety_identifier":"s",
            "generate":false,"stream_options":{"include_obfuscation":false},"metadata":{"k":"v"},"top_logprobs":null,
            "instructions":"x","store":false,"stream":true,"max_output_tokens":null}"#,
        expect: Some(r#"{"model":"m","top_logprobs":null,"instructions":"x","store":false,"stream":true}"#),
        stream: true,
        ignored: &["max_output_tokens", "max_completion_tokens", "temperature", "top_p", "frequency_penalty",
            "presence_penalty", "truncation", "user", "previous_response_id", "prompt_cache_retention",
            "prompt_cache_options", "context_management", "safety_identifier", "generate", "stream_options", "metadata"],
    },
    Case {
        name: "priority service tier is kept",
        input: r#"{"service_tier":"priority","instructions":"x","store":false,"stream":true}"#,
        expect: None, stream: true, ignored: &[],
    },
    Case {
        name: "other service tiers are removed",
        input: r#"{"service_tier":"flex","instructions":"x","store":false,"stream":true}"#,
        expect: Some(r#"{"instructions":"x","store":false,"stream":true}"#),
        stream: true, ignored: &["service_tier"],
    },
    Case {
        name: "reasoning adds encrypted content to include, keeping existing entries",
        input: r#"{"reasoning":{"effort":"high"},"include":["web_search_call.action.sources"],"instructions":"x","store":false,"stream":true}"#,
        expect: Some(r#"{"reasoning":{"effort":"high"},"include":["web_search_call.action.sources","reasoning.encrypted_content"],"instructions":"x","store":false,"stream":true}"#),
        stream: true, ignored: &[],
    },
    Case {
        name: "reasoning without include gets one",
        input: r#"{"reasoning":{},"instructions":"x","store":false,"stream":true}"#,
        expect: Some(r#"{"reasoning":{},"instructions":"x","store":false,"stream":true,"include":["reasoning.encrypted_content"]}"#),
        stream: true, ignored: &[],
    },
    Case {
        name: "include already complete is untouched",
        input: r#"{"reasoning":{"summary":"auto"},"include":["reasoning.encrypted_content"],"instructions":"x","store":false,"stream":true}"#,
        expect: None, stream: true, ignored: &[],
    },
    Case {
        name: "no reasoning leaves include alone",
        input: r#"{"reasoning":null,"include":[],"instructions":"x","store":false,"stream":true}"#,
        expect: None, stream: true, ignored: &[],
    },
    Case {
        name: "input item ids are stripped and references dropped, call ids kept",
        input: r#"{"input":[{"type":"message","id":"msg_1","role":"user","content":[{"type":"input_text","text":"hi"}]},
            {"type":"item_reference","id":"rs_1"},{"id":"msg_2"},
            {"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{\"n\":12345678901234567890123}"},
            {"type":"function_call_output","call_id":"call_1","output":"ok"},"odd"],
            "instructions":"x","store":false,"stream":true}"#,
        expect: Some(r#"{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},
            {"type":"function_call","call_id":"call_1","name":"f","arguments":"{\"n\":12345678901234567890123}"},
            {"type":"function_call_output","call_id":"call_1","output":"ok"},"odd"],
            "instructions":"x","store":false,"stream":true}"#),
        stream: true, ignored: &["input[].item_reference"],
    },
    Case {
        name: "a system item becomes a developer item in place; cache breakpoints go from items and parts",
        input: r#"{"input":[{"role":"system","content":"Be terse."},{"role":"user","prompt_cache_breakpoint":{"ttl":"1h"},"content":[{"type":"input_text","text":"hi","prompt_cache_breakpoint":{}}]},
            {"type":"message","role":"system","content":[{"type":"input_text","text":"env"}]}],
            "instructions":"x","store":false,"stream":true}"#,
        expect: Some(r#"{"input":[{"role":"developer","content":"Be terse."},{"role":"user","content":[{"type":"input_text","text":"hi"}]},
            {"type":"message","role":"developer","content":[{"type":"input_text","text":"env"}]}],
            "instructions":"x","store":false,"stream":true}"#),
        stream: true, ignored: &["input[].prompt_cache_breakpoint"],
    },
    Case {
        name: "input without ids is untouched",
        input: r#"{"input":[{"role":"user","content":"hi"}],"instructions":"x","store":false,"stream":true}"#,
        expect: None, stream: true, ignored: &[],
    },
    Case {
        name: "duplicate copies of an enforced key are collapsed",
        input: r#"{"stream":true,"instructions":"x","store":false,"stream":false}"#,
        expect: Some(r#"{"stream":true,"instructions":"x","store":false}"#),
        stream: true, ignored: &[],
    },
];

#[test]
fn normalize_responses_changes_only_what_the_backend_requires() {
    for case in CASES {
        let out = normalize_responses(case.input.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        match case.expect {
            None => {
                assert!(
                    !out.changed,
                    "case `{}`: {}",
                    case.name,
                    String::from_utf8_lossy(&out.body)
                );
                assert_eq!(out.body, case.input.as_bytes(), "case `{}`", case.name);
            }
            Some(expect) => {
                assert!(out.changed, "case `{}`", case.name);
                let got: Value = serde_json::from_slice(&out.body).unwrap();
                let want: Value = serde_json::from_str(expect).unwrap();
                assert_eq!(got, want, "case `{}`", case.name);
                assert_eq!(keys(&got), keys(&want), "case `{}`: key order", case.name);
            }
        }
        assert_eq!(out.stream, case.stream, "case `{}`", case.name);
        assert_eq!(out.ignored, case.ignored, "case `{}`", case.name);
    }
}

fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn untouched_values_keep_their_exact_bytes_when_the_body_changes() {
    let input = r#"{"model":"gpt-5","big":12345678901234567890123,"f":0.1000000000000000055511151231257827,
        "tools":[ {"type":"function","name":"f","parameters":{"maximum":1e400}} ],"temperature":0.2,"input":"hi"}"#;
    let out = normalize_responses(input.as_bytes()).unwrap();
    let body = String::from_utf8(out.body).unwrap();
    assert_eq!(
        body,
        r#"{"model":"gpt-5","big":12345678901234567890123,"f":0.1000000000000000055511151231257827,"tools":[ {"type":"function","name":"f","parameters":{"maximum":1e400}} ],"input":"hi","stream":true,"store":false,"instructions":"You are a helpful assistant."}"#
    );
    assert_eq!(out.ignored, ["temperature"]);
}

#[test]
fn model_and_session_are_read() {
    let input = format!(r#"{{"model":"gpt-5.5","prompt_cache_key":"conv-7",{OK}}}"#);
    let out = normalize_responses(input.as_bytes()).unwrap();
    assert_eq!(out.model.as_deref(), Some("gpt-5.5"));
    assert_eq!(out.session_id.as_deref(), Some("conv-7"));
    assert!(!out.changed);
    let out =
        normalize_responses(format!(r#"{{"model":5,"prompt_cache_key":" ",{OK}}}"#).as_bytes())
            .unwrap();
    assert_eq!((out.model, out.session_id), (None, None));
}

#[rustfmt::skip]
const BAD: &[(&str, &str, Option<&str>, &str)] = &[
    ("not json", "{\"a\":", None, "invalid JSON"),
    ("trailing garbage", "{} {}", None, "invalid JSON"),
    ("empty", "", None, "request body is empty"),
    ("array", "[]", None, "request body must be a JSON object"),
    ("number", "42", None, "request body must be a JSON object"),
    ("stream not a bool", r#"{"stream":"yes"}"#, Some("stream"), "stream must be a boolean"),
    ("include not a list", r#"{"reasoning":{},"include":"x"}"#, Some("include"), "include must be an array of strings"),
];

#[test]
fn normalize_responses_refuses_what_it_cannot_forward() {
    for (name, input, param, message) in BAD {
        let err = normalize_responses(input.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("case `{name}` was accepted"));
        assert_eq!(
            (err.status(), err.code()),
            (400, "invalid_request"),
            "case `{name}`"
        );
        assert_eq!(err.param(), *param, "case `{name}`");
        assert!(err.to_string().contains(message), "case `{name}`: `{err}`");
    }
}

proptest! {
    #[test]
    fn normalize_responses_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = normalize_responses(&bytes);
    }

    #[test]
    fn normalized_bodies_always_satisfy_the_backend(
        entries in prop::collection::vec((arb_key(), arb_value()), 0..10),
    ) {
        let object: serde_json::Map<String, Value> = entries.into_iter().collect();
        let body = serde_json::to_vec(&object).unwrap();
        if let Ok(out) = normalize_responses(&body) {
            let upstream: Value = serde_json::from_slice(&out.body).unwrap();
            prop_assert_eq!(&upstream["store"], &Value::Bool(false));
            prop_assert_eq!(&upstream["stream"], &Value::Bool(true));
            prop_assert!(upstream["instructions"].as_str().is_some_and(|s| !s.trim().is_empty()));
            for name in REJECTED_PARAMS {
                prop_assert!(upstream.get(name).is_none(), "{} survived", name);
            }
            // Idempotent: a normalised body needs no further change.
            let again = normalize_responses(&out.body).unwrap();
            prop_assert!(!again.changed);
        }
    }
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "model",
            "input",
            "instructions",
            "store",
            "stream",
            "include",
            "reasoning",
            "tools",
            "service_tier",
            "temperature",
            "max_output_tokens",
            "user",
            "metadata",
            "prompt_cache_key",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            "",
            " ",
            "x",
            "priority",
            "item_reference",
            "reasoning.encrypted_content"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["id", "type", "call_id", "x"]),
                    inner
                ),
                0..4
            )
            .prop_map(|e| Value::Object(e.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

#[test]
fn long_function_names_are_shortened_and_everything_else_kept_byte_for_byte() {
    let long = format!("mcp__{}__create_issue", "server".repeat(12));
    let input = format!(
        r#"{{"model":"m",{OK},"tools":[{{"type":"function","name":"{long}","parameters":{{"maximum":12345678901234567890123}}}},{{"type":"custom","name":"mcp__create_issue"}},{{"type":"function","name":"short"}}],"tool_choice":{{"type":"function","name":"{long}"}},"input":[{{"type":"function_call","call_id":"c1","name":"{long}","arguments":"{{}}"}},{{"type":"function_call_output","call_id":"c1","output":"ok"}}]}}"#
    );
    let n = normalize_responses(input.as_bytes()).unwrap();
    assert!(n.changed);
    let body = String::from_utf8(n.body).unwrap();
    let short = "mcp__create_issue_1"; // the custom tool's own name is reserved
    assert_eq!(
        body,
        input.replace(
            &format!(r#""name":"{long}""#),
            &format!(r#""name":"{short}""#)
        ),
    );
    assert_eq!(n.tool_names.client(short), long);
}

#[test]
fn names_within_the_limit_leave_the_body_untouched() {
    let input = format!(
        r#"{{"model":"m",{OK},"tools":[{{"type":"function","name":"{}"}}]}}"#,
        "a".repeat(64)
    );
    let n = normalize_responses(input.as_bytes()).unwrap();
    assert!(!n.changed && n.tool_names.is_empty());
    assert_eq!(n.body, input.as_bytes());
}

#[test]
fn relayed_events_get_the_client_names_back() {
    use crate::sse::decode::SseEvent;
    use crate::translate::responses::names::restore_event_names;
    use crate::translate::tool_names::ToolNames;

    let long = format!("mcp__{}__create_issue", "server".repeat(12));
    let plan = ToolNames::plan([long.as_str()], []);
    let data = r#"{"type":"response.output_item.added","item":{"type":"function_call","name":"mcp__create_issue","arguments":""}}"#;
    let event = SseEvent {
        event: Some("response.output_item.added".into()),
        data: data.into(),
        raw: format!("event: response.output_item.added\ndata: {data}\n\n").into_bytes(),
    };
    let restored = restore_event_names(&event, &plan).unwrap();
    let want = data.replace("mcp__create_issue", &long);
    assert_eq!(restored.data, want);
    assert_eq!(
        restored.raw,
        format!("event: response.output_item.added\ndata: {want}\n\n").into_bytes()
    );
    let text = SseEvent {
        data: r#"{"type":"response.output_text.delta","delta":"mcp__create_issue"}"#.into(),
        ..SseEvent::default()
    };
    assert!(restore_event_names(&text, &plan).is_none());
    assert!(restore_event_names(&event, &ToolNames::default()).is_none());
}

#[test]
fn allowed_tools_choices_are_renamed_and_namespaced_calls_are_not() {
    let long = format!("mcp__{}__create_issue", "server".repeat(12));
    let input = format!(
        r#"{{"model":"m",{OK},"tools":[{{"type":"function","name":"{long}"}}],"tool_choice":{{"type":"allowed_tools","mode":"auto","tools":[{{"type":"function","name":"{long}"}}]}},"input":[{{"type":"function_call","namespace":"ns","call_id":"c","name":"{long}","arguments":"{{}}"}}]}}"#
    );
    let n = normalize_responses(input.as_bytes()).unwrap();
    let body: Value = serde_json::from_slice(&n.body).unwrap();
    assert_eq!(body["tools"][0]["name"], "mcp__create_issue");
    assert_eq!(body["tool_choice"]["tools"][0]["name"], "mcp__create_issue");
    assert_eq!(body["tool_choice"]["mode"], "auto");
    assert_eq!(body["input"][0]["name"], long.as_str());
}

#[test]
fn one_shot_bodies_lose_what_every_request_is_refused_for() {
    let compact = br#"{"model":"m","instructions":"","temperature":1,"input":[{"role":"system","content":"s"},{"type":"compaction","encrypted_content":"e"}]}"#;
    let (body, ignored) = clean_one_shot(compact, OneShot::Compact).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["input"][0]["role"], "developer");
    assert!(body.get("temperature").is_none());
    assert_eq!(ignored, ["temperature"]);

    let search = br#"{"model":"m","max_output_tokens":10000,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"q","prompt_cache_breakpoint":{}}]}]}"#;
    let (body, ignored) = clean_one_shot(search, OneShot::Search).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body["max_output_tokens"], 10000,
        "the search's own limit stays"
    );
    assert!(body["input"][0]["content"][0]
        .get("prompt_cache_breakpoint")
        .is_none());
    assert_eq!(ignored, ["input[].prompt_cache_breakpoint"]);

    let clean = br#"{"id":"t","commands":{"search_query":[{"q":"x"}]}}"#;
    assert_eq!(
        clean_one_shot(clean, OneShot::Search).unwrap(),
        (clean.to_vec(), vec![])
    );
}
