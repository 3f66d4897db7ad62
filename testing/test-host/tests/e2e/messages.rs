//! Issue 23: the Anthropic Messages API (`/v1/messages`, `count_tokens`, `/api/hello`, the
//! Anthropic model list) through the built component, with Claude Code's own recorded requests.

use serde_json::{json, Value};

use test_host::fake_codex::Scenario;

use crate::support::*;

fn fixture(name: &str) -> Value {
    let path = test_host::repo_path(&format!("testing/fixtures/anthropic/claude-code/{name}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn anthropic(env: &Env, path: &str, body: &Value) -> reqwest::RequestBuilder {
    env.client
        .post(env.url(path))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
}

fn plain(model: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 1024, "stream": stream,
           "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=1;"},
                      {"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}],
           "messages": [{"role": "user", "content": "hi"},
                        {"role": "system", "content": "Environment: linux"}]})
}

/// `event:` names and parsed `data:` of an SSE body.
fn sse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or_default()
                .to_owned();
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            (name, serde_json::from_str(data).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_preconnect_is_answered_without_a_key_or_an_error_line() {
    let env = Env::start("msg-hello", &[]).await;
    for method in [reqwest::Method::HEAD, reqwest::Method::GET] {
        let res = env
            .client
            .request(method.clone(), env.url("/api/hello"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{method}");
    }
    let logs = env.logs().await;
    assert!(!logs.contains("gateway.request.error"), "{logs}");
}

#[tokio::test]
async fn a_plain_answer_in_anthropics_shape_with_no_system_item_upstream() {
    let env = Env::start("msg-json", &[]).await;
    env.seed_token(3600);
    let res = anthropic(&env, "/v1/messages?beta=true", &plain("gpt-5.4", false))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-codex-gateway-ignored-params"],
        "max_tokens"
    );
    let (status, _, message) = json_of(res).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "gpt-5.4");
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["content"][0]["type"], "text");
    assert!(message["usage"]["output_tokens"].as_u64().unwrap() > 0);
    let sent = env.codex.generation_requests().pop().unwrap().json();
    assert_eq!(sent["instructions"], "Be terse.");
    assert_eq!(sent["input"][1]["role"], "developer");
    assert!(!sent.to_string().contains("\"system\""));
    assert!(sent.get("max_tokens").is_none() && sent.get("max_output_tokens").is_none());
}

#[tokio::test]
async fn a_stream_is_anthropics_event_sequence() {
    let env = Env::start("msg-stream", &[]).await;
    env.seed_token(3600);
    let res = env
        .client
        .post(env.url("/v1/messages"))
        .bearer_auth(KEY)
        .json(&plain("gpt-5.4@reasoning_summary", true))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let events = sse_events(&res.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
    for (name, data) in &events {
        assert_eq!(data["type"], *name, "the event name is the data's type");
    }
    let starts = events
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .count();
    let stops = events
        .iter()
        .filter(|(n, _)| n == "content_block_stop")
        .count();
    assert_eq!((starts, stops), (1, 1), "thinking is off: one text block");
}

#[tokio::test]
async fn claude_codes_tool_turn_and_thinking_round_trip() {
    let env = Env::start("msg-claude-code", &[]).await;
    env.seed_token(3600);
    // One backend model for both turns (a signature is bound to the model that reasoned), its
    // answers scripted.
    env.codex.push(Scenario::fixture("reasoning_summary"));
    env.codex.push(Scenario::fixture("tool_calls_parallel"));
    let turn = fixture("turn1.request.json");
    let res = anthropic(&env, "/v1/messages?beta=true", &turn)
        .header("x-claude-code-session-id", "ignored-when-metadata-has-one")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse_events(&res.text().await.unwrap());
    let thinking = events
        .iter()
        .find(|(_, d)| d["delta"]["type"] == "signature_delta")
        .map(|(_, d)| d["delta"]["signature"].as_str().unwrap().to_owned())
        .expect("a signed thinking block");
    assert!(thinking.starts_with("cgw2."));
    let sent = env.codex.generation_requests().pop().unwrap();
    assert_eq!(
        sent.header("session_id"),
        Some("fdc5afc9-0c0d-45f4-81f8-69d20838d33e"),
        "the Claude Code session keeps its cache and account"
    );

    // The next turn sends the thinking block back verbatim: the reasoning item goes upstream.
    let mut next = fixture("turn2.request.json");
    next["messages"][2]["content"][0]["signature"] = json!(thinking);
    let res = anthropic(&env, "/v1/messages?beta=true", &next)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse_events(&res.text().await.unwrap());
    let delta = events.iter().find(|(n, _)| n == "message_delta").unwrap();
    assert_eq!(delta.1["delta"]["stop_reason"], "tool_use");
    let tool = events
        .iter()
        .find(|(_, d)| d["content_block"]["type"] == "tool_use")
        .unwrap();
    assert_eq!(tool.1["content_block"]["name"], "get_weather");
    let sent = env.codex.generation_requests().pop().unwrap().json();
    let reasoning = sent["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "reasoning")
        .expect("the reasoning item is replayed");
    let encrypted = reasoning["encrypted_content"].as_str().unwrap();
    assert!(thinking.ends_with(&format!(".{encrypted}")), "{thinking}");
}

#[tokio::test]
async fn count_tokens_is_answered_here_without_an_upstream_call() {
    let env = Env::start("msg-count", &[]).await;
    env.seed_token(3600);
    let body = fixture("count_tokens.request.json");
    let (status, _, answer) = json_of(
        anthropic(&env, "/v1/messages/count_tokens?beta=true", &body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let tokens = answer["input_tokens"].as_u64().unwrap();
    assert!((5_000..12_000).contains(&tokens), "{tokens}");
    assert!(env.codex.generation_requests().is_empty());
}

#[tokio::test]
async fn failures_take_anthropics_error_shape_and_status() {
    let env = Env::start("msg-errors", &[]).await;
    env.seed_token(3600);
    let check = |status: u16, body: &Value, kind: &str| {
        assert_eq!(body["type"], "error", "{body}");
        assert_eq!(body["error"]["type"], kind, "{status}: {body}");
        assert!(body["error"]["message"].is_string());
    };
    let res = env
        .client
        .post(env.url("/v1/messages"))
        .json(&plain("gpt-5.4", false))
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 401);
    check(status, &body, "authentication_error");

    let (status, _, body) = json_of(
        anthropic(&env, "/v1/messages", &json!({"model": "m"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    check(status, &body, "invalid_request_error");

    for (model, want, kind) in [
        ("gpt-5.4@status-429", 429, "rate_limit_error"),
        ("gpt-5.4@failed_overloaded", 503, "overloaded_error"),
        ("gpt-5.4@status-500", 502, "api_error"),
    ] {
        for stream in [false, true] {
            let res = anthropic(&env, "/v1/messages", &plain(model, stream))
                .send()
                .await
                .unwrap();
            let retry = res.headers().get("retry-after").is_some();
            let (status, _, body) = json_of(res).await;
            assert_eq!(status, want, "{model} stream={stream}: {body}");
            check(status, &body, kind);
            assert_eq!(retry, want != 502, "{model}: retry-after");
        }
    }

    let res = env.get("/v1/messages").send().await.unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 405);
    check(status, &body, "invalid_request_error");

    // After the first byte a failure is an `error` event, and no message_stop follows.
    let res = anthropic(&env, "/v1/messages", &plain("gpt-5.4@cut-text", true))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse_events(&res.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.last(), Some(&"error"), "{names:?}");
    assert!(!names.contains(&"message_stop"));
    check(200, &events.last().unwrap().1, "api_error");
}

#[tokio::test]
async fn models_in_anthropics_shape_and_aliases_for_claude_names() {
    let env = Env::start("msg-models", &[("model_aliases", "claude-*=gpt-5.4")]).await;
    env.seed_token(3600);
    let res = env
        .client
        .get(env.url("/v1/models?limit=1000"))
        .bearer_auth(KEY)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    let (status, _, page) = json_of(res).await;
    assert_eq!(status, 200);
    assert_eq!(page["data"][0]["type"], "model");
    assert!(page["data"][0]["display_name"].is_string());
    assert!(page["data"][0]["created_at"].is_string());
    assert_eq!(page["has_more"], false);
    assert_eq!(page["first_id"], page["data"][0]["id"]);
    let (_, _, openai) = env.fetch("/v1/models").await;
    assert_eq!(openai["object"], "list");

    let res = anthropic(&env, "/v1/messages", &plain("claude-haiku-4-5", false))
        .send()
        .await
        .unwrap();
    let (status, _, message) = json_of(res).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(
        message["model"], "claude-haiku-4-5",
        "the client's name comes back"
    );
    let sent = env.codex.generation_requests().pop().unwrap().json();
    assert_eq!(sent["model"], "gpt-5.4");

    // Every route aliases; chat and Responses answers name the backend model.
    let chat =
        json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, answer) = env.post("/v1/chat/completions", &chat).await;
    assert_eq!(
        (status, answer["model"].as_str()),
        (200, Some("gpt-5.4")),
        "{answer}"
    );
    let responses = json!({"model": "claude-opus-4-1", "input": "hi"});
    let (status, _, answer) = env.post("/v1/responses", &responses).await;
    assert_eq!(status, 200, "{answer}");
    let sent = env.codex.generation_requests();
    assert_eq!(sent[sent.len() - 2].json()["model"], "gpt-5.4");
    assert_eq!(sent[sent.len() - 1].json()["model"], "gpt-5.4");
}

/// The arrival time of each `text_delta` event of a streamed answer.
async fn text_delta_times(res: reqwest::Response) -> Vec<std::time::Instant> {
    use futures_util::StreamExt;
    let mut body = res.bytes_stream();
    let mut pending = String::new();
    let mut times = Vec::new();
    while let Some(chunk) = body.next().await {
        pending.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            if event.contains("\"text_delta\"") {
                times.push(std::time::Instant::now());
            }
        }
    }
    times
}

#[tokio::test]
async fn text_reaches_the_client_as_the_backend_produces_it() {
    use std::time::{Duration, Instant};
    let env = Env::start("msg-timing", &[]).await;
    env.seed_token(3600);
    let sent = Instant::now();
    let res = anthropic(&env, "/v1/messages", &plain("gpt-5.4@slow-text", true))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let times = text_delta_times(res).await;
    let total = sent.elapsed();
    assert!(times.len() >= 2, "{times:?}");
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(350),
            "deltas arrived together ({gap:?})"
        );
    }
    assert!(
        times[0] - sent < total - Duration::from_millis(900),
        "first delta only at the end"
    );
}

#[tokio::test]
async fn a_silent_upstream_ends_the_stream_with_an_error_event_at_the_idle_timeout() {
    let env = Env::start("msg-idle", &[("idle_timeout_secs", "2")]).await;
    env.seed_token(3600);
    env.codex.push(Scenario::Stall {
        case: "text".into(),
        events: 8,
    });
    let started = std::time::Instant::now();
    let res = anthropic(&env, "/v1/messages", &plain("gpt-5.4", true))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse_events(&res.text().await.unwrap());
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(data["error"]["type"], "timeout_error");
    assert!(!events.iter().any(|(n, _)| n == "message_stop"));
}

#[tokio::test]
async fn every_failure_class_has_its_anthropic_type() {
    let env = Env::start("msg-error-types", &[("max_body_bytes", "2048")]).await;
    env.seed_token(3600);
    let big = json!({"model": "gpt-5.4", "max_tokens": 10,
                     "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let cases = [
        (
            "/v1/messages",
            plain("gpt-5.4@status-403", false),
            403,
            "permission_error",
        ),
        (
            "/v1/messages",
            plain("gpt-5.4@status-404", false),
            404,
            "not_found_error",
        ),
        ("/v1/messages", big, 413, "request_too_large"),
        (
            "/v1/messages/nope",
            plain("gpt-5.4", false),
            404,
            "not_found_error",
        ),
    ];
    for (path, body, status, kind) in cases {
        let (got, _, answer) = json_of(anthropic(&env, path, &body).send().await.unwrap()).await;
        assert_eq!(got, status, "{path} {kind}: {answer}");
        assert_eq!(answer["type"], "error");
        assert_eq!(answer["error"]["type"], kind, "{answer}");
    }
}

#[tokio::test]
async fn a_lite_model_goes_in_the_lite_shape_from_the_messages_route_too() {
    let env = Env::start("msg-lite", &[]).await;
    env.seed_token(3600);
    let (status, _, _) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    let mut body = plain("gpt-6-sol", false);
    body["tools"] = json!([{"name": "Bash", "input_schema": {"type": "object"}}]);
    let (status, _, answer) =
        json_of(anthropic(&env, "/v1/messages", &body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    let sent = env.codex.generation_requests().pop().unwrap();
    assert_eq!(
        sent.header(test_host::fake_codex::rules::LITE_HEADER),
        Some("true")
    );
    let sent = sent.json();
    assert_eq!(sent["input"][0]["type"], "additional_tools");
    assert_eq!(sent["input"][1]["content"][0]["text"], "Be terse.");
    assert!(!sent.to_string().contains("\"system\""));
}
