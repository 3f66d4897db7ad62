//! How answers are framed on the wire (issue 12): a complete answer carries `content-length`
//! and is never chunked, so it can leave in one write on a host without `TCP_NODELAY`; streams
//! are chunked; `HEAD` gets the head alone; and an `openai_api` relay cut off mid-body never
//! looks complete (issue 13).

use serde_json::json;

use crate::support::*;

/// Status, headers and raw body of a response.
async fn raw(res: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// A complete answer: exact `content-length`, no `transfer-encoding`.
fn assert_sized(what: &str, headers: &reqwest::header::HeaderMap, body: &[u8]) {
    assert!(
        headers.get("transfer-encoding").is_none(),
        "{what}: chunked ({headers:?})"
    );
    let length = headers
        .get("content-length")
        .unwrap_or_else(|| panic!("{what}: no content-length ({headers:?})"));
    assert_eq!(length.to_str().unwrap(), body.len().to_string(), "{what}");
}

#[tokio::test]
async fn complete_answers_carry_content_length_and_are_not_chunked() {
    let env = Env::start("framing", &[]).await;
    env.seed_token(3600);
    let c = &env.client;
    let chat = json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]});
    let responses = json!({"model": "gpt-5.4", "input": "hi"});
    let messages = json!({"model": "gpt-5.4", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]});
    let search = json!({"model": "gpt-6-sol", "commands": {"search_query": [{"q": "x"}]}});
    let cases = [
        ("healthz", c.get(env.url("/healthz")), 200),
        ("models", env.get("/v1/models"), 200),
        ("chat", env.post_json("/v1/chat/completions", &chat), 200),
        ("responses", env.post_json("/v1/responses", &responses), 200),
        ("messages", env.post_json("/v1/messages", &messages), 200),
        (
            "count_tokens",
            env.post_json("/v1/messages/count_tokens", &messages),
            200,
        ),
        ("alpha search", env.post_json("/v1/alpha/search", &search), 200),
        ("hello", c.get(env.url("/api/hello")), 200),
        (
            "messages without a key",
            c.post(env.url("/v1/messages")).json(&messages),
            401,
        ),
        ("no key", c.get(env.url("/v1/models")), 401),
        ("unknown route", env.get("/v1/nope"), 404),
        ("wrong method", c.get(env.url("/v1/chat/completions")), 405),
        (
            "bad body",
            env.post_json("/v1/chat/completions", &json!({"messages": 3})),
            400,
        ),
        (
            "upstream 429",
            env.post_json(
                "/v1/chat/completions",
                &json!({"model": "gpt-5.4@status-429", "messages": [{"role": "user", "content": "hi"}]}),
            ),
            429,
        ),
    ];
    for (what, request, want) in cases {
        let (status, headers, body) = raw(request.send().await.unwrap()).await;
        assert_eq!(status, want, "{what}: {}", String::from_utf8_lossy(&body));
        assert_sized(what, &headers, &body);
    }
}

#[tokio::test]
async fn streams_are_chunked_with_no_length() {
    let env = Env::start("framing-stream", &[]).await;
    env.seed_token(3600);
    for (path, body) in [
        (
            "/v1/chat/completions",
            json!({"model": "gpt-5.4", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-5.4", "stream": true, "input": "hi"}),
        ),
        (
            "/v1/messages",
            json!({"model": "gpt-5.4", "stream": true, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}),
        ),
    ] {
        let (status, headers, bytes) = raw(env.post_json(path, &body).send().await.unwrap()).await;
        assert_eq!(status, 200, "{path}");
        assert!(headers.get("content-length").is_none(), "{path}");
        assert_eq!(headers["content-type"], "text/event-stream", "{path}");
        assert!(!bytes.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn head_healthz_answers_with_the_head_alone() {
    let env = Env::start("framing-head", &[]).await;
    let (_, get_headers, get_body) =
        raw(env.client.get(env.url("/healthz")).send().await.unwrap()).await;
    let res = env.client.head(env.url("/healthz")).send().await.unwrap();
    let (status, headers, body) = raw(res).await;
    assert_eq!(status, 200);
    assert!(body.is_empty(), "HEAD carried a body");
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers.get("transfer-encoding").is_none());
    assert_eq!(
        headers["content-length"].to_str().unwrap(),
        get_body.len().to_string(),
        "HEAD announces the GET body's length"
    );
    assert!(get_headers.get("content-length").is_some());
}

#[tokio::test]
async fn openai_api_relays_keep_the_upstream_length() {
    let env = Env::start(
        "framing-relay",
        &[
            ("upstream_mode", "openai_api"),
            ("upstream_api_key", "sk-up"),
        ],
    )
    .await;
    let (status, headers, body) = raw(env.get("/v1/models").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_sized("relayed models", &headers, &body);
}

#[tokio::test]
async fn a_cut_openai_api_json_answer_is_aborted_not_finished() {
    let env = Env::start(
        "relay-cut-json",
        &[
            ("upstream_mode", "openai_api"),
            ("upstream_api_key", "sk-up"),
        ],
    )
    .await;
    let chat =
        json!({"model": "gpt-5.4@cutjson", "messages": [{"role": "user", "content": "MARKER"}]});
    let res = env
        .post_json("/v1/chat/completions", &chat)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.bytes().await.is_err(),
        "a truncated JSON body must not end cleanly"
    );
    let logs = env.logs().await;
    assert!(logs.contains("gateway.stream.failed"), "{logs}");
}

/// A 200 stream's whole text and its last event.
async fn stream_and_last_event(
    env: &Env,
    path: &str,
    body: &serde_json::Value,
) -> (String, String) {
    let (status, _, bytes) = raw(env.post_json(path, body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{path}");
    let text = String::from_utf8(bytes).unwrap();
    let last = text.trim_end().rsplit("\n\n").next().unwrap().to_owned();
    (text, last)
}

#[tokio::test]
async fn a_cut_openai_api_stream_ends_with_an_error_event() {
    let env = Env::start(
        "relay-cut-sse",
        &[
            ("upstream_mode", "openai_api"),
            ("upstream_api_key", "sk-up"),
        ],
    )
    .await;
    let chat = json!({"model": "gpt-5.4@cut-text", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let (text, last) = stream_and_last_event(&env, "/v1/chat/completions", &chat).await;
    assert!(last.starts_with("data: {\"error\":"), "{text}");

    let responses = json!({"model": "gpt-5.4@cut-text", "stream": true, "input": "hi"});
    let (text, last) = stream_and_last_event(&env, "/v1/responses", &responses).await;
    assert!(last.starts_with("event: error\n"), "{text}");
    let data: serde_json::Value =
        serde_json::from_str(last.split_once("data: ").unwrap().1).unwrap();
    assert_eq!(data["type"], "error");
    let before: Vec<u64> = text
        .match_indices("\"sequence_number\":")
        .filter_map(|(i, k)| {
            text[i + k.len()..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect();
    let (error_seq, relayed) = before.split_last().unwrap();
    assert_eq!(*error_seq, relayed.iter().max().unwrap() + 1, "{text}");
    let logs = env.logs().await;
    assert_eq!(logs.matches("gateway.stream.failed").count(), 2, "{logs}");
}

#[tokio::test]
async fn a_chat_stream_cut_after_it_started_is_logged() {
    let env = Env::start("chat-cut-log", &[]).await;
    env.seed_token(3600);
    let chat = json!({"model": "gpt-5.4@cut-text", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, body) = raw(env
        .post_json("/v1/chat/completions", &chat)
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("data: {\"error\":"));
    let logs = env.logs().await;
    assert!(logs.contains("gateway.stream.failed"), "{logs}");
}
