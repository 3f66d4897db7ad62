//! Issue 4: Chat Completions on the Codex backend, JSON and streaming, through the built .wasm.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use test_host::fake_codex::Scenario;

use crate::support::*;

fn chat(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "stream": stream,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "hi"}],
    })
}

/// The `data:` payloads of an SSE body, in order, with their arrival times.
async fn sse_events(res: reqwest::Response) -> Vec<(Instant, String)> {
    let mut events = Vec::new();
    let mut buf = String::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            for line in event.lines() {
                if let Some(data) = line.strip_prefix("data: ") {
                    events.push((Instant::now(), data.to_owned()));
                }
            }
        }
    }
    assert!(buf.trim().is_empty(), "trailing partial event: {buf:?}");
    events
}

/// Every `tool_calls` delta of a chat stream, in order.
fn delta_tool_calls(chunks: &[Value]) -> Vec<Value> {
    chunks
        .iter()
        .flat_map(|c| {
            c["choices"][0]["delta"]["tool_calls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

fn parsed(events: &[(Instant, String)]) -> Vec<Value> {
    events
        .iter()
        .filter(|(_, d)| d != "[DONE]")
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn non_stream_text_with_usage_and_upstream_body_rules() {
    let env = Env::start("chat-json", &[]).await;
    env.seed_token(3600);
    let body = json!({
        "model": "gpt-5.4@usage_cached_reasoning",
        "temperature": 0.2, "max_tokens": 50,
        "messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}],
    });
    let res = env
        .post_json("/v1/chat/completions", &body)
        .send()
        .await
        .unwrap();
    let ignored = res.headers()["x-codex-gateway-ignored-params"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        ignored.contains("temperature") && ignored.contains("max_tokens"),
        "{ignored}"
    );
    let (status, _, v) = json_of(res).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(
        v["usage"]["prompt_tokens_details"]["cached_tokens"]
            .as_i64()
            .unwrap()
            > 0,
        "{v}"
    );
    assert!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_i64()
            .unwrap()
            > 0
    );
    let up = env.codex.generation_requests()[0].json();
    assert_eq!(up["store"], false);
    assert_eq!(up["stream"], true);
    assert_eq!(up["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(up["instructions"], "Be terse.");
    assert!(up.get("temperature").is_none() && up.get("max_output_tokens").is_none());
}

#[tokio::test]
async fn stream_has_stable_id_role_first_usage_chunk_and_done() {
    let env = Env::start("chat-sse", &[]).await;
    env.seed_token(3600);
    let res = env
        .post_json(
            "/v1/chat/completions",
            &chat("gpt-5.4@usage_cached_reasoning", true),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = sse_events(res).await;
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks = parsed(&events);
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(chunks
        .iter()
        .all(|c| c["id"] == id && c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let finishes: Vec<&Value> = chunks
        .iter()
        .filter(|c| !c["choices"][0]["finish_reason"].is_null())
        .collect();
    assert_eq!(finishes.len(), 1);
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_i64().unwrap() > 0);

    // Without include_usage there is no usage chunk.
    let mut body = chat("gpt-5.4@text", true);
    body.as_object_mut().unwrap().remove("stream_options");
    let res = env
        .post_json("/v1/chat/completions", &body)
        .send()
        .await
        .unwrap();
    let chunks = parsed(&sse_events(res).await);
    assert!(chunks
        .iter()
        .all(|c| c.get("usage").is_none_or(Value::is_null)));
}

#[tokio::test]
async fn parallel_tool_calls_stream_and_fold_and_multi_turn_round_trips() {
    let env = Env::start("chat-tools", &[]).await;
    env.seed_token(3600);
    let (status, _, v) = json_of(
        env.post_json(
            "/v1/chat/completions",
            &chat("gpt-5.4@tool_calls_parallel", false),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    let calls = v["choices"][0]["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(v["choices"][0]["message"]["content"].is_null());
    for call in calls {
        serde_json::from_str::<Value>(call["function"]["arguments"].as_str().unwrap())
            .expect("complete JSON arguments");
    }

    let res = env
        .post_json(
            "/v1/chat/completions",
            &chat("gpt-5.4@tool_calls_parallel", true),
        )
        .send()
        .await
        .unwrap();
    let chunks = parsed(&sse_events(res).await);
    let indexes: Vec<i64> = delta_tool_calls(&chunks)
        .iter()
        .filter(|t| t.get("id").is_some())
        .map(|t| t["index"].as_i64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1]);

    // Second turn: the tool results go back as function_call_output items.
    let turn = json!({
        "model": "gpt-5.4",
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"t\":18}"},
        ],
    });
    let (status, _, _) = env.post("/v1/chat/completions", &turn).await;
    assert_eq!(status, 200);
    let up = env.codex.generation_requests().pop().unwrap().json();
    let types: Vec<&str> = up["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap_or("message"))
        .collect();
    assert_eq!(
        types,
        ["message", "function_call", "function_call_output"],
        "{up}"
    );
    assert_eq!(up["input"][2]["call_id"], "call_1");
    assert_eq!(up["tools"][0]["name"], "get_weather");
}

#[tokio::test]
async fn tool_names_over_64_characters_are_shortened_upstream_and_restored() {
    let env = Env::start("chat-long-tool-names", &[]).await;
    env.seed_token(3600);
    let long = format!("mcp__{}__get_weather", "weather_service_".repeat(4));
    assert!(long.len() > 64);
    for stream in [false, true] {
        env.codex.push(answer_with_shortened_names());
        let body = json!({
            "model": "gpt-5.4",
            "stream": stream,
            "tools": [{"type": "function", "function": {"name": long, "parameters": {"type": "object"}}}],
            "tool_choice": {"type": "function", "function": {"name": long}},
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_0", "type": "function", "function": {"name": long, "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_0", "content": "{}"},
            ],
        });
        let res = env
            .post_json("/v1/chat/completions", &body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let names: Vec<String> = if stream {
            delta_tool_calls(&parsed(&sse_events(res).await))
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                .collect()
        } else {
            let v: Value = res.json().await.unwrap();
            v["choices"][0]["message"]["tool_calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        };
        // The second call is to a tool whose name needed no shortening.
        assert_eq!(names, [long.as_str(), "get_time"], "stream={stream}");

        let up = env.codex.generation_requests().pop().unwrap().json();
        assert_eq!(up["tools"][0]["name"], "mcp__get_weather");
        assert_eq!(up["tool_choice"]["name"], "mcp__get_weather");
        assert_eq!(up["input"][1]["name"], "mcp__get_weather");
        assert!(!up.to_string().contains(&long), "{up}");
    }
}

#[tokio::test]
async fn images_and_reasoning_are_translated() {
    let env = Env::start("chat-images", &[]).await;
    env.seed_token(3600);
    let body = json!({
        "model": "gpt-5.4@reasoning_summary",
        "reasoning_effort": "high",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}]}],
    });
    let (status, _, v) = env.post("/v1/chat/completions", &body).await;
    assert_eq!(status, 200);
    assert!(
        !v["choices"][0]["message"]["reasoning_content"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{v}"
    );
    let up = env.codex.generation_requests()[0].json();
    assert_eq!(up["reasoning"]["effort"], "high");
    assert_eq!(up["reasoning"]["summary"], "auto");
    let parts = &up["input"][0]["content"];
    assert_eq!(parts[0]["type"], "input_text");
    assert_eq!(parts[1]["type"], "input_image");
    assert_eq!(parts[1]["detail"], "low");
}

#[tokio::test]
async fn reasoning_output_setting_moves_or_hides_the_reasoning() {
    for (setting, tagged) in [("think_tags", true), ("none", false)] {
        let env = Env::start("chat-reasoning-output", &[("reasoning_output", setting)]).await;
        env.seed_token(3600);
        let model = "gpt-5.4@reasoning_summary";
        let (status, _, v) = env.post("/v1/chat/completions", &chat(model, false)).await;
        assert_eq!(status, 200, "{v}");
        let message = &v["choices"][0]["message"];
        assert!(message.get("reasoning_content").is_none(), "{setting}: {v}");
        let content = message["content"].as_str().unwrap();
        let answer = content.rsplit("</think>\n\n").next().unwrap();
        assert!(
            !answer.is_empty() && !answer.contains("think>"),
            "{content}"
        );
        assert_eq!(
            content.starts_with("<think>"),
            tagged,
            "{setting}: {content}"
        );
        assert_eq!(
            content.contains("</think>\n\n"),
            tagged,
            "{setting}: {content}"
        );

        // The stream carries the same text, piece by piece.
        let res = env
            .post_json("/v1/chat/completions", &chat(model, true))
            .send()
            .await
            .unwrap();
        let chunks = parsed(&sse_events(res).await);
        let streamed: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(streamed, content, "{setting}");
        assert!(chunks
            .iter()
            .all(|c| c["choices"][0]["delta"].get("reasoning_content").is_none()));
    }
}

#[tokio::test]
async fn finish_reasons_length_and_content_filter() {
    let env = Env::start("chat-finish", &[]).await;
    env.seed_token(3600);
    for (case, want) in [
        ("incomplete_max_output_tokens", "length"),
        ("incomplete_content_filter", "content_filter"),
    ] {
        let (status, _, v) = json_of(
            env.post_json(
                "/v1/chat/completions",
                &chat(&format!("gpt-5.4@{case}"), false),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(v["choices"][0]["finish_reason"], want, "{case}");
    }
}

#[tokio::test]
async fn failures_map_to_statuses_and_streams_end_without_a_fake_stop() {
    let env = Env::start("chat-failures", &[]).await;
    env.seed_token(3600);
    // Non-stream: the right status and envelope.
    let cases = [
        ("failed_usage_limit", 429, "usage_limit_reached"),
        ("error_event", 503, "server_overloaded"),
        ("truncated_mid_event", 502, "upstream_error"),
        ("eof_without_terminal", 502, "upstream_error"),
        ("status-400", 400, ""),
        ("status-500", 502, "upstream_error"),
        ("status-429", 429, "usage_limit_reached"),
    ];
    for (case, status_want, code_want) in cases {
        let res = env
            .post_json(
                "/v1/chat/completions",
                &chat(&format!("gpt-5.4@{case}"), false),
            )
            .send()
            .await
            .unwrap();
        let (status, headers, v) = json_of(res).await;
        assert_eq!(status, status_want, "{case}: {v}");
        let code = envelope_code(&v);
        if !code_want.is_empty() {
            assert_eq!(code, code_want, "{case}");
        }
        if status == 429 {
            assert!(
                headers["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    > 0,
                "{case}"
            );
        }
        if case == "status-400" {
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Unsupported parameter"),
                "{v}"
            );
        }
    }
    // Stream: a failure after output ends with an error event, no finish_reason, no [DONE].
    let res = env
        .post_json(
            "/v1/chat/completions",
            &chat("gpt-5.4@truncated_mid_event", true),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse_events(res).await;
    let last: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(last["error"]["code"], "upstream_error");
    assert!(events.iter().all(|(_, d)| d != "[DONE]"));
    assert!(parsed(&events).iter().all(|c| c["choices"]
        .get(0)
        .is_none_or(|ch| ch["finish_reason"].is_null())));
    // Stream: a failure before any output gets its real status.
    let res = env
        .post_json(
            "/v1/chat/completions",
            &chat("gpt-5.4@failed_usage_limit", true),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn unreachable_upstream_is_502_upstream_unavailable() {
    // Bound but never listening: the port stays ours, so no server started by a
    // concurrent test can take it, and a connect to it is refused.
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    let env = Env::start("chat-down", &[("codex_base_url", &url)]).await;
    env.seed_token(3600);
    let (status, _, v) = env
        .post("/v1/chat/completions", &chat("gpt-5.4", false))
        .await;
    assert_eq!(status, 502);
    assert_eq!(envelope_code(&v), "upstream_unavailable");
    // The host must report a refused connect as such (wasi-http `connection-refused`).
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refused the connection"),
        "{v}"
    );
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field() {
    let env = Env::start("chat-bad", &[]).await;
    env.seed_token(3600);
    let cases: &[(&str, &str)] = &[
        ("not json", "{"),
        ("array", "[]"),
        (
            "missing model",
            r#"{"messages":[{"role":"user","content":"x"}]}"#,
        ),
        ("missing messages", r#"{"model":"gpt-5.4"}"#),
        ("wrong type", r#"{"model":"gpt-5.4","messages":"hi"}"#),
        (
            "unknown role",
            r#"{"model":"gpt-5.4","messages":[{"role":"robot","content":"x"}]}"#,
        ),
        (
            "orphan tool",
            r#"{"model":"gpt-5.4","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"1"}]}"#,
        ),
        (
            "bad effort",
            r#"{"model":"gpt-5.4","reasoning_effort":"extreme","messages":[{"role":"user","content":"x"}]}"#,
        ),
        (
            "n>1",
            r#"{"model":"gpt-5.4","n":3,"messages":[{"role":"user","content":"x"}]}"#,
        ),
    ];
    for (name, body) in cases {
        let res = env
            .client
            .post(env.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(*body)
            .send()
            .await
            .unwrap();
        let (status, _, v) = json_of(res).await;
        assert_eq!(status, 400, "{name}: {v}");
        assert_eq!(envelope_code(&v), "invalid_request", "{name}");
    }
    assert!(
        env.codex.generation_requests().is_empty(),
        "nothing sent upstream for bad input"
    );
}

#[tokio::test]
async fn each_chunk_reaches_the_client_before_the_next_upstream_event() {
    let env = Env::start("chat-timing", &[]).await;
    env.seed_token(3600);
    let sent = Instant::now();
    let res = env
        .post_json("/v1/chat/completions", &chat("gpt-5.4@slow-text", true))
        .send()
        .await
        .unwrap();
    let events = sse_events(res).await;
    let total = sent.elapsed();
    let content: Vec<Instant> = parsed(&events)
        .iter()
        .zip(&events)
        .filter(|(c, _)| c["choices"][0]["delta"]["content"].is_string())
        .map(|(_, (t, _))| *t)
        .collect();
    assert!(content.len() >= 2, "{events:?}");
    for pair in content.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(350),
            "chunks arrived together ({gap:?}): buffered"
        );
    }
    assert!(
        content[0] - sent < total - Duration::from_millis(900),
        "first chunk only at the end"
    );
}

#[tokio::test]
async fn a_silent_upstream_ends_at_the_idle_timeout() {
    let env = Env::start("chat-idle", &[("idle_timeout_secs", "2")]).await;
    env.seed_token(3600);
    // Silent after some text: the open stream ends with an error event.
    env.codex.push(Scenario::Stall {
        case: "text".into(),
        events: 8,
    });
    let started = Instant::now();
    let res = env
        .post_json("/v1/chat/completions", &chat("gpt-5.4", true))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse_events(res).await;
    let took = started.elapsed();
    let last: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(last["error"]["code"], "upstream_timeout", "{events:?}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    // Silent before any output: the client gets a 504 envelope instead of an empty stream.
    env.codex.push(Scenario::Stall {
        case: "text".into(),
        events: 2,
    });
    let res = env
        .post_json("/v1/chat/completions", &chat("gpt-5.4", true))
        .send()
        .await
        .unwrap();
    let (status, _, v) = json_of(res).await;
    assert_eq!(status, 504);
    assert_eq!(envelope_code(&v), "upstream_timeout");
}

#[tokio::test]
async fn a_client_leaving_mid_stream_causes_no_trap() {
    let env = Env::start("chat-gone", &[]).await;
    env.seed_token(3600);
    let res = env
        .post_json("/v1/chat/completions", &chat("gpt-5.4@slow-text", true))
        .send()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    let _ = stream.next().await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, _, _) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    assert!(!env.logs().await.contains("guest trapped"));
}
