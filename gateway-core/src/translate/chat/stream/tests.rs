use super::*;
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::{json, Value};

fn options(include_usage: bool) -> StreamOptions {
    StreamOptions {
        id: "chatcmpl-x".into(),
        created: 1_700_000_000,
        model: "gpt-5.4".into(),
        include_usage,
    }
}

fn event(data: &str) -> SseEvent {
    SseEvent {
        event: None,
        data: data.to_owned(),
        raw: Vec::new(),
    }
}

/// Compact view of a frame: the choice (delta + finish) or usage of a chunk, an error's
/// status and code, or "[DONE]". Checks the chunk head on the way.
fn digest(frame: &ChatFrame) -> Value {
    match frame {
        ChatFrame::Chunk(chunk) => {
            assert_eq!(
                (chunk.id.as_str(), chunk.created, chunk.model.as_str()),
                ("chatcmpl-x", 1_700_000_000, "gpt-5.4")
            );
            let v = serde_json::to_value(chunk).unwrap();
            match v["choices"].as_array().unwrap().first() {
                Some(choice) => {
                    json!({"delta": choice["delta"], "finish": choice["finish_reason"]})
                }
                None => json!({"usage": v["usage"]}),
            }
        }
        ChatFrame::Error(err) => {
            json!({"error": err.code(), "status": err.status(), "retry_after": err.retry_after()})
        }
        ChatFrame::Done => json!("[DONE]"),
    }
}

fn run(include_usage: bool, events: &[&str]) -> (Vec<Value>, ChatStream) {
    let mut stream = ChatStream::new(options(include_usage));
    let frames: Vec<Value> = events
        .iter()
        .flat_map(|e| stream.on_event(&event(e)))
        .map(|f| digest(&f))
        .collect();
    (frames, stream)
}

const CREATED: &str =
    r#"{"type":"response.created","response":{"id":"resp_1","status":"in_progress","output":[]}}"#;
const COMPLETED: &str = r#"{"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":15}}}"#;
const COMPLETED_NO_USAGE: &str =
    r#"{"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[]}}"#;

fn text(item: &str, piece: &str) -> String {
    format!(
        r#"{{"type":"response.output_text.delta","item_id":"{item}","output_index":0,"content_index":0,"delta":"{piece}"}}"#
    )
}

fn summary(item: &str, index: u32, piece: &str) -> String {
    format!(
        r#"{{"type":"response.reasoning_summary_text.delta","item_id":"{item}","output_index":0,"summary_index":{index},"delta":"{piece}"}}"#
    )
}

fn call_item(
    kind: &str,
    index: u32,
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
) -> String {
    format!(
        r#"{{"type":"response.output_item.{kind}","output_index":{index},"item":{{"id":"{id}","type":"function_call","call_id":"{call_id}","name":"{name}","arguments":{}}}}}"#,
        serde_json::to_string(arguments).unwrap()
    )
}

fn args_delta(id: &str, index: u32, piece: &str) -> String {
    format!(
        r#"{{"type":"response.function_call_arguments.delta","item_id":"{id}","output_index":{index},"delta":{}}}"#,
        serde_json::to_string(piece).unwrap()
    )
}

fn stop() -> Value {
    json!({"delta": {}, "finish": "stop"})
}

struct Case {
    name: &'static str,
    include_usage: bool,
    events: Vec<String>,
    want: Vec<Value>,
}

fn cases() -> Vec<Case> {
    let usage = json!({"usage": {"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}});
    vec![
        Case {
            name: "role on the first chunk only, usage chunk last",
            include_usage: true,
            events: vec![CREATED.into(), text("m", "a"), text("m", "b"), COMPLETED.into()],
            want: vec![
                json!({"delta": {"role":"assistant","content":"a"}, "finish": null}),
                json!({"delta": {"content":"b"}, "finish": null}),
                stop(),
                usage.clone(),
                json!("[DONE]"),
            ],
        },
        Case {
            // Chat takes nothing from them, so they are not parsed: a shape the terminal event
            // would be refused for passes here.
            name: "opening events are skipped unread",
            include_usage: false,
            events: vec![
                r#"{"type":"response.created","response":[]}"#.into(),
                r#"{"type":"response.in_progress","response":{"usage":5}}"#.into(),
                r#"{"type":"codex.rate_limits","primary":{}}"#.into(),
                text("m", "a"),
                COMPLETED.into(),
            ],
            want: vec![json!({"delta": {"role":"assistant","content":"a"}, "finish": null}), stop(), json!("[DONE]")],
        },
        Case {
            name: "no usage chunk unless asked",
            include_usage: false,
            events: vec![text("m", "a"), COMPLETED.into()],
            want: vec![json!({"delta": {"role":"assistant","content":"a"}, "finish": null}), stop(), json!("[DONE]")],
        },
        Case {
            name: "no usage chunk when upstream sent none",
            include_usage: true,
            events: vec![COMPLETED_NO_USAGE.into()],
            want: vec![json!({"delta": {"role":"assistant"}, "finish": "stop"}), json!("[DONE]")],
        },
        Case {
            name: "summary parts separated by a blank line, raw reasoning too",
            include_usage: false,
            events: vec![
                summary("rs", 0, "A"),
                summary("rs", 0, "B"),
                summary("rs", 1, "C"),
                r#"{"type":"response.reasoning_text.delta","item_id":"rs2","content_index":0,"delta":"D"}"#.into(),
                text("m", "x"),
                COMPLETED_NO_USAGE.into(),
            ],
            want: vec![
                json!({"delta": {"role":"assistant","reasoning_content":"A"}, "finish": null}),
                json!({"delta": {"reasoning_content":"B"}, "finish": null}),
                json!({"delta": {"reasoning_content":"\n\nC"}, "finish": null}),
                json!({"delta": {"reasoning_content":"\n\nD"}, "finish": null}),
                json!({"delta": {"content":"x"}, "finish": null}),
                stop(),
                json!("[DONE]"),
            ],
        },
        Case {
            name: "interleaved parallel calls keep their index",
            include_usage: false,
            events: vec![
                call_item("added", 0, "fc_a", "call_a", "f", ""),
                call_item("added", 1, "fc_b", "call_b", "g", ""),
                args_delta("fc_b", 1, "{\"y\""),
                args_delta("fc_a", 0, "{}"),
                args_delta("fc_b", 1, ":1}"),
                call_item("done", 0, "fc_a", "call_a", "f", "{}"),
                call_item("done", 1, "fc_b", "call_b", "g", "{\"y\":1}"),
                COMPLETED_NO_USAGE.into(),
            ],
            want: vec![
                json!({"delta": {"role":"assistant","tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}, "finish": null}),
                json!({"delta": {"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":""}}]}, "finish": null}),
                json!({"delta": {"tool_calls":[{"index":1,"function":{"arguments":"{\"y\""}}]}, "finish": null}),
                json!({"delta": {"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}, "finish": null}),
                json!({"delta": {"tool_calls":[{"index":1,"function":{"arguments":":1}"}}]}, "finish": null}),
                json!({"delta": {}, "finish": "tool_calls"}),
                json!("[DONE]"),
            ],
        },
        Case {
            name: "a call seen only at output_item.done is sent whole",
            include_usage: false,
            events: vec![call_item("done", 0, "fc_a", "call_a", "f", "{\"k\":2}"), COMPLETED_NO_USAGE.into()],
            want: vec![
                json!({"delta": {"role":"assistant","tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"k\":2}"}}]}, "finish": null}),
                json!({"delta": {}, "finish": "tool_calls"}),
                json!("[DONE]"),
            ],
        },
        Case {
            name: "arguments only in function_call_arguments.done",
            include_usage: false,
            events: vec![
                call_item("added", 0, "fc_a", "call_a", "f", ""),
                r#"{"type":"response.function_call_arguments.done","item_id":"fc_a","output_index":0,"arguments":"{}"}"#.into(),
                call_item("done", 0, "fc_a", "call_a", "f", "{}"),
                COMPLETED_NO_USAGE.into(),
            ],
            want: vec![
                json!({"delta": {"role":"assistant","tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}, "finish": null}),
                json!({"delta": {"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}, "finish": null}),
                json!({"delta": {}, "finish": "tool_calls"}),
                json!("[DONE]"),
            ],
        },
        Case {
            name: "text that arrives only as output_text.done",
            include_usage: false,
            events: vec![
                r#"{"type":"response.output_text.done","item_id":"m","output_index":0,"content_index":0,"text":"whole"}"#.into(),
                text("m2", "x"),
                r#"{"type":"response.output_text.done","item_id":"m2","output_index":1,"content_index":0,"text":"x"}"#.into(),
                COMPLETED_NO_USAGE.into(),
            ],
            want: vec![
                json!({"delta": {"role":"assistant","content":"whole"}, "finish": null}),
                json!({"delta": {"content":"x"}, "finish": null}),
                stop(),
                json!("[DONE]"),
            ],
        },
        Case {
            name: "incomplete for content_filter",
            include_usage: false,
            events: vec![r#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"content_filter"}}}"#.into()],
            want: vec![json!({"delta": {"role":"assistant"}, "finish": "content_filter"}), json!("[DONE]")],
        },
        Case {
            name: "malformed known event is a protocol error and ends the stream",
            include_usage: false,
            events: vec![text("m", "a"), r#"{"type":"response.output_text.delta","delta":7}"#.into(), text("m", "b"), COMPLETED.into()],
            want: vec![
                json!({"delta": {"role":"assistant","content":"a"}, "finish": null}),
                json!({"error": "upstream_error", "status": 502, "retry_after": null}),
            ],
        },
        Case {
            name: "failed without an error object",
            include_usage: false,
            events: vec![r#"{"type":"response.failed","response":{"status":"failed","error":null}}"#.into()],
            want: vec![json!({"error": "upstream_error", "status": 502, "retry_after": null})],
        },
        Case {
            name: "nested error event with a rate limit hint",
            include_usage: false,
            events: vec![r#"{"type":"error","error":{"code":"rate_limit_exceeded","message":"Please try again in 20ms."}}"#.into()],
            want: vec![json!({"error": "rate_limit_exceeded", "status": 429, "retry_after": 1})],
        },
        Case {
            name: "failed usage limit uses resets_at against created",
            include_usage: false,
            events: vec![r#"{"type":"response.failed","response":{"status":"failed","error":{"type":"usage_limit_reached","message":"m","resets_at":1700000300}}}"#.into()],
            want: vec![json!({"error": "usage_limit_reached", "status": 429, "retry_after": 300})],
        },
        Case {
            name: "unknown and non-json events are skipped",
            include_usage: false,
            events: vec!["[DONE]".into(), r#"{"type":"codex.rate_limits","x":{}}"#.into(), COMPLETED_NO_USAGE.into()],
            want: vec![json!({"delta": {"role":"assistant"}, "finish": "stop"}), json!("[DONE]")],
        },
    ]
}

#[test]
fn translates_table() {
    for case in cases() {
        let events: Vec<&str> = case.events.iter().map(String::as_str).collect();
        let (frames, _) = run(case.include_usage, &events);
        assert_eq!(frames, case.want, "case {}", case.name);
    }
}

#[test]
fn event_name_is_the_fallback_for_dispatch() {
    let mut stream = ChatStream::new(options(false));
    let ev = SseEvent {
        event: Some("response.output_text.delta".into()),
        data: r#"{"delta":"hi"}"#.into(),
        raw: Vec::new(),
    };
    let frames: Vec<Value> = stream.on_event(&ev).iter().map(digest).collect();
    assert_eq!(
        frames,
        vec![json!({"delta": {"role":"assistant","content":"hi"}, "finish": null})]
    );
}

#[test]
fn stream_endings_reported_by_the_host() {
    let timeout = GatewayError::UpstreamTimeout { idle_secs: 120 };
    let cases: Vec<(&str, StreamEnd, Vec<Value>)> = vec![
        (
            "eof",
            StreamEnd::UpstreamEof,
            vec![json!({"error": "upstream_error", "status": 502, "retry_after": null})],
        ),
        (
            "idle timeout",
            StreamEnd::UpstreamError(timeout),
            vec![json!({"error": "upstream_timeout", "status": 504, "retry_after": null})],
        ),
        ("client gone", StreamEnd::ClientGone, vec![]),
    ];
    for (name, end, want) in cases {
        let (_, mut stream) = run(false, &[&text("m", "a")]);
        let frames: Vec<Value> = stream.finish(end.clone()).iter().map(digest).collect();
        assert_eq!(frames, want, "case {name}");
        assert_eq!(stream.end(), Some(&end), "case {name}");
        assert!(
            stream.finish(StreamEnd::UpstreamEof).is_empty(),
            "case {name}: second finish is a no-op"
        );
        assert!(
            stream.on_event(&event(&text("m", "late"))).is_empty(),
            "case {name}: events after the end"
        );
    }
}

#[test]
fn terminal_events_set_the_end() {
    let (_, stream) = run(false, &[COMPLETED]);
    assert_eq!(stream.end(), Some(&StreamEnd::Completed));
    let (_, stream) = run(
        false,
        &[
            r#"{"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"}}}"#,
        ],
    );
    assert_eq!(
        stream.end(),
        Some(&StreamEnd::Incomplete {
            reason: "max_output_tokens".into()
        })
    );
    let (_, stream) = run(false, &[CREATED, text("m", "a").as_str()]);
    assert_eq!(stream.end(), None);
}

#[test]
fn frames_write_openai_sse() {
    let mut out = Vec::new();
    ChatFrame::Error(GatewayError::upstream_error("boom")).write_sse(&mut out);
    ChatFrame::Done.write_sse(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "data: {\"error\":{\"message\":\"boom\",\"type\":\"gateway_error\",\"param\":null,\"code\":\"upstream_error\"}}\n\ndata: [DONE]\n\n"
    );
}

fn any_event() -> impl Strategy<Value = String> {
    let pool: Vec<String> = vec![
        CREATED.into(),
        COMPLETED.into(),
        COMPLETED_NO_USAGE.into(),
        text("m", "a"),
        text("", ""),
        summary("rs", 0, "s"),
        summary("rs", 3, "t"),
        call_item("added", 0, "fc_a", "call_a", "f", ""),
        call_item("done", 0, "fc_a", "call_a", "f", "{}"),
        call_item("added", 1, "", "", "", ""),
        call_item("done", 7, "fc_z", "", "g", "[]"),
        args_delta("fc_a", 0, "{"),
        args_delta("", 1, "}"),
        args_delta("fc_q", 9, "x"),
        r#"{"type":"response.function_call_arguments.done","output_index":3,"arguments":"{}"}"#
            .into(),
        r#"{"type":"response.output_text.done","text":"t"}"#.into(),
        r#"{"type":"response.incomplete","response":{}}"#.into(),
        r#"{"type":"response.failed","response":{"error":{"code":"server_is_overloaded"}}}"#.into(),
        r#"{"type":"error","message":"x"}"#.into(),
        r#"{"type":"response.output_item.added","item":{"type":"message"}}"#.into(),
        r#"{"type":"response.output_item.added","item":7}"#.into(),
        r#"{"type":"nope"}"#.into(),
        "not json".into(),
    ];
    prop_oneof![proptest::sample::select(pool), ".{0,40}"]
}

proptest! {
    #[test]
    fn translator_never_panics_and_ends_once(events in proptest::collection::vec(any_event(), 0..30)) {
        let mut stream = ChatStream::new(options(true));
        let mut frames: Vec<ChatFrame> = events.iter().flat_map(|e| stream.on_event(&event(e))).collect();
        frames.extend(stream.finish(StreamEnd::UpstreamEof));
        prop_assert!(stream.end().is_some());
        let ends = frames.iter().filter(|f| matches!(f, ChatFrame::Done | ChatFrame::Error(_))).count();
        prop_assert_eq!(ends, 1, "exactly one Done or Error");
        prop_assert!(matches!(frames.last(), Some(ChatFrame::Done | ChatFrame::Error(_))));
        let roles = frames.iter().filter(|f| matches!(f, ChatFrame::Chunk(c) if c.choices.first().is_some_and(|ch| ch.delta.role.is_some()))).count();
        prop_assert!(roles <= 1);
        for frame in &frames {
            digest(frame); // checks the stable head
        }
    }
}

#[test]
fn shortened_tool_names_are_restored_in_call_headers() {
    let long = format!("mcp__{}__create_issue", "s".repeat(60));
    let names = crate::translate::tool_names::ToolNames::plan([long.as_str()], []);
    let upstream = names.upstream(&long).to_owned();
    let mut stream = ChatStream::new(options(false)).restoring(names);
    let events = [
        CREATED.to_owned(),
        call_item("added", 0, "fc_1", "call_1", &upstream, ""),
        args_delta("fc_1", 0, "{}"),
        call_item("done", 0, "fc_1", "call_1", &upstream, "{}"),
        COMPLETED.to_owned(),
    ];
    let frames: Vec<Value> = events
        .iter()
        .flat_map(|e| stream.on_event(&event(e)))
        .map(|f| digest(&f))
        .collect();
    let header = &frames[0]["delta"]["tool_calls"][0];
    assert_eq!(header["function"]["name"], long.as_str());
    assert_eq!(header["id"], "call_1");
    let text = serde_json::to_string(&frames).unwrap();
    assert!(!text.contains(&format!("\"{upstream}\"")), "{text}");
}

fn run_reasoning_as(output: ReasoningOutput, events: &[String]) -> Vec<Value> {
    let mut stream = ChatStream::new(options(false)).reasoning_as(output);
    events
        .iter()
        .flat_map(|e| stream.on_event(&event(e)))
        .map(|f| digest(&f))
        .collect()
}

#[test]
fn think_tags_wrap_reasoning_in_the_content() {
    let frames = run_reasoning_as(
        ReasoningOutput::ThinkTags,
        &[
            summary("rs", 0, "A"),
            summary("rs", 1, "B"),
            text("m", "x"),
            text("m", "y"),
            COMPLETED_NO_USAGE.into(),
        ],
    );
    assert_eq!(
        frames,
        [
            json!({"delta": {"role":"assistant","content":"<think>A"}, "finish": null}),
            json!({"delta": {"content":"\n\nB"}, "finish": null}),
            json!({"delta": {"content":"</think>\n\nx"}, "finish": null}),
            json!({"delta": {"content":"y"}, "finish": null}),
            stop(),
            json!("[DONE]"),
        ]
    );
}

/// The content a client assembles from a think-tags stream, and the finish reason.
fn think_tags_content(events: &[String]) -> (String, Value) {
    let frames = run_reasoning_as(ReasoningOutput::ThinkTags, events);
    let content = frames
        .iter()
        .filter_map(|f| f["delta"]["content"].as_str())
        .collect();
    let finish = frames
        .iter()
        .find(|f| !f["finish"].is_null())
        .map_or(Value::Null, |f| f["finish"].clone());
    (content, finish)
}

#[test]
fn think_tags_form_one_leading_block_whatever_the_order() {
    let text_done = r#"{"type":"response.output_text.done","item_id":"m2","output_index":1,"content_index":0,"text":"whole"}"#;
    let incomplete = r#"{"type":"response.incomplete","response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}}"#;
    let cases: Vec<(&str, Vec<String>, &str, &str)> = vec![
        (
            "reasoning, a tool call, more reasoning, then text",
            vec![
                summary("rs", 0, "A"),
                call_item("added", 1, "fc_1", "call_1", "f", ""),
                summary("rs2", 0, "B"),
                text("m", "x"),
                COMPLETED_NO_USAGE.into(),
            ],
            "<think>A\n\nB</think>\n\nx",
            "tool_calls",
        ),
        (
            "reasoning then only tool calls closes at the end",
            vec![
                summary("rs", 0, "A"),
                call_item("added", 1, "fc_1", "call_1", "f", ""),
                args_delta("fc_1", 1, "{}"),
                COMPLETED_NO_USAGE.into(),
            ],
            "<think>A</think>",
            "tool_calls",
        ),
        (
            "reasoning after the answer began is left out",
            vec![
                text("m", "x"),
                summary("rs", 0, "late"),
                text("m", "y"),
                COMPLETED_NO_USAGE.into(),
            ],
            "xy",
            "stop",
        ),
        (
            "text that arrives only whole",
            vec![
                summary("rs", 0, "A"),
                text_done.into(),
                COMPLETED_NO_USAGE.into(),
            ],
            "<think>A</think>\n\nwhole",
            "stop",
        ),
        (
            "an incomplete answer still closes the block",
            vec![summary("rs", 0, "A"), incomplete.into()],
            "<think>A</think>",
            "length",
        ),
        (
            "empty pieces open nothing",
            vec![
                summary("rs", 0, ""),
                text("m", "x"),
                COMPLETED_NO_USAGE.into(),
            ],
            "x",
            "stop",
        ),
    ];
    for (case, events, content, finish) in cases {
        assert_eq!(
            think_tags_content(&events),
            (content.to_owned(), json!(finish)),
            "{case}"
        );
    }
}

proptest! {
    /// Any order of reasoning, text and calls: at most one `<think>`, at the very start, and
    /// always closed by the end.
    #[test]
    fn think_tags_are_balanced_and_lead(kinds in proptest::collection::vec(0u8..3, 0..12)) {
        let mut events: Vec<String> = kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| match kind {
                0 => summary("rs", u32::try_from(i).unwrap_or(0), "r"),
                1 => text("m", "t"),
                _ => call_item("added", 9, &format!("fc_{i}"), &format!("call_{i}"), "f", "{}"),
            })
            .collect();
        events.push(COMPLETED_NO_USAGE.into());
        let (content, _) = think_tags_content(&events);
        prop_assert!(content.matches("<think>").count() <= 1, "{}", content);
        prop_assert_eq!(content.matches("<think>").count(), content.matches("</think>").count());
        if content.contains("<think>") {
            prop_assert!(content.starts_with("<think>"), "{}", content);
        }
    }
}

#[test]
fn hidden_reasoning_sends_only_the_answer() {
    let frames = run_reasoning_as(
        ReasoningOutput::Hidden,
        &[
            summary("rs", 0, "A"),
            text("m", "x"),
            COMPLETED_NO_USAGE.into(),
        ],
    );
    assert_eq!(
        frames,
        [
            json!({"delta": {"role":"assistant","content":"x"}, "finish": null}),
            stop(),
            json!("[DONE]"),
        ]
    );
}
