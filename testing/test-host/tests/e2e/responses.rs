//! Issue 5: `/v1/responses` pass-through (bytes, normalisation, stream relay, aggregation) and
//! the `openai_api` upstream mode.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use test_host::fake_codex::{fixture_events, Scenario};

use crate::support::*;

async fn post_raw(env: &Env, path: &str, body: &str) -> reqwest::Response {
    env.client
        .post(env.url(path))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn nothing_to_change_means_byte_identical_upstream_body_and_stream() {
    let env = Env::start("resp-bytes", &[]).await;
    env.seed_token(3600);
    let body = r#"{"model":"gpt-5.4","instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"store":false,"stream":true,"tools":[],"seed_value":12345678901234567890123}"#;
    let res = post_raw(&env, "/v1/responses", body).await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("x-codex-gateway-ignored-params")
        .is_none());
    assert_eq!(
        res.headers()["x-codex-primary-used-percent"],
        "12.5",
        "rate-limit headers relayed"
    );
    let got = res.bytes().await.unwrap();
    let want: Vec<u8> = fixture_events("text").concat();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
        "events relayed unchanged"
    );
    let sent = &env.codex.generation_requests()[0];
    assert_eq!(
        sent.body.as_ref(),
        body.as_bytes(),
        "client bytes forwarded unchanged"
    );
    assert_eq!(sent.path, "/backend-api/codex/responses");
}

#[tokio::test]
async fn long_function_names_are_shortened_upstream_and_restored_in_events() {
    let env = Env::start("resp-long-tool-names", &[]).await;
    env.seed_token(3600);
    let long = format!("mcp__{}__get_weather", "weather_service_".repeat(4));
    let body = json!({
        "model": "gpt-5.4",
        "input": [
            {"role": "user", "content": "weather?"},
            {"type": "function_call", "call_id": "call_0", "name": long, "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_0", "output": "{}"},
        ],
        "tools": [{"type": "function", "name": long, "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": long},
    });
    for stream in [true, false] {
        env.codex.push(answer_with_shortened_names());
        let mut body = body.clone();
        body["stream"] = json!(stream);
        let res = post_raw(&env, "/v1/responses", &body.to_string()).await;
        assert_eq!(res.status(), 200);
        let text = String::from_utf8(res.bytes().await.unwrap().to_vec()).unwrap();
        assert!(
            !text.contains("\"mcp__get_weather\""),
            "stream={stream}: {text}"
        );
        assert!(
            text.contains(&format!("\"name\":\"{long}\"")),
            "stream={stream}"
        );
        if stream {
            // Only the renamed field differs from what the backend sent.
            let relayed: Vec<u8> = fixture_events("tool_calls_parallel").concat();
            let want = String::from_utf8(relayed)
                .unwrap()
                .replace("\"name\":\"get_weather\"", &format!("\"name\":\"{long}\""));
            assert_eq!(text, want);
        } else {
            let v: Value = serde_json::from_str(&text).unwrap();
            let names: Vec<&str> = v["output"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|item| item["name"].as_str())
                .collect();
            assert_eq!(names, [long.as_str(), "get_time"]);
        }
        let up = env.codex.generation_requests().pop().unwrap().json();
        assert_eq!(up["tools"][0]["name"], "mcp__get_weather");
        assert_eq!(up["tool_choice"]["name"], "mcp__get_weather");
        assert_eq!(up["input"][1]["name"], "mcp__get_weather");
        assert!(!up.to_string().contains(&long), "{up}");
    }
}

#[tokio::test]
async fn normalisation_keeps_key_order_and_number_precision() {
    let env = Env::start("resp-norm", &[]).await;
    env.seed_token(3600);
    let body = r#"{"model":"gpt-5.4","big":12345678901234567890123,"f":0.1000000000000000055511151231257827,"input":"hi","max_output_tokens":100,"temperature":0.5,"reasoning":{"effort":"low"},"tail":true}"#;
    let res = post_raw(&env, "/v1/responses", body).await;
    let ignored = res.headers()["x-codex-gateway-ignored-params"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        ignored.contains("max_output_tokens") && ignored.contains("temperature"),
        "{ignored}"
    );
    let (status, _, v) = json_of(res).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["object"], "response");
    let sent = String::from_utf8(env.codex.generation_requests()[0].body.to_vec()).unwrap();
    assert!(sent.contains("\"big\":12345678901234567890123"), "{sent}");
    assert!(
        sent.contains("\"f\":0.1000000000000000055511151231257827"),
        "{sent}"
    );
    let pos = |k: &str| sent.find(&format!("\"{k}\"")).unwrap_or(usize::MAX);
    assert!(
        pos("model") < pos("big")
            && pos("big") < pos("f")
            && pos("f") < pos("input")
            && pos("input") < pos("tail"),
        "{sent}"
    );
    let up: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(up["store"], false);
    assert_eq!(up["stream"], true);
    assert_eq!(up["instructions"], "You are a helpful assistant.");
    assert!(up["include"]
        .as_array()
        .unwrap()
        .contains(&json!("reasoning.encrypted_content")));
    assert!(up.get("max_output_tokens").is_none() && up.get("temperature").is_none());
}

#[tokio::test]
async fn non_stream_aggregates_and_rebuilds_empty_output() {
    let env = Env::start("resp-agg", &[]).await;
    env.seed_token(3600);
    for case in ["text", "completed_empty_output", "tool_calls_parallel"] {
        let body = json!({"model": format!("gpt-5.4@{case}"), "input": "hi"});
        let (status, _, v) = env.post("/v1/responses", &body).await;
        assert_eq!(status, 200, "{case}: {v}");
        assert_eq!(v["object"], "response");
        assert_eq!(v["status"], "completed");
        assert!(
            !v["output"].as_array().unwrap().is_empty(),
            "{case}: output rebuilt"
        );
        assert!(v["usage"]["total_tokens"].as_i64().unwrap() > 0, "{case}");
    }
    let (status, _, v) = json_of(
        env.post_json(
            "/v1/responses",
            &json!({"model": "gpt-5.4@incomplete_max_output_tokens", "input": "hi"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["status"], "incomplete");
    for (case, want) in [
        ("failed_usage_limit", 429),
        ("truncated_mid_event", 502),
        ("status-500", 502),
        ("status-400", 400),
    ] {
        let (status, _, v) = json_of(
            env.post_json(
                "/v1/responses",
                &json!({"model": format!("gpt-5.4@{case}"), "input": "hi"}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, want, "{case}: {v}");
        envelope_code(&v);
    }
}

#[tokio::test]
async fn stream_failures_are_relayed_and_cuts_get_an_error_event() {
    let env = Env::start("resp-fail", &[]).await;
    env.seed_token(3600);
    let body = json!({"model": "gpt-5.4@failed_usage_limit", "input": "hi", "stream": true});
    let text = env
        .post_json("/v1/responses", &body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text.as_bytes(),
        fixture_events("failed_usage_limit").concat().as_slice(),
        "backend's own events"
    );

    let body = json!({"model": "gpt-5.4@truncated_mid_event", "input": "hi", "stream": true});
    let text = env
        .post_json("/v1/responses", &body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.trim_end().ends_with('}'), "{text}");
    let last = text.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: error"), "{last}");
}

#[tokio::test]
async fn stream_relay_delivers_each_event_before_the_next_is_sent() {
    let env = Env::start("resp-timing", &[]).await;
    env.seed_token(3600);
    let body = json!({"model": "gpt-5.4@slow-text", "input": "hi", "stream": true});
    let res = env.post_json("/v1/responses", &body).send().await.unwrap();
    let mut stream = res.bytes_stream();
    let mut arrivals = Vec::new();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk.unwrap());
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            buf.drain(..end + 2);
            arrivals.push(Instant::now());
        }
    }
    assert!(arrivals.len() >= 5);
    for pair in arrivals.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(350),
            "events arrived together: buffered"
        );
    }
}

#[tokio::test]
async fn bad_input_and_size_limit() {
    let env = Env::start("resp-bad", &[("max_body_bytes", "2048")]).await;
    env.seed_token(3600);
    for body in ["", "nope", "[1]", "{\"input\":"] {
        let (status, _, v) = json_of(post_raw(&env, "/v1/responses", body).await).await;
        assert_eq!(status, 400, "{body:?}");
        assert_eq!(envelope_code(&v), "invalid_request");
    }
    let huge = format!(
        "{{\"model\":\"gpt-5.4\",\"input\":\"{}\"}}",
        "x".repeat(10_000)
    );
    let (status, _, v) = json_of(post_raw(&env, "/v1/responses", &huge).await).await;
    assert_eq!(status, 413);
    assert_eq!(envelope_code(&v), "payload_too_large");
    assert!(env.codex.generation_requests().is_empty());
}

#[tokio::test]
async fn openai_api_mode_proxies_all_routes_with_the_oauth_token() {
    let env = Env::start("oai-oauth", &[("upstream_mode", "openai_api")]).await;
    let record = env.seed_token(3600);
    env.codex.push(Scenario::json(200, r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"openai"}]}"#));
    let (status, _, v) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    assert_eq!(v["data"][0]["id"], "gpt-4o");

    env.codex.push(Scenario::json(
        200,
        r#"{"id":"chatcmpl-1","object":"chat.completion","choices":[]}"#,
    ));
    let chat_body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.3});
    let (status, _, v) = env.post("/v1/chat/completions", &chat_body).await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], "chatcmpl-1");

    // Streaming passes through unbuffered (the SSE fixture as an OpenAI-style upstream stream).
    let res = env
        .post_json(
            "/v1/responses",
            &json!({"model": "gpt-4o", "input": "hi", "stream": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().await.unwrap().as_bytes(),
        fixture_events("text").concat().as_slice()
    );

    // Upstream 4xx envelopes are relayed as they are; 5xx becomes 502.
    env.codex.push(Scenario::json(404, r#"{"error":{"message":"no such model","type":"invalid_request_error","code":"model_not_found"}}"#));
    let (status, _, v) = env.post("/v1/chat/completions", &chat_body).await;
    assert_eq!(status, 404);
    assert_eq!(v["error"]["code"], "model_not_found");
    env.codex.push(Scenario::json(500, r#"{"error":"boom"}"#));
    let (status, _, v) = env.post("/v1/chat/completions", &chat_body).await;
    assert_eq!(status, 502);
    envelope_code(&v);

    let reqs = env.codex.requests();
    assert_eq!(reqs[0].path, "/v1/models");
    assert_eq!(reqs[1].path, "/v1/chat/completions");
    assert_eq!(reqs[2].path, "/v1/responses");
    assert_eq!(reqs[1].json(), chat_body, "body forwarded unchanged");
    for r in &reqs {
        assert_eq!(
            r.header("authorization").unwrap(),
            format!("Bearer {}", record.access_token.expose())
        );
        assert!(
            r.header("chatgpt-account-id").is_none(),
            "account id never leaves for openai_api"
        );
        assert!(r.header("originator").is_none());
    }
}

#[tokio::test]
async fn openai_api_mode_uses_the_static_upstream_key_when_set() {
    let env = Env::start(
        "oai-key",
        &[
            ("upstream_mode", "openai_api"),
            ("upstream_api_key", "sk-upstream-static"),
        ],
    )
    .await;
    env.codex.push(Scenario::json(
        200,
        r#"{"id":"resp_1","object":"response","output":[]}"#,
    ));
    let (status, _, _) = env
        .post("/v1/responses", &json!({"model": "gpt-4o", "input": "hi"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        env.codex.requests()[0].header("authorization"),
        Some("Bearer sk-upstream-static")
    );
    assert!(!env.logs().await.contains("sk-upstream-static"));
}
