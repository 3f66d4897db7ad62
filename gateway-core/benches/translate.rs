//! Micro benchmarks of the gateway's hot path (criterion), all in-process and host-independent:
//!
//! - `chat_to_responses/*`: one Chat Completions request → Codex Responses body (small; large
//!   multi-turn conversation with tools).
//! - `chat_stream/*`: one upstream SSE event → chat chunk frames → SSE bytes (a text delta; a
//!   tool-call arguments delta; and the whole decode → translate → encode step for one event).
//! - `passthrough/observe_terminal`: the per-event cost on `/v1/responses` pass-through.
//! - `sse_decode/long_stream`: `SseDecoder` throughput over a ~2 MB stream fed in 16 KiB reads.
//! - `stream_long/translate_all`: a whole long stream decoded, translated and encoded.
//! - `normalize_responses/*`: a `/v1/responses` body that needs no change vs one that does.
//!
//! Run: `cargo bench -p gateway-core --bench translate` (bench/run.sh runs it and copies the
//! figures into the results file).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark code: a panic is a broken benchmark"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gateway_core::sse::decode::{SseDecoder, SseEvent};
use gateway_core::translate::chat::request::chat_to_responses;
use gateway_core::translate::chat::stream::{ChatStream, StreamOptions};
use gateway_core::translate::responses::fold::observe_terminal;
use gateway_core::translate::responses::request::normalize_responses;
use serde_json::json;

const CREATED: &str = r#"event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"response","created_at":1700000000,"status":"in_progress","background":false,"error":null,"incomplete_details":null,"instructions":"You are Codex, a coding agent.","max_output_tokens":null,"model":"gpt-5.4","output":[],"parallel_tool_calls":true,"reasoning":{"effort":"medium","summary":"auto"},"store":false,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"usage":null,"metadata":{}}}

"#;

const MESSAGE_ADDED: &str = r#"event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":4,"output_index":1,"item":{"id":"msg_0a1b2c3d4e5f6071","type":"message","status":"in_progress","content":[],"role":"assistant"}}

"#;

/// A typical text delta as the Codex backend sends it (a token or two of text).
const TEXT_DELTA: &str = r#"event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_0a1b2c3d4e5f6071","output_index":1,"content_index":0,"delta":" world","logprobs":[],"obfuscation":"ab"}

"#;

const CALL_ADDED: &str = r#"event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":4,"output_index":1,"item":{"id":"fc_3d4e5f6071829301","type":"function_call","status":"in_progress","arguments":"","call_id":"call_Wx1sQ4pLk2Hq9vTn","name":"get_weather"}}

"#;

const CALL_DELTA: &str = r#"event: response.function_call_arguments.delta
data: {"type":"response.function_call_arguments.delta","sequence_number":6,"item_id":"fc_3d4e5f6071829301","output_index":1,"delta":"ty\":\"Par","obfuscation":"q"}

"#;

fn options() -> StreamOptions {
    StreamOptions {
        id: "chatcmpl-0a1b2c3d4e5f60718293a4b5".into(),
        created: 1_700_000_000,
        model: "gpt-5.4".into(),
        include_usage: true,
    }
}

fn decode_one(text: &str) -> SseEvent {
    let mut events = SseDecoder::new(1 << 20).push(text.as_bytes()).unwrap();
    assert_eq!(events.len(), 1);
    events.remove(0)
}

/// A stream that has already sent its role chunk and opened `opened`.
fn primed(opened: &str, first: &str) -> ChatStream {
    let mut stream = ChatStream::new(options());
    for text in [CREATED, opened, first] {
        let _ = stream.on_event(&decode_one(text));
    }
    stream
}

fn small_chat() -> Vec<u8> {
    br#"{"model":"gpt-5.4","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"stream":true}"#.to_vec()
}

/// 8 tools with JSON schemas and a 40-message conversation with tool calls and results (~27 KB).
fn large_chat() -> Vec<u8> {
    let tools: Vec<_> = (0..8)
        .map(|i| {
            let properties: serde_json::Map<_, _> = (0..10)
                .map(|p| {
                    (
                        format!("param_{p}"),
                        json!({"type": "string", "description": format!("Parameter {p} of tool {i}: a path, a pattern or a free-form note.")}),
                    )
                })
                .collect();
            json!({"type": "function", "function": {
                "name": format!("tool_{i}"),
                "description": "Runs a step of the coding task and returns its output as text.",
                "parameters": {"type": "object", "properties": properties, "required": ["param_0"]}}})
        })
        .collect();
    let mut messages = vec![
        json!({"role": "system", "content": "You are a coding agent. Use the tools. Be precise and terse."}),
    ];
    for turn in 0..10 {
        messages.push(json!({"role": "user", "content": format!("Step {turn}: look at src/module_{turn}.rs and fix the failing test, then explain the change in two sentences.")}));
        messages.push(json!({"role": "assistant", "content": null, "tool_calls": [{
            "id": format!("call_{turn:04}"), "type": "function",
            "function": {"name": format!("tool_{}", turn % 8), "arguments": format!("{{\"param_0\":\"src/module_{turn}.rs\",\"param_1\":\"fn test_{turn}\"}}")}}]}));
        messages.push(json!({"role": "tool", "tool_call_id": format!("call_{turn:04}"), "content": "running 12 tests\ntest a ... ok\ntest b ... FAILED\n\nfailures:\n  assertion `left == right` failed\n  left: 3\n  right: 4\n".repeat(4)}));
        messages.push(json!({"role": "assistant", "content": format!("Fixed the off-by-one in module {turn}: the loop bound was inclusive. The test now passes.")}));
    }
    serde_json::to_vec(&json!({
        "model": "gpt-5.4", "stream": true, "stream_options": {"include_usage": true},
        "messages": messages, "tools": tools, "tool_choice": "auto", "parallel_tool_calls": true,
        "reasoning_effort": "medium", "prompt_cache_key": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    }))
    .unwrap()
}

/// A Codex-CLI-shaped `/v1/responses` body that already satisfies the backend (~6 KB).
fn responses_body(compliant: bool) -> Vec<u8> {
    let input: Vec<_> = (0..12)
        .map(|i| {
            if i % 2 == 0 {
                json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": format!("Request {i}: refactor the parser and keep the public API stable.")}]})
            } else {
                json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": format!("Answer {i}: done, see the diff; tests pass.")}]})
            }
        })
        .collect();
    let mut body = json!({
        "model": "gpt-5.4", "instructions": "You are Codex, a coding agent.",
        "input": input,
        "tools": [{"type": "function", "name": "shell", "description": "Runs a shell command.",
                   "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}, "required": ["command"]}}],
        "tool_choice": "auto", "parallel_tool_calls": false,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": false, "stream": true, "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    });
    if !compliant {
        // What a generic OpenAI SDK sends: stored, non-streamed, with sampling knobs and ids.
        body["store"] = json!(true);
        body["stream"] = json!(false);
        body["temperature"] = json!(0.2);
        body["max_output_tokens"] = json!(2048);
        body["input"][0]["id"] = json!("msg_0001");
    }
    serde_json::to_vec(&body).unwrap()
}

/// The body of a long text answer: created, message added, `deltas` text deltas, completed.
fn long_stream(deltas: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(CREATED.as_bytes());
    out.extend_from_slice(MESSAGE_ADDED.as_bytes());
    for _ in 0..deltas {
        out.extend_from_slice(TEXT_DELTA.as_bytes());
    }
    out.extend_from_slice(br#"event: response.completed
data: {"type":"response.completed","sequence_number":99,"response":{"id":"resp_1","object":"response","created_at":1700000000,"status":"completed","output":[],"usage":{"input_tokens":10,"output_tokens":10000,"total_tokens":10010}}}

"#);
    out
}

fn chat_requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("chat_to_responses");
    for (name, body) in [
        ("small", small_chat()),
        ("large_multi_turn_tools", large_chat()),
    ] {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| chat_to_responses(black_box(&body)).unwrap())
        });
    }
    group.finish();
}

fn stream_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("chat_stream");
    group.throughput(Throughput::Elements(1));
    let delta = decode_one(TEXT_DELTA);
    let mut stream = primed(MESSAGE_ADDED, TEXT_DELTA);
    let mut out = Vec::with_capacity(1024);
    group.bench_function("on_event_text_delta", |b| {
        b.iter(|| {
            out.clear();
            for frame in stream.on_event(black_box(&delta)) {
                frame.write_sse(&mut out);
            }
            assert!(!out.is_empty());
        })
    });
    let call = decode_one(CALL_DELTA);
    let mut stream = primed(CALL_ADDED, CALL_DELTA);
    group.bench_function("on_event_tool_call_delta", |b| {
        // Once a call is announced its argument deltas are forwarded, not accumulated.
        b.iter(|| {
            out.clear();
            for frame in stream.on_event(black_box(&call)) {
                frame.write_sse(&mut out);
            }
            assert!(!out.is_empty());
        })
    });
    let mut stream = primed(MESSAGE_ADDED, TEXT_DELTA);
    let mut decoder = SseDecoder::new(8 << 20);
    group.bench_function("decode_translate_encode_text_delta", |b| {
        b.iter(|| {
            out.clear();
            for event in decoder.push(black_box(TEXT_DELTA.as_bytes())).unwrap() {
                for frame in stream.on_event(&event) {
                    frame.write_sse(&mut out);
                }
            }
            assert!(!out.is_empty());
        })
    });
    group.finish();

    let mut group = c.benchmark_group("passthrough");
    group.throughput(Throughput::Elements(1));
    group.bench_function("observe_terminal_text_delta", |b| {
        b.iter(|| assert!(observe_terminal(black_box(&delta)).is_none()))
    });
    group.finish();
}

fn long_streams(c: &mut Criterion) {
    let body = long_stream(10_000);
    let mut group = c.benchmark_group("sse_decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("long_stream_16KiB_reads", |b| {
        b.iter(|| {
            let mut decoder = SseDecoder::new(8 << 20);
            let mut n = 0;
            for read in body.chunks(16 * 1024) {
                n += decoder.push(black_box(read)).unwrap().len();
            }
            assert_eq!(n, 10_003);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("stream_long");
    group.throughput(Throughput::Elements(10_003));
    group.bench_function("decode_translate_encode_10k_events", |b| {
        let mut out = Vec::with_capacity(4 << 20);
        b.iter(|| {
            out.clear();
            let mut decoder = SseDecoder::new(8 << 20);
            let mut stream = ChatStream::new(options());
            for read in body.chunks(16 * 1024) {
                for event in decoder.push(black_box(read)).unwrap() {
                    for frame in stream.on_event(&event) {
                        frame.write_sse(&mut out);
                    }
                }
            }
            assert!(out.ends_with(b"data: [DONE]\n\n"));
        })
    });
    group.finish();
}

fn responses_requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize_responses");
    for (name, body, changed) in [
        ("unchanged", responses_body(true), false),
        ("changed", responses_body(false), true),
    ] {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let n = normalize_responses(black_box(&body)).unwrap();
                assert_eq!(n.changed, changed);
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // Short runs: the machine has two shared cores and these numbers are stable well before.
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = chat_requests, stream_events, long_streams, responses_requests
}
criterion_main!(benches);
