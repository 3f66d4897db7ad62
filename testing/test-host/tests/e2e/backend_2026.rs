//! Issue 24: the Codex backend as it behaves in late 2026. The fake backend enforces each rule
//! (`test_host::fake_codex::rules`): version gating in the catalog and on requests, the identity
//! requirement, no system items, the lite shape for a lite request, refused parameters, and
//! capacity refusals inside a 200 stream.

use serde_json::{json, Value};
use test_host::fake_codex::rules::LITE_HEADER;

use crate::accounts::{seed_accounts, THREE};
use crate::support::*;

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "system", "content": "Be terse."},
                                         {"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn the_default_identity_reaches_the_newest_models() {
    let env = Env::start("b26-identity", &[]).await;
    env.seed_token(3600);
    let (status, _, list) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    let listed = ids(&list);
    for model in ["gpt-6-sol", "gpt-6-astra"] {
        assert!(listed.iter().any(|id| id == model), "{listed:?}");
    }
    let catalog = env
        .codex
        .requests()
        .into_iter()
        .find(|r| r.path.contains("/codex/models"));
    assert!(catalog.unwrap().path.ends_with("?client_version=0.171.0"));
    for model in ["gpt-6-astra", "gpt-5.6-luna"] {
        let (status, _, body) = env.post("/v1/chat/completions", &chat(model)).await;
        assert_eq!(status, 200, "{model}: {body}");
    }
    let sent = env.codex.generation_requests().pop().unwrap();
    assert_eq!(sent.header("version"), Some("0.171.0"));
    assert_eq!(sent.header("originator"), Some("codex_cli_rs"));
    assert!(sent
        .header("user-agent")
        .unwrap()
        .starts_with("codex_cli_rs/0.171.0 "));

    // A Codex client's own identity replaces the gateway's.
    let res = env
        .post_json(
            "/v1/responses",
            &json!({"model": "gpt-6-astra", "input": "hi"}),
        )
        .header("originator", "codex_exec")
        .header("version", "0.170.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let sent = env.codex.generation_requests().pop().unwrap();
    assert_eq!(
        (sent.header("originator"), sent.header("version")),
        (Some("codex_exec"), Some("0.170.0"))
    );
}

#[tokio::test]
async fn an_old_version_lists_no_newer_model_and_its_refusal_names_the_fix() {
    let env = Env::start("b26-old", &[("codex_client_version", "0.150.0")]).await;
    env.seed_token(3600);
    let (_, _, list) = env.fetch("/v1/models").await;
    assert!(
        !ids(&list).iter().any(|id| id.starts_with("gpt-6")),
        "{list}"
    );
    let (_, _, codex) = env.fetch("/v1/models?client_version=0.150.0").await;
    assert!(!codex.to_string().contains("gpt-6"), "{codex}");
    for (path, body) in [
        ("/v1/chat/completions", chat("gpt-6-sol")),
        (
            "/v1/responses",
            json!({"model": "gpt-6-astra", "input": "hi"}),
        ),
    ] {
        let (status, _, answer) = env.post(path, &body).await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!(envelope_code(&answer), "client_version_too_old");
        let message = answer["error"]["message"].as_str().unwrap();
        let model = body["model"].as_str().unwrap();
        for part in [
            format!("The '{model}' model requires a newer version of Codex"),
            "`codex_client_version`".to_owned(),
            "0.150.0".to_owned(),
        ] {
            assert!(message.contains(&part), "{part} in {message}");
        }
    }
}

#[tokio::test]
async fn no_system_item_or_refused_parameter_reaches_the_backend() {
    let env = Env::start("b26-system", &[]).await;
    env.seed_token(3600);
    let body = json!({
        "model": "gpt-5.4", "temperature": 0.2, "service_tier": "flex", "safety_identifier": "u1",
        "prompt_cache_retention": "24h", "previous_response_id": "resp_1",
        "stream_options": {"include_obfuscation": false},
        "input": [{"role": "system", "content": "Be terse."},
                  {"role": "user", "content": [{"type": "input_text", "text": "hi",
                                                "prompt_cache_breakpoint": {}}]}],
    });
    let (status, headers, answer) = env.post("/v1/responses", &body).await;
    assert_eq!(status, 200, "{answer}");
    let ignored = headers["x-codex-gateway-ignored-params"].to_str().unwrap();
    for name in [
        "temperature",
        "service_tier",
        "safety_identifier",
        "prompt_cache_retention",
        "previous_response_id",
        "stream_options",
        "input[].prompt_cache_breakpoint",
    ] {
        assert!(ignored.contains(name), "{name} in {ignored}");
    }
    let sent = env.codex.generation_requests().pop().unwrap().json();
    assert_eq!(sent["input"][0]["role"], "developer", "in place: {sent}");
    assert_eq!(sent["input"][0]["content"], "Be terse.");

    // Chat: system text is the instructions, also mid-conversation.
    let mut chat = chat("gpt-5.4");
    chat["messages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "system", "content": "Environment: linux"}));
    let (status, _, answer) = env.post("/v1/chat/completions", &chat).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn a_lite_model_is_sent_in_the_lite_shape_once_the_catalog_says_so() {
    let env = Env::start("b26-lite", &[]).await;
    env.seed_token(3600);
    let mut body = chat("gpt-6-sol");
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
                             "parameters": {"type": "object"}}}]);
    let (status, _, before) = env.post("/v1/chat/completions", &body).await;
    assert_eq!(status, 200, "{before}");
    let plain = env.codex.generation_requests().pop().unwrap();
    assert_eq!(
        plain.header(LITE_HEADER),
        None,
        "no catalog yet: the plain shape"
    );
    assert!(plain.json()["tools"].is_array());

    let (status, _, _) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    let (status, _, after) = env.post("/v1/chat/completions", &body).await;
    assert_eq!(status, 200, "{after}");
    let lite = env.codex.generation_requests().pop().unwrap();
    assert_eq!(lite.header(LITE_HEADER), Some("true"));
    let sent = lite.json();
    assert!(
        sent.get("tools").is_none() && sent.get("instructions").is_none(),
        "{sent}"
    );
    assert_eq!(sent["parallel_tool_calls"], false);
    assert_eq!(sent["reasoning"]["context"], "all_turns");
    assert_eq!(sent["input"][0]["type"], "additional_tools");
    assert_eq!(
        sent["input"][0]["tools"][0]["tools"][0]["name"],
        "get_weather"
    );
    assert_eq!(sent["input"][1]["role"], "developer");
    assert_eq!(sent["input"][1]["content"][0]["text"], "Be terse.");
    let strip = |mut v: Value| {
        v.as_object_mut().map(|o| {
            o.remove("id");
            o.remove("created")
        });
        v
    };
    assert_eq!(
        strip(before),
        strip(after),
        "the client sees the same answer"
    );

    // Other models are unchanged.
    env.post("/v1/chat/completions", &chat("gpt-5.4")).await;
    let other = env.codex.generation_requests().pop().unwrap();
    assert_eq!(other.header(LITE_HEADER), None);
}

#[tokio::test]
async fn an_overload_inside_the_stream_is_a_503_and_never_fails_over() {
    let env = Env::start("b26-overload", &[]).await;
    env.seed_token(3600);
    let model = "gpt-5.4@failed_overloaded";
    for path in ["/v1/chat/completions", "/v1/responses"] {
        let body = json!({"model": model, "messages": [{"role": "user", "content": "hi"}],
                          "input": "hi"});
        let (status, headers, answer) = env.post(path, &body).await;
        assert_eq!(status, 503, "{path}: {answer}");
        assert_eq!(envelope_code(&answer), "server_overloaded");
        assert_eq!(headers["retry-after"], "5");
    }
    let mut stream = chat(model);
    stream["stream"] = json!(true);
    // Nothing has reached the client yet, so a stream is refused the same way: an SDK retries
    // a 503 with Retry-After, where it would give up on an error event after a 200.
    let (status, headers, answer) = env.post("/v1/chat/completions", &stream).await;
    assert_eq!(
        (status, envelope_code(&answer)),
        (503, "server_overloaded".into())
    );
    assert_eq!(headers["retry-after"], "5");

    let shared = Env::start("b26-overload-accounts", &[]).await;
    seed_accounts(&shared, &THREE, 3600);
    let (status, _, answer) = shared.post("/v1/chat/completions", &chat(model)).await;
    assert_eq!(status, 503, "{answer}");
    let tried = shared.codex.generation_requests().len();
    assert_eq!(
        tried, 1,
        "the capacity is not the account's: no second account tried"
    );
}

#[tokio::test]
async fn standalone_web_search_is_relayed_to_the_backend() {
    let env = Env::start("b26-search", &[]).await;
    let token = env.seed_token(3600);
    let body = json!({"id": "thread-1", "model": "gpt-6-sol",
                      "input": [{"type": "message", "role": "user",
                                 "content": [{"type": "input_text", "text": "news"}]}],
                      "commands": {"search_query": [{"q": "codex gateway"}]},
                      "settings": {"allowed_callers": ["direct"], "external_web_access": true},
                      "max_output_tokens": 10000});
    let (status, _, answer) = env.post("/v1/alpha/search", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["output"], "search-ok: 3 results for codex gateway");
    let sent = env.codex.requests().pop().unwrap();
    assert_eq!(sent.path, "/backend-api/codex/alpha/search");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", token.access_token.expose()).as_str())
    );
    assert_eq!(sent.json(), body, "relayed as sent");

    // What every request is refused for is cleaned here too.
    let mut system = body.clone();
    system["input"] = json!([{"role": "system", "content": "be brief"}]);
    let (status, _, answer) = env.post("/v1/alpha/search", &system).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        env.codex.requests().pop().unwrap().json()["input"][0]["role"],
        "developer"
    );

    let (status, _, refused) = env.post("/v1/alpha/search", &json!({"model": "m"})).await;
    assert_eq!(status, 400, "the backend's own refusal: {refused}");
    let res = env
        .client
        .post(env.url("/v1/alpha/search"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_lite_model_with_a_hosted_tool_goes_plain_without_the_lite_header() {
    let env = Env::start("b26-lite-hosted", &[]).await;
    env.seed_token(3600);
    let (status, _, _) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    let body = json!({"model": "gpt-6-sol", "input": "news?", "tools": [{"type": "web_search"}]});
    let (status, _, answer) = env.post("/v1/responses", &body).await;
    assert_eq!(status, 200, "{answer}");
    let sent = env.codex.generation_requests().pop().unwrap();
    assert_eq!(sent.header(LITE_HEADER), None);
    assert_eq!(sent.json()["tools"], json!([{"type": "web_search"}]));
}
