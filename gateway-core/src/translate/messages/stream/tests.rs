//! The Anthropic view of the golden upstream streams (`testing/fixtures/stream`): event order,
//! blocks, signatures, stop reasons and failures; the non-stream answer folds the same events.

use serde_json::{json, Value};

use super::*;
use crate::sse::decode::SseDecoder;
use crate::translate::messages::fold::MessageBuilder;

fn upstream(case: &str) -> (Vec<SseEvent>, StreamEnd) {
    let path = format!(
        "{}/../testing/fixtures/stream/{case}/upstream.sse",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    let mut decoder = SseDecoder::new(1 << 20);
    let events = decoder.push(&bytes).unwrap();
    let end = match decoder.finish() {
        Ok(()) => StreamEnd::UpstreamEof,
        Err(err) => StreamEnd::UpstreamError(err.into()),
    };
    (events, end)
}

fn run(case: &str, thinking: ThinkingOut) -> (Vec<MessagesFrame>, MessagesStream) {
    let opts = MessagesOptions {
        id: "msg_test".into(),
        model: "claude-x".into(),
        upstream_model: "gpt-5.4".into(),
        thinking,
        now: 1_700_000_000,
    };
    let mut stream = MessagesStream::new(opts, ToolNames::default());
    let mut frames = Vec::new();
    let (events, end) = upstream(case);
    for ev in events {
        frames.extend(stream.on_event(&ev));
    }
    frames.extend(stream.finish(end));
    (frames, stream)
}

fn events(frames: &[MessagesFrame]) -> Vec<Value> {
    frames
        .iter()
        .map(|f| match f {
            MessagesFrame::Event(e) => serde_json::to_value(e).unwrap(),
            MessagesFrame::Error(err) => json!({"type": "error", "code": err.code()}),
        })
        .collect()
}

fn names(frames: &[MessagesFrame]) -> Vec<String> {
    events(frames)
        .iter()
        .map(|e| {
            let kind = e["type"].as_str().unwrap();
            match e["content_block"]["type"]
                .as_str()
                .or(e["delta"]["type"].as_str())
            {
                Some(sub) if kind.starts_with("content_block") => format!("{kind}:{sub}"),
                _ => kind.to_owned(),
            }
        })
        .collect()
}

fn folded(frames: &[MessagesFrame]) -> Value {
    let mut builder = MessageBuilder::new();
    frames.iter().for_each(|f| builder.push(f));
    serde_json::from_slice(&builder.finish().unwrap()).unwrap()
}

#[test]
fn text_streams_as_one_block_between_start_and_stop() {
    let (frames, _) = run("text", ThinkingOut::Off);
    let names = names(&frames);
    assert_eq!(names.first().unwrap(), "message_start");
    assert_eq!(names[1], "content_block_start:text");
    assert!(
        names
            .iter()
            .filter(|n| *n == "content_block_delta:text_delta")
            .count()
            > 1
    );
    assert_eq!(
        names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    let message = folded(&frames);
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["model"], "claude-x");
    assert_eq!(message["content"][0]["type"], "text");
    assert!(!message["content"][0]["text"].as_str().unwrap().is_empty());
}

#[test]
fn reasoning_is_a_signed_thinking_block_that_can_hide_its_text() {
    let (frames, _) = run("reasoning_summary", ThinkingOut::Shown);
    let message = folded(&frames);
    let thinking = &message["content"][0];
    assert_eq!(thinking["type"], "thinking");
    assert!(
        thinking["thinking"].as_str().unwrap().contains("\n\n"),
        "two summary parts"
    );
    assert_eq!(
        thinking["signature"],
        signature::encode(
            "gpt-5.4",
            "gAAAAABpZ0xTbWFsbEVuY3J5cHRlZFJlYXNvbmluZ0Jsb2I="
        )
    );
    assert_eq!(message["content"][1]["type"], "text");

    let (omitted, _) = run("reasoning_summary", ThinkingOut::Omitted);
    let message = folded(&omitted);
    assert_eq!(message["content"][0]["thinking"], "");
    assert!(message["content"][0]["signature"]
        .as_str()
        .unwrap()
        .starts_with("cgw2."));

    let (off, _) = run("reasoning_summary", ThinkingOut::Off);
    assert_eq!(folded(&off)["content"][0]["type"], "text");
}

#[test]
fn tool_calls_are_tool_use_blocks_with_their_arguments() {
    let (frames, _) = run("tool_calls_parallel", ThinkingOut::Off);
    assert!(names(&frames).contains(&"content_block_delta:input_json_delta".to_owned()));
    let message = folded(&frames);
    assert_eq!(message["stop_reason"], "tool_use");
    let calls: Vec<&Value> = message["content"].as_array().unwrap().iter().collect();
    assert_eq!(calls.len(), 2);
    for call in calls {
        assert_eq!(call["type"], "tool_use");
        assert!(call["id"].as_str().unwrap().starts_with("call_"));
        assert!(call["input"].is_object(), "{call}");
    }
    let (done_only, _) = run("tool_call_args_in_done", ThinkingOut::Off);
    assert!(folded(&done_only)["content"][0]["input"].is_object());
}

#[test]
fn usage_splits_cached_input_out() {
    let (frames, _) = run("usage_cached_reasoning", ThinkingOut::Off);
    let usage = &folded(&frames)["usage"];
    assert!(usage["cache_read_input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(usage["cache_creation_input_tokens"], 0);
}

#[test]
fn endings_map_to_stop_reasons_or_errors_never_a_stop() {
    let (frames, _) = run("incomplete_max_output_tokens", ThinkingOut::Off);
    assert_eq!(folded(&frames)["stop_reason"], "max_tokens");
    let (frames, _) = run("incomplete_content_filter", ThinkingOut::Off);
    assert_eq!(folded(&frames)["stop_reason"], "refusal");
    for (case, code, first) in [
        ("failed_usage_limit", "usage_limit_reached", true),
        ("failed_overloaded", "server_overloaded", true),
        ("truncated_mid_event", "upstream_error", false),
        ("eof_without_terminal", "upstream_error", false),
    ] {
        let (frames, stream) = run(case, ThinkingOut::Off);
        let names = names(&frames);
        assert_eq!(names.last().unwrap(), "error", "{case}: {names:?}");
        assert!(!names.contains(&"message_stop".to_owned()), "{case}");
        assert_eq!(events(&frames).last().unwrap()["code"], code, "{case}");
        assert_eq!(!stream.started(), first, "{case}: failed before any output");
    }
}

#[test]
fn a_backend_web_search_is_a_server_tool_use_and_its_result() {
    let upstream = concat!(
        "event: response.output_item.done\n",
        r#"data: {"type":"response.output_item.done","output_index":0,"item":{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"codex gateway","sources":[{"type":"url","url":"https://example.com/a","title":"A"}]}}}"#,
        "\n\nevent: response.completed\n",
        r#"data: {"type":"response.completed","response":{"id":"r","status":"completed","usage":{"input_tokens":5,"output_tokens":1}}}"#,
        "\n\n"
    );
    let mut decoder = SseDecoder::new(1 << 20);
    let opts = MessagesOptions {
        id: "msg_test".into(),
        model: "m".into(),
        upstream_model: "m".into(),
        thinking: ThinkingOut::Off,
        now: 0,
    };
    let mut stream = MessagesStream::new(opts, ToolNames::default());
    let frames: Vec<MessagesFrame> = decoder
        .push(upstream.as_bytes())
        .unwrap()
        .iter()
        .flat_map(|ev| stream.on_event(ev))
        .collect();
    let message = folded(&frames);
    assert_eq!(
        message["content"][0],
        json!({"type": "server_tool_use", "id": "srvtoolu_ws_1", "name": "web_search",
               "input": {"query": "codex gateway"}})
    );
    assert_eq!(message["content"][1]["type"], "web_search_tool_result");
    assert_eq!(message["content"][1]["tool_use_id"], "srvtoolu_ws_1");
    assert_eq!(
        message["content"][1]["content"][0]["url"],
        "https://example.com/a"
    );
    assert_eq!(
        message["usage"]["server_tool_use"]["web_search_requests"],
        1
    );
    assert_eq!(message["stop_reason"], "end_turn");
}
