//! The bodies of the fuzz targets, one public function per target.
//!
//! Shared by the `cargo fuzz` binaries in `fuzz_targets/` and by
//! `gateway-core/tests/fuzz_corpus.rs`, which includes this file by path and replays every file
//! under `fuzz/corpus/<target>/` in the normal test suite. Each function must not panic for any
//! input; the `assert!`s below are the properties a target checks beyond "no panic".
//!
//! Input formats use the leading bytes as parameters (event cap, split points, fixture choice)
//! and the rest as the payload, so libFuzzer mutates both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "fuzz harness: a panic is the finding"
)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use gateway_core::auth::jwt::decode_claims;
use gateway_core::auth::oauth::parse_token_response;
use gateway_core::auth::token::TokenRecord;
use gateway_core::error::GatewayError;
use gateway_core::sse::decode::{SseDecoder, SseError, SseEvent};
use gateway_core::translate::chat::completion::ChatCompletionBuilder;
use gateway_core::translate::chat::request::chat_to_responses;
use gateway_core::translate::chat::stream::{ChatFrame, ChatStream, StreamOptions};
use gateway_core::translate::end::StreamEnd;
use gateway_core::translate::responses::fold::{observe_terminal, ResponseAccumulator};
use gateway_core::translate::responses::request::normalize_responses;
use serde_json::Value;

macro_rules! fixtures {
    ($($case:literal),* $(,)?) => {
        &[$(($case, include_bytes!(concat!("../../testing/fixtures/stream/", $case, "/upstream.sse")))),*]
    };
}

/// Every golden upstream stream (`testing/fixtures/stream/<case>/upstream.sse`), by case name.
pub const FIXTURES: &[(&str, &[u8])] = fixtures![
    "completed_empty_output",
    "eof_without_terminal",
    "error_event",
    "failed_usage_limit",
    "incomplete_content_filter",
    "incomplete_max_output_tokens",
    "reasoning_summary",
    "text",
    "tool_call_args_in_done",
    "tool_calls_parallel",
    "truncated_mid_event",
    "unknown_event_type",
    "usage_cached_reasoning",
];

/// The event cap the gateway uses in tests; large enough that fuzz inputs never reach it.
const LARGE_CAP: usize = 1 << 20;

/// Splits `data` into `(lengths, payload)`: byte 0 says how many split-length bytes follow
/// (0..=63), those bytes are the lengths, the rest is the payload.
pub fn take_lengths(data: &[u8]) -> (&[u8], &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return (&[], &[]);
    };
    rest.split_at(usize::from(count % 64).min(rest.len()))
}

/// Cuts `input` into pieces of `lengths[i] + 1` bytes, cycling through `lengths` until the input
/// is used up (no lengths: one piece).
pub fn split_by<'a>(input: &'a [u8], lengths: &[u8]) -> Vec<&'a [u8]> {
    if lengths.is_empty() {
        return vec![input];
    }
    let mut pieces = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let len = usize::from(lengths[i % lengths.len()]) + 1;
        let (head, tail) = rest.split_at(len.min(rest.len()));
        pieces.push(head);
        rest = tail;
        i += 1;
    }
    pieces
}

// ---------------------------------------------------------------------------------------------
// sse_decode

#[derive(Debug)]
struct Decoded {
    events: Vec<SseEvent>,
    /// The first `push` error, after which nothing more was fed.
    failed: Option<SseError>,
    /// `finish()`, when every push succeeded.
    finish: Option<Result<(), SseError>>,
}

fn decode_pieces(cap: usize, pieces: &[&[u8]]) -> Decoded {
    let mut decoder = SseDecoder::new(cap);
    let mut events = Vec::new();
    for piece in pieces {
        match decoder.push(piece) {
            Ok(more) => events.extend(more),
            Err(err) => {
                return Decoded {
                    events,
                    failed: Some(err),
                    finish: None,
                }
            }
        }
    }
    Decoded {
        events,
        failed: None,
        finish: Some(decoder.finish()),
    }
}

fn fields(events: &[SseEvent]) -> Vec<(Option<&str>, &str)> {
    events
        .iter()
        .map(|e| (e.event.as_deref(), e.data.as_str()))
        .collect()
}

/// `SseDecoder`. Input: byte 0 picks the event cap (< 128: a small cap of 8..=516 bytes, to
/// reach the limit; else 1 MiB), then [`take_lengths`] split points, then the stream.
///
/// Properties: the stream decodes to the same events (name and data) and the same end whether
/// pushed whole or in pieces, and hits the cap in both or neither; no event is larger than the
/// cap; no data or name holds a line break; every event's `raw` bytes, decoded alone, give
/// back that one event.
pub fn sse_decode(data: &[u8]) {
    let Some((&cap_byte, rest)) = data.split_first() else {
        return;
    };
    let cap = if cap_byte < 128 {
        8 + usize::from(cap_byte) * 4
    } else {
        LARGE_CAP
    };
    let (lengths, stream) = take_lengths(rest);
    let whole = decode_pieces(cap, &[stream]);
    let chunked = decode_pieces(cap, &split_by(stream, lengths));
    assert_eq!(
        whole.failed.is_some(),
        chunked.failed.is_some(),
        "cap {cap}: whole {:?} vs pieces {:?}",
        whole.failed,
        chunked.failed
    );
    if whole.failed.is_none() {
        assert_eq!(fields(&whole.events), fields(&chunked.events), "cap {cap}");
        assert_eq!(whole.finish, chunked.finish, "cap {cap}");
    }
    for event in whole.events.iter().chain(&chunked.events) {
        assert!(
            event.raw.len() <= cap,
            "event of {} > cap {cap}",
            event.raw.len()
        );
        assert!(!event.data.contains('\r'), "CR in data");
        if let Some(name) = &event.event {
            assert!(!name.contains(['\r', '\n']), "line break in event name");
        }
        let again = decode_pieces(LARGE_CAP, &[&event.raw]);
        assert_eq!(
            fields(&again.events),
            vec![(event.event.as_deref(), event.data.as_str())],
            "raw {:?} does not decode to its own event",
            String::from_utf8_lossy(&event.raw)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// chat_stream

/// Everything the host derives from one upstream stream.
#[derive(Debug, PartialEq)]
struct Outcome {
    chat_sse: Vec<u8>,
    chat: Result<Vec<u8>, GatewayError>,
    responses: Result<Vec<u8>, GatewayError>,
    terminals: Vec<StreamEnd>,
    push_error: Option<SseError>,
}

fn stream_options() -> StreamOptions {
    StreamOptions {
        id: "chatcmpl-fuzz".into(),
        created: 1_700_000_000,
        model: "gpt-5.4".into(),
        include_usage: true,
    }
}

/// What the gateway component does with an upstream body: decode, translate to chat chunks,
/// fold them (non-stream chat), accumulate the Responses object, watch for terminal events
/// (pass-through), and at the end report how upstream stopped.
fn drive(pieces: &[&[u8]]) -> Outcome {
    let mut decoder = SseDecoder::new(LARGE_CAP);
    let mut stream = ChatStream::new(stream_options());
    let mut builder = ChatCompletionBuilder::new();
    let mut accumulator = ResponseAccumulator::new();
    let mut chat_sse = Vec::new();
    let mut terminals = Vec::new();
    let mut emit = |frames: Vec<ChatFrame>, builder: &mut ChatCompletionBuilder| {
        for frame in frames {
            frame.write_sse(&mut chat_sse);
            builder.push(&frame);
        }
    };
    let mut push_error = None;
    for piece in pieces {
        match decoder.push(piece) {
            Ok(events) => {
                for event in events {
                    terminals.extend(observe_terminal(&event));
                    accumulator.push(&event);
                    emit(stream.on_event(&event), &mut builder);
                }
            }
            Err(err) => {
                push_error = Some(err);
                break;
            }
        }
    }
    let finished = decoder.finish();
    let end = push_error
        .as_ref()
        .or(finished.as_ref().err())
        .map(|err| StreamEnd::UpstreamError(err.clone().into()));
    emit(
        stream.finish(end.clone().unwrap_or(StreamEnd::UpstreamEof)),
        &mut builder,
    );
    Outcome {
        chat_sse,
        chat: builder.finish(),
        responses: accumulator.finish(end),
        terminals,
        push_error,
    }
}

fn check_chunking(stream: &[u8], lengths: &[u8]) {
    let whole = drive(&[stream]);
    let chunked = drive(&split_by(stream, lengths));
    assert_eq!(whole, chunked, "chunking changed the translation");
    if let Ok(body) = &whole.chat {
        serde_json::from_slice::<Value>(body).expect("non-stream chat body is JSON");
    }
    if let Ok(body) = &whole.responses {
        serde_json::from_slice::<Value>(body).expect("non-stream responses body is JSON");
    }
    let text = std::str::from_utf8(&whole.chat_sse).expect("chat SSE is UTF-8");
    for block in text.split_terminator("\n\n") {
        let payload = block.strip_prefix("data: ").expect("only data frames");
        if payload != "[DONE]" {
            serde_json::from_str::<Value>(payload).expect("every frame is JSON");
        }
    }
}

/// `SseDecoder` + `ChatStream` + the folds. Input: byte 0 picks the mode. Even: a golden
/// fixture (`FIXTURES[(byte0 / 2) % n]`) cut at the split points in the rest of the input
/// (each byte b = a piece of b + 1 bytes, cycled). Odd: [`take_lengths`] split points, then an
/// arbitrary upstream stream.
///
/// Properties: cutting the stream anywhere gives exactly the output of one chunk (chat SSE
/// bytes, the non-stream chat and Responses bodies or errors, the pass-through terminal
/// observations); every output frame and body is JSON.
pub fn chat_stream(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let (_, fixture) = FIXTURES[usize::from(mode / 2) % FIXTURES.len()];
        check_chunking(fixture, rest);
    } else {
        let (lengths, stream) = take_lengths(rest);
        check_chunking(stream, lengths);
    }
}

// ---------------------------------------------------------------------------------------------
// request translators

/// The fields the Codex backend insists on; everything else is only checked to be JSON (read
/// without converting numbers, since bodies keep the client's digits, `1e400` included).
#[derive(serde::Deserialize)]
struct UpstreamBody {
    stream: Option<bool>,
    store: Option<bool>,
    instructions: Option<String>,
}

fn check_upstream_body(body: &[u8]) {
    let parsed: UpstreamBody = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "upstream body is not JSON with the required fields ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    assert_eq!(parsed.stream, Some(true), "stream");
    assert_eq!(parsed.store, Some(false), "store");
    assert!(parsed.instructions.is_some(), "instructions");
}

/// `chat_to_responses` on arbitrary bytes. Properties: an accepted request yields a JSON
/// object body with `stream: true`, `store: false` and string `instructions` (what the Codex
/// backend requires), every function tool's name within the backend's 64 characters and
/// restored to the client's, and that body passes `normalize_responses`.
pub fn chat_request(data: &[u8]) {
    let Ok(translated) = chat_to_responses(data) else {
        return;
    };
    check_upstream_body(&translated.body);
    check_function_names(&translated.body, &translated.tool_names);
    normalize_responses(&translated.body).expect("translated body is a valid Responses body");
}

/// Every upstream function tool's name fits the backend's limit and maps back and forth.
fn check_function_names(body: &[u8], names: &gateway_core::translate::tool_names::ToolNames) {
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let tools = body.get("tools").and_then(|t| t.as_array());
    for tool in tools.into_iter().flatten() {
        if tool.get("type").and_then(|t| t.as_str()) != Some("function") {
            continue;
        }
        let name = tool
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        assert!(
            name.chars().count() <= 64,
            "upstream function name too long: {name}"
        );
        let client = names.client(name);
        assert_eq!(names.upstream(client), name, "name round trip");
    }
}

/// `normalize_responses` on arbitrary bytes. Properties: an unchanged result is the input
/// byte for byte; the body is JSON with `stream: true`, `store: false` and string
/// `instructions`; normalising it again changes nothing.
pub fn responses_request(data: &[u8]) {
    let Ok(normalized) = normalize_responses(data) else {
        return;
    };
    if !normalized.changed {
        assert_eq!(normalized.body, data, "unchanged must mean byte-exact");
    }
    check_upstream_body(&normalized.body);
    check_function_names(&normalized.body, &normalized.tool_names);
    let again = normalize_responses(&normalized.body).expect("a normalised body normalises");
    assert!(!again.changed, "normalising twice changed the body again");
    assert_eq!(again.body, normalized.body);
}

// ---------------------------------------------------------------------------------------------
// tokens

/// `decode_claims`, on the input as a whole token and on the input as the payload of a
/// well-formed token. Property: an error never echoes the payload.
pub fn jwt_claims(data: &[u8]) {
    let _ = decode_claims(&String::from_utf8_lossy(data));
    let payload = URL_SAFE_NO_PAD.encode(data);
    if let Err(err) = decode_claims(&format!("eyJhbGciOiJub25lIn0.{payload}.sig")) {
        if payload.len() >= 16 {
            assert!(
                !err.to_string().contains(&payload),
                "error echoes the token"
            );
        }
    }
}

/// `TokenRecord::from_json` and the token-endpoint parser. Input: 8 bytes of "now" (LE), 2
/// bytes of HTTP status (LE), then JSON. Properties: a parsed record round-trips through
/// `to_json`, its time arithmetic never overflows, and its secrets never print.
pub fn token_record(data: &[u8]) {
    let (now, rest) = match data.split_first_chunk::<8>() {
        Some((now, rest)) => (i64::from_le_bytes(*now), rest),
        None => (0, data),
    };
    let (status, json) = match rest.split_first_chunk::<2>() {
        Some((status, json)) => (u16::from_le_bytes(*status), json),
        None => (200, rest),
    };
    let record = TokenRecord::from_json(json).ok();
    if let Some(record) = &record {
        for margin in [0, 300, i64::MAX, i64::MIN] {
            let _ = record.needs_refresh(now, margin);
        }
        let _ = (
            record.is_expired(now),
            record.expires_in(now),
            record.fingerprint(),
        );
        let back = TokenRecord::from_json(&record.to_json().expect("serialises"))
            .expect("a written record reads back");
        assert_eq!(&back, record);
        assert_eq!(format!("{:?}", record.access_token), "***");
        assert_eq!(format!("{:?}", record.refresh_token), "***");
    }
    let _ = parse_token_response(status, json);
    if let Ok(resp) = parse_token_response(200, json) {
        let _ = TokenRecord::from_token_response(&resp, now, record.as_ref());
        let _ = TokenRecord::from_token_response(&resp, now, None);
    }
}
