//! Golden fixtures for the response direction: `testing/fixtures/stream/<case>/`.
//!
//! Every case's `upstream.sse` is decoded and translated whole, line by line, one byte at a time
//! and in seeded random pieces; all four must agree with each other and with the expected
//! `chat.sse` (stream, include_usage), `chat.json` (non-stream chat) and `responses.json`
//! (non-stream Responses). Failure cases also hold `error.json` (`status`, `code`,
//! `retry_after`) and an error envelope in both JSON files. The stream output, parsed back and
//! folded here independently, must equal `chat.json`. `BLESS=1` rewrites the expected files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a failed test (clippy only exempts #[test] fns here)"
)]

use std::fs;
use std::path::{Path, PathBuf};

use gateway_core::error::GatewayError;
use gateway_core::sse::decode::SseDecoder;
use gateway_core::translate::chat::completion::ChatCompletionBuilder;
use gateway_core::translate::chat::stream::{ChatFrame, ChatStream, StreamOptions};
use gateway_core::translate::end::StreamEnd;
use gateway_core::translate::responses::fold::ResponseAccumulator;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testing/fixtures/stream")
}

fn options() -> StreamOptions {
    StreamOptions {
        id: "chatcmpl-test".into(),
        created: 1_700_000_000,
        model: "gpt-5.4".into(),
        include_usage: true,
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    chat_sse: Vec<u8>,
    chat: Result<Vec<u8>, GatewayError>,
    responses: Result<Vec<u8>, GatewayError>,
}

/// What the host does: decode, translate, fold; at the end report how upstream stopped.
fn drive(pieces: &[&[u8]]) -> Outcome {
    let mut decoder = SseDecoder::new(1 << 20);
    let mut stream = ChatStream::new(options());
    let mut builder = ChatCompletionBuilder::new();
    let mut accumulator = ResponseAccumulator::new();
    let mut chat_sse = Vec::new();
    let mut emit = |frames: Vec<ChatFrame>, builder: &mut ChatCompletionBuilder| {
        for frame in frames {
            frame.write_sse(&mut chat_sse);
            builder.push(&frame);
        }
    };
    for piece in pieces {
        for event in decoder
            .push(piece)
            .expect("fixtures stay under the event cap")
        {
            accumulator.push(&event);
            emit(stream.on_event(&event), &mut builder);
        }
    }
    let (chat_end, responses_end) = match decoder.finish() {
        Ok(()) => (StreamEnd::UpstreamEof, None),
        Err(err) => {
            let err = GatewayError::from(err);
            (
                StreamEnd::UpstreamError(err.clone()),
                Some(StreamEnd::UpstreamError(err)),
            )
        }
    };
    emit(stream.finish(chat_end), &mut builder);
    Outcome {
        chat_sse,
        chat: builder.finish(),
        responses: accumulator.finish(responses_end),
    }
}

fn splits(input: &[u8]) -> Vec<(&'static str, Vec<&[u8]>)> {
    let lines: Vec<&[u8]> = input.split_inclusive(|b| *b == b'\n').collect();
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let mut random = Vec::new();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15 ^ input.len() as u64;
    let mut rest = input;
    while !rest.is_empty() {
        // xorshift64: deterministic pieces of 1..=97 bytes.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 97 + 1) as usize;
        let (head, tail) = rest.split_at(len.min(rest.len()));
        random.push(head);
        rest = tail;
    }
    vec![
        ("whole", vec![input]),
        ("lines", lines),
        ("bytes", bytes),
        ("random", random),
    ]
}

/// `chat.sse` as a list of payloads; checks the framing is exactly `data: …\n\n`.
fn sse_payloads(bytes: &[u8], case: &str) -> Vec<Value> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(
        text.ends_with("\n\n"),
        "{case}: chat.sse must end with a blank line"
    );
    text.trim_end_matches('\n')
        .split("\n\n")
        .map(|block| {
            let payload = block
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("{case}: block is not `data: …`: {block:?}"));
            assert!(!payload.contains('\n'), "{case}: one data line per event");
            if payload == "[DONE]" {
                json!("[DONE]")
            } else {
                serde_json::from_str(payload).unwrap()
            }
        })
        .collect()
}

/// An independent fold of chat chunks (as a client SDK would do it).
fn fold_chunks(payloads: &[Value]) -> Value {
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut calls: Vec<Value> = Vec::new();
    let (mut finish, mut usage, mut head) = (Value::Null, None, None);
    for payload in payloads {
        if payload == "[DONE]" || payload.get("error").is_some() {
            continue;
        }
        head.get_or_insert_with(|| {
            (
                payload["id"].clone(),
                payload["created"].clone(),
                payload["model"].clone(),
            )
        });
        if let Some(u) = payload.get("usage") {
            usage = Some(u.clone());
        }
        for choice in payload["choices"].as_array().unwrap() {
            let delta = &choice["delta"];
            content += delta["content"].as_str().unwrap_or("");
            reasoning += delta["reasoning_content"].as_str().unwrap_or("");
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().unwrap() as usize;
                if calls.len() <= index {
                    calls.resize(
                        index + 1,
                        json!({"id":"","type":"function","function":{"name":"","arguments":""}}),
                    );
                }
                let slot = &mut calls[index];
                for (path, piece) in [
                    ("id", &call["id"]),
                    ("name", &call["function"]["name"]),
                    ("arguments", &call["function"]["arguments"]),
                ] {
                    let target = if path == "id" {
                        &mut slot["id"]
                    } else {
                        &mut slot["function"][path]
                    };
                    *target = json!(format!(
                        "{}{}",
                        target.as_str().unwrap(),
                        piece.as_str().unwrap_or("")
                    ));
                }
            }
            if !choice["finish_reason"].is_null() {
                finish = choice["finish_reason"].clone();
            }
        }
    }
    let (id, created, model) = head.unwrap();
    let mut message = json!({"role": "assistant", "content": if content.is_empty() && !calls.is_empty() { Value::Null } else { json!(content) }, "refusal": null});
    if !reasoning.is_empty() {
        message["reasoning_content"] = json!(reasoning);
    }
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    let mut completion = json!({"id": id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": null}]});
    if let Some(usage) = usage {
        completion["usage"] = usage;
    }
    completion
}

fn body(result: &Result<Vec<u8>, GatewayError>) -> Value {
    match result {
        Ok(bytes) => serde_json::from_slice(bytes).unwrap(),
        Err(err) => serde_json::from_slice(&err.envelope_json()).unwrap(),
    }
}

fn error_summary(result: &Result<Vec<u8>, GatewayError>) -> Option<Value> {
    let err = result.as_ref().err()?;
    Some(json!({"status": err.status(), "code": err.code(), "retry_after": err.retry_after()}))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1)", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn golden_stream_fixtures() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "fixtures missing: {cases:?}");
    for dir in cases {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let upstream = fs::read(dir.join("upstream.sse")).unwrap();
        let runs: Vec<(&str, Outcome)> = splits(&upstream)
            .into_iter()
            .map(|(how, pieces)| (how, drive(&pieces)))
            .collect();
        let (_, outcome) = &runs[0];
        for (how, other) in &runs[1..] {
            assert_eq!(
                other, outcome,
                "{case}: splitting `{how}` changed the result"
            );
        }
        let chat_error = error_summary(&outcome.chat);
        assert_eq!(
            chat_error,
            error_summary(&outcome.responses),
            "{case}: both non-stream paths fail alike"
        );
        if bless {
            fs::write(dir.join("chat.sse"), &outcome.chat_sse).unwrap();
            fs::write(dir.join("chat.json"), pretty(&body(&outcome.chat))).unwrap();
            fs::write(
                dir.join("responses.json"),
                pretty(&body(&outcome.responses)),
            )
            .unwrap();
            match &chat_error {
                Some(summary) => fs::write(dir.join("error.json"), pretty(summary)).unwrap(),
                None => {
                    let _ = fs::remove_file(dir.join("error.json"));
                }
            }
            continue;
        }
        let expected_sse = fs::read(dir.join("chat.sse")).unwrap();
        assert_eq!(
            sse_payloads(&outcome.chat_sse, &case),
            sse_payloads(&expected_sse, &case),
            "{case}: chat.sse"
        );
        assert_eq!(
            body(&outcome.chat),
            read_json(&dir.join("chat.json")),
            "{case}: chat.json"
        );
        assert_eq!(
            body(&outcome.responses),
            read_json(&dir.join("responses.json")),
            "{case}: responses.json"
        );
        let expected_error = dir.join("error.json");
        assert_eq!(
            chat_error,
            expected_error.exists().then(|| read_json(&expected_error)),
            "{case}: error.json"
        );
        let payloads = sse_payloads(&outcome.chat_sse, &case);
        match &outcome.chat {
            Ok(_) => assert_eq!(
                fold_chunks(&payloads),
                body(&outcome.chat),
                "{case}: fold(stream) == non-stream"
            ),
            Err(err) => {
                let last = payloads.last().unwrap();
                assert_eq!(
                    last,
                    &body(&Err(err.clone())),
                    "{case}: a failed stream ends with its error"
                );
                assert!(
                    !payloads.contains(&json!("[DONE]")),
                    "{case}: no [DONE] after a failure"
                );
                let finished = payloads
                    .iter()
                    .flat_map(|p| p["choices"].as_array().cloned().unwrap_or_default());
                assert!(
                    finished.into_iter().all(|c| c["finish_reason"].is_null()),
                    "{case}: no finish_reason on a failure"
                );
            }
        }
    }
}
