use super::*;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

fn sse(data: &str) -> SseEvent {
    SseEvent {
        event: None,
        data: data.to_owned(),
        raw: Vec::new(),
    }
}

fn accumulate(events: &[&str], end: Option<StreamEnd>) -> Result<Value, GatewayError> {
    let mut accumulator = ResponseAccumulator::new();
    for event in events {
        accumulator.push(&sse(event));
    }
    accumulator
        .finish(end)
        .map(|body| serde_json::from_slice(&body).unwrap())
}

const CREATED: &str = r#"{"type":"response.created","response":{"id":"r","created_at":1000,"status":"in_progress","output":[]}}"#;
const ITEM_1: &str =
    r#"{"type":"response.output_item.done","output_index":1,"item":{"type":"message","id":"m"}}"#;
const ITEM_0: &str = r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs"}}"#;

#[test]
fn accumulator_outcomes() {
    type Want = Result<Value, (u16, &'static str, Option<u64>)>;
    let cases: Vec<(&str, Vec<&str>, Option<StreamEnd>, Want)> = vec![
        (
            "completed output wins",
            vec![
                CREATED,
                ITEM_1,
                r#"{"type":"response.completed","response":{"id":"r","status":"completed","output":[{"type":"x"}]}}"#,
            ],
            None,
            Ok(json!({"id":"r","status":"completed","output":[{"type":"x"}]})),
        ),
        (
            "empty output rebuilt in output_index order",
            vec![
                CREATED,
                ITEM_1,
                ITEM_0,
                r#"{"type":"response.completed","response":{"id":"r","status":"completed","output":[],"usage":null}}"#,
            ],
            None,
            Ok(
                json!({"id":"r","status":"completed","output":[{"type":"reasoning","id":"rs"},{"type":"message","id":"m"}],"usage":null}),
            ),
        ),
        (
            "incomplete is an answer",
            vec![
                r#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}}"#,
            ],
            None,
            Ok(
                json!({"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}),
            ),
        ),
        (
            "failed maps its error, resets_at against created_at",
            vec![
                CREATED,
                r#"{"type":"response.failed","response":{"status":"failed","error":{"type":"usage_limit_reached","message":"m","resets_at":1060}}}"#,
            ],
            None,
            Err((429, "usage_limit_reached", Some(60))),
        ),
        (
            "error event",
            vec![r#"{"type":"error","code":"context_length_exceeded","message":"long"}"#],
            None,
            Err((400, "context_length_exceeded", None)),
        ),
        (
            "malformed known event",
            vec![r#"{"type":"response.completed","response":[]}"#],
            None,
            Err((502, "upstream_error", None)),
        ),
        (
            "eof without terminal",
            vec![CREATED, ITEM_0],
            None,
            Err((502, "upstream_error", None)),
        ),
        (
            "host-reported timeout",
            vec![CREATED],
            Some(StreamEnd::UpstreamError(GatewayError::UpstreamTimeout {
                idle_secs: 5,
            })),
            Err((504, "upstream_timeout", None)),
        ),
        (
            "events after the terminal change nothing",
            vec![
                r#"{"type":"response.completed","response":{"output":[]}}"#,
                r#"{"type":"error","code":"x"}"#,
            ],
            None,
            Ok(json!({"output":[]})),
        ),
    ];
    for (name, events, end, want) in cases {
        let got = accumulate(&events, end)
            .map_err(|e| (e.status(), e.code().to_owned(), e.retry_after()));
        let want = want.map_err(|(s, c, r)| (s, c.to_owned(), r));
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn observes_terminal_events() {
    let cases: Vec<(&str, Option<StreamEnd>)> = vec![
        (CREATED, None),
        (r#"{"type":"response.output_text.delta","delta":"x"}"#, None),
        (r#"{"type":"response.output_text.delta"}"#, None),
        (r#"{"type":"response.completed","response":{}}"#, Some(StreamEnd::Completed)),
        (
            r#"{"type":"response.incomplete","response":{"incomplete_details":{"reason":"content_filter"}}}"#,
            Some(StreamEnd::Incomplete { reason: "content_filter".into() }),
        ),
        (
            r#"{"type":"error","code":"server_is_overloaded","message":"busy"}"#,
            Some(StreamEnd::Failed(GatewayError::Upstream {
                status: 503,
                code: crate::error::UpstreamCode::ServerOverloaded,
                message: "busy".into(),
                retry_after: Some(crate::codex::error_map::OVERLOAD_RETRY_SECS),
            })),
        ),
        (r#"{"type":"response.completed"}"#, Some(StreamEnd::UpstreamError(GatewayError::upstream_error(
            "upstream sent a malformed `response.completed` event: missing field `response` at line 1 column 29",
        )))),
    ];
    for (data, want) in cases {
        assert_eq!(observe_terminal(&sse(data)), want, "event {data}");
    }
}

#[test]
fn responses_error_event_shape() {
    let bytes = responses_stream_error_event(&GatewayError::UpstreamTimeout { idle_secs: 9 }, 7);
    let text = String::from_utf8(bytes).unwrap();
    let data = text
        .strip_prefix("event: error\ndata: ")
        .unwrap()
        .strip_suffix("\n\n")
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(data).unwrap(),
        json!({"type":"error","sequence_number":7,"code":"upstream_timeout","message":"upstream sent nothing for 9 s","param":null})
    );
}
