//! Issue 2: health, models, downstream key, request ids, routing errors, config errors, logs,
//! and the component's imports.

use crate::support::*;

#[tokio::test]
async fn healthz_needs_no_key_and_reports_token_state() {
    let env = Env::start("healthz", &[]).await;
    let (status, headers, body) =
        json_of(env.client.get(env.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["token"]["present"], false);
    assert!(headers.get("x-request-id").is_some());
    env.seed_token(3600);
    let (_, _, body) = json_of(env.client.get(env.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(body["token"]["present"], true);
    assert!(
        !body.to_string().contains("rt-initial"),
        "no secret in healthz"
    );
}

#[tokio::test]
async fn models_require_the_key() {
    let env = Env::start("models-key", &[]).await;
    let res = env.client.get(env.url("/v1/models")).send().await.unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 401);
    assert_eq!(envelope_code(&body), "invalid_api_key");

    let res = env
        .client
        .get(env.url("/v1/models"))
        .bearer_auth("sk-wrong")
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["message"], "invalid api key");

    let (status, _, body) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"gpt-5.3-codex"), "{ids:?}");
    for m in body["data"].as_array().unwrap() {
        assert_eq!(m["object"], "model");
        assert!(m["created"].is_i64());
        assert_eq!(m["owned_by"], "openai");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_generated_otherwise() {
    let env = Env::start("reqid", &[]).await;
    let res = env
        .get("/v1/models")
        .header("x-request-id", "client-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-abc-123");

    let long = "x".repeat(500);
    for sent in [None, Some("has space"), Some(long.as_str())] {
        let mut req = env.client.get(env.url("/v1/nope"));
        if let Some(id) = sent {
            req = req.header("x-request-id", id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 404);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "uuid v4: {id}");
    }
    let logs = env.logs().await;
    assert!(logs.contains("request_id=client-abc-123"), "{logs}");
}

#[tokio::test]
async fn unknown_paths_404_and_wrong_methods_405_in_the_envelope() {
    let env = Env::start("routing", &[]).await;
    let (status, _, body) = json_of(
        env.client
            .get(env.url("/v2/whatever"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(envelope_code(&body), "not_found");

    let res = env
        .client
        .get(env.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 405);
    assert_eq!(envelope_code(&body), "method_not_allowed");

    let res = env
        .client
        .delete(env.url("/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn invalid_variable_gives_config_invalid_not_a_trap() {
    // (variable, bad value, a fragment the message must carry besides the variable's name)
    for (var, value, fragment) in [
        ("upstream_mode", "bogus", "codex_oauth, openai_api"),
        ("codex_base_url", "not-a-url", "absolute http(s) URL"),
        ("log_level", "loud", "debug, info, warn, warning, error"),
        (
            "reasoning_output",
            "tags",
            "reasoning_content, think_tags, none",
        ),
    ] {
        let env = Env::start("config", &[(var, value)]).await;
        env.seed_token(3600);
        let chat = serde_json::json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]});
        let (status, headers, body) = env.post("/v1/chat/completions", &chat).await;
        assert_eq!(status, 500, "{var}");
        assert_eq!(envelope_code(&body), "config_invalid");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(var) && message.contains(fragment),
            "{body}"
        );
        assert!(headers.get("x-request-id").is_some());
        assert!(
            env.codex.generation_requests().is_empty(),
            "{var}: nothing sent upstream"
        );
    }
}

#[tokio::test]
async fn a_failing_variables_provider_is_config_invalid_never_unset() {
    crate::test_host_only!("a failing variables provider");
    let chat =
        serde_json::json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]});
    let env = Env::start_failing("provider-key", &[], &["downstream_api_key"]).await;
    let (status, _, body) = env.post("/v1/chat/completions", &chat).await;
    assert_eq!(status, 500);
    assert_eq!(envelope_code(&body), "config_invalid");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("downstream_api_key") && message.contains("provider failed"),
        "{body}"
    );
    assert!(
        !message.contains("required"),
        "not reported as unset: {body}"
    );

    // openai_api mode with an unreadable upstream key must not fall back to the OAuth token.
    let env = Env::start_failing(
        "provider-upstream",
        &[("upstream_mode", "openai_api")],
        &["upstream_api_key"],
    )
    .await;
    let record = env.seed_token(3600);
    let (status, _, body) = env.post("/v1/chat/completions", &chat).await;
    assert_eq!(status, 500);
    assert_eq!(envelope_code(&body), "config_invalid");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("upstream_api_key"));
    let (status, _, _) = env.fetch("/v1/models").await;
    assert_eq!(status, 500);
    for req in env.codex.requests() {
        assert_ne!(
            req.header("authorization"),
            Some(format!("Bearer {}", record.access_token.expose()).as_str()),
            "the OAuth token went upstream"
        );
    }
    assert!(env.codex.requests().is_empty(), "nothing sent upstream");
}

#[tokio::test]
async fn access_log_has_one_line_per_request_and_no_secrets() {
    let env = Env::start("logs", &[]).await;
    env.get("/v1/models")
        .header("x-request-id", "log-1")
        .send()
        .await
        .unwrap();
    env.client
        .get(env.url("/v1/models"))
        .bearer_auth("sk-wrong-secret-key")
        .header("x-request-id", "log-2")
        .send()
        .await
        .unwrap();
    let logs = env.logs().await;
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("gateway.request.completed"))
        // On Spin the harness probed /healthz until the gateway served.
        .filter(|l| !l.contains("path=/healthz"))
        .collect();
    assert_eq!(lines.len(), 2, "{logs}");
    assert!(lines[0].contains("request_id=log-1") && lines[0].contains("method=GET"));
    assert!(lines[0].contains("path=/v1/models") && lines[0].contains("status=200"));
    assert!(lines[0].contains("duration_ms="));
    assert!(lines[1].contains("status=401"));
    assert!(!logs.contains(KEY), "downstream key leaked into logs");
    assert!(
        !logs.contains("sk-wrong-secret-key"),
        "presented key leaked into logs"
    );
}

#[tokio::test]
async fn json_log_format_is_one_object_per_line() {
    let env = Env::start("jsonlog", &[("log_format", "json"), ("log_level", "debug")]).await;
    env.get("/v1/models").send().await.unwrap();
    let logs = env.logs().await;
    assert!(
        logs.contains("\"event\":\"gateway.request.completed\""),
        "{logs}"
    );
    for line in logs.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["request_id"].is_string());
    }
}

#[test]
fn the_wasm_is_a_component_importing_only_what_spin_provides() {
    let engine = wasmtime::Engine::default();
    let component = test_host::server::component().unwrap();
    let allowed = [
        "wasi:http/outgoing-handler@0.2.",
        "wasi:http/types@0.2.",
        "wasi:io/",
        "wasi:cli/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:filesystem/",
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:keyvalue/atomics@0.2.0-draft2",
        "fermyon:spin/variables@2.0.0",
    ];
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(!imports.is_empty());
    for import in &imports {
        assert!(
            allowed.iter().any(|a| import.starts_with(a)),
            "unexpected import {import}"
        );
    }
    let exports: Vec<String> = ty
        .exports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(
        exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@0.2.")),
        "{exports:?}"
    );
}

/// Spin pools outbound connections; a host that did not would charge every request a TCP
/// handshake the gateway does not pay in production (and skew the benchmarks).
#[tokio::test]
async fn outbound_connections_are_reused_across_requests() {
    let env = Env::start("pooling", &[]).await;
    env.seed_token(3600);
    for stream in [false, true, false, true, false, false, true, false] {
        let body = serde_json::json!({
            "model": "gpt-5.3-codex",
            "stream": stream,
            "messages": [{"role": "user", "content": "hi"}],
        });
        let res = env
            .post_json("/v1/chat/completions", &body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(!res.bytes().await.unwrap().is_empty());
    }
    assert_eq!(env.codex.generation_requests().len(), 8);
    // hyper-util returns a connection to its pool from a background task, so a request may now
    // and then race it and open a second one; without pooling this would be 8.
    assert!(
        env.codex.connections() <= 2,
        "sequential upstream calls share a keep-alive connection: {} connections for 8 calls",
        env.codex.connections()
    );
}
