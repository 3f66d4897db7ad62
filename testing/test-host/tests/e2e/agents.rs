//! Coding agents first-class: the Codex CLI's session and feature headers reach the backend,
//! and remote compaction works both ways (v2 trigger in a normal turn, v1 `/responses/compact`).

use serde_json::{json, Value};
use test_host::fake_codex::Scenario;

use crate::support::*;

/// What Codex CLI 0.171 sends besides the body.
const CODEX_HEADERS: [(&str, &str); 9] = [
    ("x-codex-beta-features", "remote_compaction_v2"),
    ("session-id", "019a-session"),
    ("thread-id", "019a-thread"),
    ("x-client-request-id", "019a-session"),
    ("x-codex-window-id", "019a-session:0"),
    (
        "x-codex-turn-metadata",
        r#"{"turn":1,"request_kind":"turn"}"#,
    ),
    ("originator", "codex_exec"),
    ("user-agent", "codex_exec/0.171.0 (Linux 6.1; x86_64) dumb"),
    ("version", "0.171.0"),
];

fn codex_request(env: &Env, path: &str, body: &Value) -> reqwest::RequestBuilder {
    let mut req = env
        .post_json(path, body)
        .header("cookie", "session=browser");
    for (name, value) in CODEX_HEADERS {
        req = req.header(name, value);
    }
    req
}

fn turn(input_tail: Value, stream: bool) -> Value {
    json!({"model": "gpt-5.4", "instructions": "You are Codex.", "stream": stream, "store": false,
           "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                     input_tail],
           "prompt_cache_key": "019a-session"})
}

#[tokio::test]
async fn codex_session_and_feature_headers_reach_the_backend_as_sent() {
    let env = Env::start("agent-headers", &[]).await;
    env.seed_token(3600);
    let body = turn(
        json!({"type": "message", "role": "user", "content": "go"}),
        true,
    );
    let res = codex_request(&env, "/v1/responses", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = res.bytes().await.unwrap();
    let seen = env.codex.generation_requests().pop().unwrap();
    for (name, value) in CODEX_HEADERS {
        assert_eq!(seen.header(name), Some(value), "{name}");
    }
    assert_eq!(seen.header("cookie"), None);
    assert_eq!(seen.header("chatgpt-account-id"), Some("acct-test"));
    assert!(
        seen.header("authorization")
            .is_some_and(|a| !a.contains(KEY)),
        "the downstream key stays here"
    );

    // Chat clients are not Codex: their session headers pass, their identity does not.
    let res = codex_request(&env, "/v1/chat/completions", &chat_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = res.bytes().await.unwrap();
    let seen = env.codex.generation_requests().pop().unwrap();
    assert_eq!(seen.header("session-id"), Some("019a-session"));
    assert_eq!(seen.header("thread-id"), Some("019a-thread"));
    assert_eq!(seen.header("originator"), Some("codex_cli_rs"));
    assert_eq!(seen.header("x-codex-beta-features"), None);
}

#[tokio::test]
async fn a_compaction_trigger_passes_with_its_header_and_the_compaction_item_comes_back() {
    let env = Env::start("agent-compact-v2", &[]).await;
    env.seed_token(3600);
    let trigger = json!({"type": "compaction_trigger"});
    let res = codex_request(&env, "/v1/responses", &turn(trigger.clone(), true))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains(r#""type":"compaction""#), "{text}");
    assert!(text.contains("encrypted_content"), "{text}");
    assert!(text.contains("event: response.completed"), "{text}");

    let (status, _, folded) = json_of(
        codex_request(&env, "/v1/responses", &turn(trigger.clone(), false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{folded}");
    let output = folded["output"].as_array().unwrap();
    assert_eq!(output.len(), 1, "{folded}");
    assert_eq!(output[0]["type"], "compaction");
    assert!(output[0]["encrypted_content"].is_string());

    // Without the feature header the backend refuses the trigger, and the client hears why.
    let (status, _, refused) = env.post("/v1/responses", &turn(trigger, false)).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(envelope_code(&refused), "upstream_bad_request");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("compaction_trigger"));
}

#[tokio::test]
async fn responses_compact_relays_to_the_backend_with_auth_retry_and_envelopes() {
    let env = Env::start("agent-compact-v1", &[]).await;
    env.seed_token(3600);
    let body = json!({"model": "gpt-5.4", "instructions": "Compact.",
                      "input": [{"type": "message", "role": "user", "content": "hi"}]});
    let res = codex_request(&env, "/v1/responses/compact", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let length = res.headers().get("content-length").cloned();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["object"], "response.compaction");
    assert_eq!(answer["output"][0]["type"], "compaction");
    assert!(length.is_some(), "a complete answer carries its length");
    let seen = env.codex.generation_requests().pop().unwrap();
    assert!(
        seen.path.ends_with("/codex/responses/compact"),
        "{}",
        seen.path
    );
    assert_eq!(seen.json(), body, "the body goes as sent");
    assert_eq!(seen.header("accept"), Some("application/json"));
    assert_eq!(
        seen.header("x-codex-beta-features"),
        Some("remote_compaction_v2")
    );

    // A 401 renews the token once and retries.
    env.codex.push(Scenario::codex_status(401));
    let (status, _, answer) = env.post("/v1/responses/compact", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(env.oauth.refresh_calls(), 1);

    // Refusals are envelopes; bad input never goes upstream.
    env.codex.push(Scenario::codex_status(429));
    let (status, headers, refused) = env.post("/v1/responses/compact", &body).await;
    assert_eq!(status, 429, "{refused}");
    assert!(headers.get("retry-after").is_some());
    let before = env.codex.generation_requests().len();
    let (status, _, bad) = env
        .post("/v1/responses/compact", &json!(["not", "an object"]))
        .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(env.codex.generation_requests().len(), before);
    let (status, _, _) = json_of(
        env.client
            .get(env.url("/v1/responses/compact"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn responses_compact_in_openai_api_mode_goes_to_the_upstream_path() {
    let env = Env::start(
        "agent-compact-openai",
        &[
            ("upstream_mode", "openai_api"),
            ("upstream_api_key", "sk-up"),
        ],
    )
    .await;
    let body = json!({"model": "gpt-5.4", "input": [{"role": "user", "content": "hi"}]});
    let (status, _, answer) = env.post("/v1/responses/compact", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "response.compaction");
    let seen = env.codex.generation_requests().pop().unwrap();
    assert_eq!(seen.path, "/v1/responses/compact");
    assert_eq!(seen.header("authorization"), Some("Bearer sk-up"));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzEncoder::new(data, flate2::Compression::fast())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

async fn post_encoded(env: &Env, path: &str, encoding: &str, body: Vec<u8>) -> (u16, Value) {
    let res = env
        .client
        .post(env.url(path))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .header("content-encoding", encoding)
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    (status, body)
}

#[tokio::test]
async fn compressed_request_bodies_are_decoded_within_the_limit() {
    let env = Env::start("agent-encoding", &[("max_body_bytes", "1048576")]).await;
    env.seed_token(3600);
    let body = turn(
        json!({"type": "message", "role": "user", "content": "go"}),
        false,
    );
    let json = serde_json::to_vec(&body).unwrap();
    for (encoding, bytes) in [("zstd", zstd(&json)), ("gzip", gzip(&json))] {
        let (status, answer) = post_encoded(&env, "/v1/responses", encoding, bytes).await;
        assert_eq!(status, 200, "{encoding}: {answer}");
        let seen = env.codex.generation_requests().pop().unwrap();
        assert_eq!(seen.json()["input"], body["input"], "{encoding}");
        assert_eq!(seen.header("content-encoding"), None);
    }
    let chat = serde_json::to_vec(&chat_body()).unwrap();
    let (status, answer) = post_encoded(&env, "/v1/chat/completions", "gzip", gzip(&chat)).await;
    assert_eq!(status, 200, "{answer}");

    let before = env.codex.generation_requests().len();
    let (status, refused) = post_encoded(&env, "/v1/responses", "br", json.clone()).await;
    assert_eq!(status, 415, "{refused}");
    assert_eq!(envelope_code(&refused), "unsupported_content_encoding");
    let (status, _) = post_encoded(&env, "/v1/responses", "gzip", json.clone()).await;
    assert_eq!(status, 400, "not gzip: never parsed as JSON");
    // Two MiB of spaces inside a valid body: a few KiB on the wire, past the limit decoded.
    let mut padded = json.clone();
    padded.splice(1..1, std::iter::repeat_n(b' ', 2 << 20));
    let bomb = zstd(&padded);
    assert!(bomb.len() < 64 * 1024);
    let (status, refused) = post_encoded(&env, "/v1/responses", "zstd", bomb).await;
    assert_eq!(status, 413, "{refused}");
    assert_eq!(
        env.codex.generation_requests().len(),
        before,
        "none of these went upstream"
    );
}

#[tokio::test]
async fn chat_clients_without_a_cache_key_get_one_per_conversation() {
    let turn = |messages: Value| json!({"model": "gpt-5.4", "messages": messages});
    let first = json!([{"role": "system", "content": "Be terse."},
                       {"role": "user", "content": "Fix the bug."}]);
    let later = json!([{"role": "system", "content": "Be terse."},
                       {"role": "user", "content": "Fix the bug."},
                       {"role": "assistant", "content": "Which?"},
                       {"role": "user", "content": "The parser."}]);
    let env = Env::start("agent-cache-key", &[]).await;
    env.seed_token(3600);
    let mut keys = Vec::new();
    for messages in [first.clone(), later] {
        let (status, _, body) = env.post("/v1/chat/completions", &turn(messages)).await;
        assert_eq!(status, 200, "{body}");
        let seen = env.codex.generation_requests().pop().unwrap();
        let key = seen.json()["prompt_cache_key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("cgw-"), "{key}");
        assert_eq!(seen.header("session_id"), Some(key.as_str()));
        keys.push(key);
    }
    assert_eq!(keys[0], keys[1], "one conversation, one key");

    let off = Env::start("agent-cache-key-off", &[("chat_prompt_cache_key", "none")]).await;
    off.seed_token(3600);
    let (status, _, _) = off.post("/v1/chat/completions", &turn(first)).await;
    assert_eq!(status, 200);
    let seen = off.codex.generation_requests().pop().unwrap();
    assert!(seen.json().get("prompt_cache_key").is_none());
    assert_eq!(seen.header("session_id"), None);
}

#[tokio::test]
async fn the_catalog_comes_in_the_codex_shape_when_a_client_version_is_named() {
    let env = Env::start("agent-catalog", &[]).await;
    env.seed_token(3600);
    let (status, _, codex) = env.fetch("/v1/models?client_version=0.171.0").await;
    assert_eq!(status, 200, "{codex}");
    let models = codex["models"].as_array().unwrap();
    let slugs: Vec<&str> = models.iter().map(|m| m["slug"].as_str().unwrap()).collect();
    assert_eq!(
        slugs,
        [
            "gpt-5.4",
            "gpt-5.3-codex",
            "internal-preview",
            "gpt-6-sol",
            "gpt-6-astra"
        ],
        "as the backend sent it"
    );
    assert!(models[0]["base_instructions"].is_string());
    let (_, _, openai) = env.fetch("/v1/models").await;
    assert_eq!(openai["object"], "list");
    assert_eq!(env.codex.models_calls(), 1, "one fetch serves both shapes");

    let failing = Env::start("agent-catalog-down", &[]).await;
    failing.seed_token(3600);
    failing.codex.set_models(Scenario::codex_status(500));
    let (status, _, empty) = failing.fetch("/v1/models?client_version=0.171.0").await;
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({"models": []}),
        "no invented prompts: the CLI keeps its own"
    );
}
