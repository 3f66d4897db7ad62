//! Issue 7: the bad-input matrix (every route × every kind of bad input) and the fault matrix
//! (every way the backend can fail), end to end. Each cell has a defined answer; none may be a
//! 500, a trap, a hang, or a secret in the reply or the log, and the key-value store stays sane.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use test_host::fake_codex::Scenario;
use test_host::fake_oauth::Mode;

use crate::support::*;

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/responses"),
    ("GET", "/v1/models"),
    ("GET", "/healthz"),
];

fn nested(depth: usize) -> String {
    format!(
        "{{\"model\":\"gpt-5.4\",\"messages\":[{{\"role\":\"user\",\"content\":{}1{}}}]}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Bodies and the status each POST route must answer with (GET routes ignore bodies: 200).
fn bad_bodies() -> Vec<(&'static str, Vec<u8>, &'static str, u16)> {
    vec![
        ("empty body", Vec::new(), "application/json", 400),
        ("not json", b"hello".to_vec(), "application/json", 400),
        ("json array", b"[1,2]".to_vec(), "application/json", 400),
        ("json scalar", b"42".to_vec(), "application/json", 400),
        (
            "wrong field types",
            br#"{"model":7,"messages":{},"input":false,"stream":"yes"}"#.to_vec(),
            "application/json",
            400,
        ),
        (
            "deeply nested",
            nested(5000).into_bytes(),
            "application/json",
            400,
        ),
        (
            "invalid utf-8",
            b"{\"model\":\"gpt-5.4\xff\xfe\",\"input\":\"x\"}".to_vec(),
            "application/json",
            400,
        ),
        (
            "wrong content-type, bad body",
            b"a=b&c=d".to_vec(),
            "application/x-www-form-urlencoded",
            400,
        ),
    ]
}

fn assert_no_secrets(env: &Env, text: &str) {
    for secret in [KEY, "rt-initial", env.oauth.current_refresh().as_str()] {
        assert!(!text.contains(secret), "secret leaked: {secret}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_matrix() {
    let env = Env::start("bad-matrix", &[]).await;
    env.seed_token(3600);
    for (method, path) in ROUTES {
        for (name, body, content_type, want) in bad_bodies() {
            let req = env
                .client
                .request(method.parse().unwrap(), env.url(path))
                .bearer_auth(KEY)
                .header("content-type", content_type)
                .body(body);
            let res = tokio::time::timeout(Duration::from_secs(30), req.send())
                .await
                .expect("hang")
                .unwrap();
            let status = res.status().as_u16();
            let expected = if *method == "GET" { 200 } else { want };
            let text = res.text().await.unwrap();
            assert_no_secrets(&env, &text);
            assert_eq!(status, expected, "{method} {path} × {name}: {text}");
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{path} × {name}: not JSON: {text}"));
            if status >= 400 {
                assert!(v["error"]["code"].is_string(), "{path} × {name}: {v}");
            }
        }
    }
    assert!(
        env.codex.generation_requests().is_empty(),
        "bad input never reaches upstream"
    );
    assert_no_secrets(&env, &env.logs().await);
}

/// An oversized body is refused from its declared length alone: the gateway answers 413 while
/// the client has sent only the headers, so nothing of the body is ever read.
#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env = Env::start("too-large", &[]).await;
    let addr = env.host.base_url().trim_start_matches("http://").to_owned();
    for path in ["/v1/chat/completions", "/v1/responses"] {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            17u64 << 20
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        // Head and body may arrive in separate reads (the WASIp3 build hands Spin its head
        // before its body): read until the envelope is in.
        let mut text = String::new();
        let mut buf = vec![0u8; 4096];
        while !text.contains("payload_too_large") {
            let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
                .await
                .expect("hang")
                .unwrap();
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        assert!(text.starts_with("HTTP/1.1 413"), "{path}: {text}");
        assert!(text.contains("payload_too_large"), "{path}: {text}");
    }
}

#[tokio::test]
async fn authorization_matrix() {
    let env = Env::start("auth-matrix", &[]).await;
    env.seed_token(3600);
    let long_key = format!("Bearer {}", "k".repeat(70_000));
    let cases: &[(&str, Vec<&str>, u16)] = &[
        ("exact", vec!["Bearer KEY"], 200),
        ("lower-case scheme", vec!["bearer KEY"], 200),
        ("upper-case scheme", vec!["BEARER KEY"], 200),
        ("extra spaces", vec!["Bearer    KEY  "], 200),
        ("tab", vec!["Bearer\tKEY"], 401),
        ("no scheme", vec!["KEY"], 401),
        ("basic", vec!["Basic KEY"], 401),
        ("empty", vec![""], 401),
        ("wrong key", vec!["Bearer sk-nope"], 401),
        ("key prefix", vec!["Bearer sk-e2e"], 401),
        ("duplicate headers", vec!["Bearer KEY", "Bearer KEY"], 401),
        ("very long key", vec![long_key.as_str()], 431),
    ];
    for (name, values, want) in cases {
        let mut req = env.client.get(env.url("/v1/models"));
        for v in values {
            req = req.header("authorization", v.replace("KEY", KEY));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, *want, "{name}: {text}");
        assert_no_secrets(&env, &text);
    }
    assert_no_secrets(&env, &env.logs().await);
    assert!(!env.logs().await.contains("sk-nope"));
}

#[tokio::test]
async fn too_many_headers_is_431() {
    let env = Env::start("headers-431", &[]).await;
    let mut req = env.get("/v1/models");
    for i in 0..150 {
        req = req.header(format!("x-extra-{i}"), "1");
    }
    // Like Spin (hyper underneath), the host refuses more than 100 headers before the guest runs.
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 431);
}

#[tokio::test]
async fn spin_named_headers_count_toward_the_header_limit() {
    let env = Env::start("headers-spin", &[]).await;
    let pad = "p".repeat(1024);
    for prefix in ["x-pad", "spin-x"] {
        let mut req = env.get("/v1/models");
        for i in 0..80 {
            req = req.header(format!("{prefix}-{i}"), &pad);
        }
        let (status, _, body) = json_of(req.send().await.unwrap()).await;
        assert_eq!(status, 431, "{prefix}-*: {body}");
        assert_eq!(envelope_code(&body), "headers_too_large", "{body}");
    }
}

/// What a chat call answers for a scripted upstream failure: (status, code) non-stream.
fn fault_cases() -> Vec<(&'static str, Scenario, u16, &'static str)> {
    let big_event = format!(
        "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"delta\":\"{}\"}}\n\n",
        "x".repeat(9 << 20)
    );
    let sse = |body: &str| Scenario::Raw {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body: body.to_owned(),
    };
    vec![
        (
            "reset before headers",
            Scenario::Drop,
            502,
            "upstream_unavailable",
        ),
        (
            "reset mid-stream",
            Scenario::CutAfter {
                case: "text".into(),
                events: 7,
            },
            502,
            "upstream_error",
        ),
        (
            "garbage sse",
            sse("garbage\nmore garbage\n\n: comment\n\n"),
            502,
            "upstream_error",
        ),
        (
            "malformed known event",
            sse("event: response.output_text.delta\ndata: {nope\n\n"),
            502,
            "upstream_error",
        ),
        (
            "event larger than the buffer",
            sse(&big_event),
            502,
            "upstream_error",
        ),
        ("empty 200 stream", sse(""), 502, "upstream_error"),
        (
            "403",
            Scenario::json(403, r#"{"detail":"Forbidden"}"#),
            403,
            "",
        ),
        ("404", Scenario::codex_status(404), 404, ""),
        (
            "404 usage limit",
            Scenario::json(
                404,
                r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":60}}"#,
            ),
            429,
            "usage_limit_reached",
        ),
        (
            "429",
            Scenario::codex_status(429),
            429,
            "usage_limit_reached",
        ),
        ("500", Scenario::codex_status(500), 502, "upstream_error"),
        ("502", Scenario::codex_status(502), 502, "upstream_error"),
        ("503", Scenario::codex_status(503), 502, ""),
    ]
}

fn store_is_sane(env: &Env) {
    let record = env
        .stored_token()
        .expect("token record still there and valid JSON");
    assert!(!record.access_token.is_empty());
    assert!(
        !env.kv()
            .keys()
            .unwrap()
            .iter()
            .any(|k| k.starts_with("codex-gateway/lease-holder/")),
        "no lease left held"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_non_stream_and_stream() {
    let env = Env::start("faults", &[]).await;
    env.seed_token(3600);
    let body = json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]});
    for (name, scenario, status_want, code_want) in fault_cases() {
        env.codex.push(scenario.clone());
        let res = tokio::time::timeout(
            Duration::from_secs(30),
            env.post_json("/v1/chat/completions", &body).send(),
        )
        .await
        .expect("hang")
        .unwrap();
        let (status, headers, v) = json_of(res).await;
        let accept = if name == "503" {
            status == 502 || status == 503
        } else {
            status == status_want
        };
        assert!(accept, "{name}: got {status}, want {status_want}: {v}");
        let code = envelope_code(&v);
        if !code_want.is_empty() {
            assert_eq!(code, code_want, "{name}");
        }
        if status == 429 {
            assert!(headers.get("retry-after").is_some(), "{name}");
        }
        store_is_sane(&env);

        // The same fault on a stream: either the real status before any output, or an error
        // event at the end of the stream — never a finish_reason "stop" or [DONE].
        env.codex.push(scenario);
        let mut streaming = body.clone();
        streaming["stream"] = json!(true);
        let res = env
            .post_json("/v1/chat/completions", &streaming)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = tokio::time::timeout(Duration::from_secs(30), res.text())
            .await
            .expect("hang")
            .unwrap();
        if status == 200 {
            assert!(
                !text.contains("[DONE]") && !text.contains("\"finish_reason\":\"stop\""),
                "{name}: {text}"
            );
            let last = text.trim_end().rsplit("\n\n").next().unwrap();
            assert!(last.starts_with("data: {\"error\""), "{name}: {last}");
        } else {
            assert!(status >= 400 && status != 500, "{name}: {status}");
        }
        store_is_sane(&env);
    }
    assert_eq!(
        env.oauth.refresh_calls(),
        0,
        "no fault here is an auth fault"
    );
}

#[tokio::test]
async fn upstream_401_twice_and_token_endpoint_down() {
    let env = Env::start("faults-auth", &[]).await;
    env.seed_token(3600);
    env.codex.push(Scenario::codex_status(401));
    env.oauth.set_mode(Mode::Down);
    let body = json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, v) = env.post("/v1/chat/completions", &body).await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(envelope_code(&v), "oauth_refresh_failed");
    store_is_sane(&env);
}

#[tokio::test]
async fn responses_stream_reset_mid_stream_appends_an_error_event() {
    let env = Env::start("faults-resp", &[]).await;
    env.seed_token(3600);
    env.codex.push(Scenario::CutAfter {
        case: "text".into(),
        events: 7,
    });
    let res = env
        .post_json(
            "/v1/responses",
            &json!({"model": "gpt-5.4", "input": "hi", "stream": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = String::new();
    let mut stream = res.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    let last = body.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: error"), "{last}");
    store_is_sane(&env);
}

/// Issue 13: the client's own text never reaches the log, at any level, whatever fails: bad
/// input of every kind, upstream errors that quote the prompt, in-stream failures.
#[tokio::test]
async fn client_text_never_reaches_the_log() {
    const MARK: &str = "MARKER-7f3a";
    let env = Env::start("log-privacy", &[("log_level", "debug")]).await;
    env.seed_token(3600);
    let m = |s: &str| format!("{MARK} {s}");
    let chat = |extra: Value| {
        let mut body =
            json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": m("hi")}]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    let bad: Vec<(&str, String)> = vec![
        (
            "/v1/chat/completions",
            json!({"model": m("model"), "messages": m("my secret prompt")}).to_string(),
        ),
        (
            "/v1/chat/completions",
            json!({"model": "gpt-5.4", "messages": [{"role": m("role"), "content": m("x")}]})
                .to_string(),
        ),
        (
            "/v1/chat/completions",
            chat(json!({"reasoning_effort": m("effort")})),
        ),
        (
            "/v1/chat/completions",
            chat(
                json!({"tool_choice": m("choice"), "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}),
            ),
        ),
        (
            "/v1/chat/completions",
            chat(json!({"verbosity": m("verbosity")})),
        ),
        (
            "/v1/chat/completions",
            chat(json!({"n": 3, "stop": m("stop")})),
        ),
        (
            "/v1/chat/completions",
            chat(json!({"response_format": {"type": m("fmt")}})),
        ),
        ("/v1/chat/completions", format!("{{\"model\":\"{MARK}")),
        (
            "/v1/chat/completions",
            format!("{{\"model\":\"x\",\"messages\":[\"{MARK}\"] trailing"),
        ),
        (
            "/v1/responses",
            json!({"model": 7, "input": m("prompt")}).to_string(),
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-5.4", "input": [{"type": m("item")}], "stream": m("yes")})
                .to_string(),
        ),
        ("/v1/responses", format!("{{\"input\":\"{MARK}")),
    ];
    for (path, body) in &bad {
        let res = env
            .client
            .post(env.url(path))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        // /v1/responses relays what it need not read: only its unreadable bodies are 400s.
        if *path == "/v1/chat/completions" || !body.ends_with('}') {
            assert_eq!(res.status(), 400, "{path} {body}");
        }
    }
    let failures = [
        Scenario::json(400, &format!(r#"{{"detail":"Invalid prompt: {MARK}"}}"#)),
        Scenario::json(500, &format!(r#"{{"error":{{"message":"echo {MARK}"}}}}"#)),
        Scenario::Raw {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body: format!(
                "event: response.failed\ndata: {{\"type\":\"response.failed\",\"response\":{{\"error\":{{\"code\":\"server_error\",\"message\":\"{MARK} quoted\"}}}}}}\n\n"
            ),
        },
    ];
    for stream in [false, true] {
        for path in ["/v1/chat/completions", "/v1/responses"] {
            for failure in failures.clone() {
                env.codex.push(failure);
                let body = if path == "/v1/responses" {
                    json!({"model": "gpt-5.4", "input": m("prompt"), "stream": stream})
                } else {
                    json!({"model": "gpt-5.4", "stream": stream, "messages": [{"role": "user", "content": m("prompt")}]})
                };
                let res = env.post_json(path, &body).send().await.unwrap();
                let _ = res.bytes().await;
            }
        }
    }
    let logs = env.logs().await;
    assert!(logs.contains("gateway.request.error"), "{logs}");
    assert!(!logs.contains(MARK), "client text in the log:\n{logs}");
}

/// Issue 13: a non-stream answer too large to fold is a 502 that says why, not a trap; the
/// same answer streams.
#[tokio::test]
async fn an_answer_too_large_to_fold_is_an_envelope_and_streams_fine() {
    let env = Env::start("fold-limit", &[]).await;
    env.seed_token(3600);
    let delta = "x".repeat(7 << 20);
    let mut body = String::new();
    for i in 0..10 {
        body.push_str(&format!(
            "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"sequence_number\":{i},\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"delta\":\"{delta}\"}}\n\n"
        ));
    }
    let big = Scenario::Raw {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body,
    };
    for path in ["/v1/chat/completions", "/v1/responses"] {
        env.codex.push(big.clone());
        let request = if path == "/v1/responses" {
            json!({"model": "gpt-5.4", "input": "hi"})
        } else {
            chat_body()
        };
        let (status, _, body) = env.post(path, &request).await;
        assert_eq!(status, 502, "{path}: {body}");
        assert_eq!(envelope_code(&body), "answer_too_large");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stream"));
    }
    env.codex.push(big);
    let streamed = json!({"model": "gpt-5.4", "input": "hi", "stream": true});
    let res = env
        .post_json("/v1/responses", &streamed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.len() > 70 << 20, "the stream relays every byte");
}

/// Issue 13: a body exactly at the largest `max_body_bytes` allowed is served, not a trap.
#[tokio::test]
async fn a_body_at_the_largest_limit_is_served() {
    let cap = gateway_core::config::MAX_BODY_BYTES_CAP;
    let env = Env::start("body-cap", &[("max_body_bytes", &cap.to_string())]).await;
    env.seed_token(3600);
    let head = r#"{"model":"gpt-5.4","messages":[{"role":"user","content":[{"type":"text","text":"describe"},{"type":"image_url","image_url":{"url":"data:image/png;base64,"#;
    let tail = r#""}}]}]}"#;
    let mut body = String::with_capacity(cap);
    body.push_str(head);
    body.push_str(&"A".repeat(cap - head.len() - tail.len()));
    body.push_str(tail);
    assert_eq!(body.len(), cap);
    let res = env
        .client
        .post(env.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, _, answer) = json_of(res).await;
    assert_eq!(status, 200, "{answer}");
    let over = Env::start(
        "body-cap-over",
        &[("max_body_bytes", &(cap + 1).to_string())],
    )
    .await;
    let (status, _, answer) = over.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 500);
    assert_eq!(envelope_code(&answer), "config_invalid");
}
