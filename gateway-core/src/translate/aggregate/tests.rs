use super::*;
use crate::openai::chat_response::CompletionUsage;
use crate::openai::chunk::{ChatCompletionChunk, ChunkDelta, FunctionDelta};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

fn chunk(delta: ChunkDelta, finish_reason: Option<FinishReason>) -> ChatFrame {
    ChatFrame::Chunk(ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        object: "chat.completion.chunk",
        created: 7,
        model: "m".into(),
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason,
        }],
        usage: None,
    })
}

fn content(text: &str) -> ChatFrame {
    chunk(
        ChunkDelta {
            content: Some(text.into()),
            ..ChunkDelta::default()
        },
        None,
    )
}

fn tool(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> ChatFrame {
    chunk(
        ChunkDelta {
            tool_calls: vec![ToolCallDelta {
                index,
                id: id.map(str::to_owned),
                kind: id.map(|_| "function"),
                function: FunctionDelta {
                    name: name.map(str::to_owned),
                    arguments: Some(arguments.into()),
                },
            }],
            ..ChunkDelta::default()
        },
        None,
    )
}

fn fold(frames: &[ChatFrame]) -> Result<Value, GatewayError> {
    let mut builder = ChatCompletionBuilder::new();
    for frame in frames {
        builder.push(frame);
    }
    builder
        .finish()
        .map(|body| serde_json::from_slice(&body).unwrap())
}

fn message(completion: &Value) -> &Value {
    &completion["choices"][0]["message"]
}

#[test]
fn builder_folds_text_reasoning_and_usage() {
    let usage_chunk = ChatFrame::Chunk(ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        object: "chat.completion.chunk",
        created: 7,
        model: "m".into(),
        choices: Vec::new(),
        usage: Some(CompletionUsage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            ..CompletionUsage::default()
        }),
    });
    let thinking = chunk(
        ChunkDelta {
            reasoning_content: Some("hmm".into()),
            ..ChunkDelta::default()
        },
        None,
    );
    let frames = [
        thinking,
        content("a"),
        content("b"),
        chunk(ChunkDelta::default(), Some(FinishReason::Stop)),
        usage_chunk,
        ChatFrame::Done,
    ];
    assert_eq!(
        fold(&frames).unwrap(),
        json!({"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"m",
               "choices":[{"index":0,"message":{"role":"assistant","content":"ab","refusal":null,"reasoning_content":"hmm"},"finish_reason":"stop","logprobs":null}],
               "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})
    );
}

#[test]
fn builder_content_rules() {
    let finish = |r| chunk(ChunkDelta::default(), Some(r));
    let cases: Vec<(&str, Vec<ChatFrame>, Value)> = vec![
        (
            "empty answer is an empty string",
            vec![finish(FinishReason::Stop), ChatFrame::Done],
            json!({"role":"assistant","content":"","refusal":null}),
        ),
        (
            "only tool calls gives null content, fragments joined by index",
            vec![
                tool(1, Some("call_b"), Some("g"), ""),
                tool(0, Some("call_a"), Some("f"), "{"),
                tool(1, None, None, "[]"),
                tool(0, None, None, "}"),
                finish(FinishReason::ToolCalls),
                ChatFrame::Done,
            ],
            json!({"role":"assistant","content":null,"refusal":null,"tool_calls":[
                {"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}},
                {"id":"call_b","type":"function","function":{"name":"g","arguments":"[]"}}]}),
        ),
    ];
    for (name, frames, want) in cases {
        assert_eq!(message(&fold(&frames).unwrap()), &want, "case {name}");
    }
}

#[test]
fn builder_fails_like_the_stream() {
    let err = GatewayError::upstream_error("boom");
    assert_eq!(
        fold(&[content("a"), ChatFrame::Error(err.clone()), ChatFrame::Done]),
        Err(err)
    );
    let cut = fold(&[content("a")]).unwrap_err();
    assert_eq!((cut.status(), cut.code()), (502, "upstream_error"));
    assert!(fold(&[]).is_err());
}

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
                code: "server_overloaded".into(),
                message: "busy".into(),
                retry_after: None,
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
