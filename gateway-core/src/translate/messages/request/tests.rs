//! Anthropic → Codex: Claude Code's own requests (recorded, `testing/fixtures/anthropic`) and a
//! table of the smaller rules.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../testing/fixtures/anthropic/claude-code/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn translate(body: &[u8]) -> (Translated, Value) {
    let t = messages_to_responses(body, Some("from-header"), str::to_owned).unwrap();
    let upstream = serde_json::from_slice(&t.body).unwrap();
    (t, upstream)
}

fn roles(upstream: &Value) -> Vec<String> {
    upstream["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["role"]
                .as_str()
                .or_else(|| i["type"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn claude_codes_first_turn() {
    let (t, up) = translate(&fixture("turn1.request.json"));
    assert_eq!(t.client_model, "gpt-5.4");
    assert!(t.stream);
    assert_eq!(t.thinking, ThinkingOut::Omitted);
    assert_eq!(
        t.session_id.as_deref(),
        Some("fdc5afc9-0c0d-45f4-81f8-69d20838d33e")
    );
    assert_eq!(
        up["prompt_cache_key"],
        "fdc5afc9-0c0d-45f4-81f8-69d20838d33e"
    );
    assert_eq!(t.ignored, ["max_tokens", "metadata", "context_management"]);
    let instructions = up["instructions"].as_str().unwrap();
    assert!(!instructions.contains("x-anthropic-billing-header"));
    assert!(
        instructions.starts_with("You are a Claude agent"),
        "{}",
        &instructions[..80]
    );
    assert!(
        !roles(&up).contains(&"system".to_owned()),
        "{:?}",
        roles(&up)
    );
    assert_eq!(roles(&up), ["user", "developer"]);
    assert_eq!(
        up["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );
    assert_eq!(up["store"], false);
    assert_eq!(up["include"], json!(["reasoning.encrypted_content"]));
    let tools = up["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 12);
    for tool in tools {
        assert_eq!(tool["type"], "function");
        let text = tool.to_string();
        for gone in ["cache_control", "defer_loading", "$schema", "input_schema"] {
            assert!(!text.contains(gone), "{gone} in {}", tool["name"]);
        }
    }
    assert_eq!(up["tool_choice"], "auto");
    assert_eq!(up["parallel_tool_calls"], true);
}

#[test]
fn claude_codes_turn_after_a_tool_call() {
    let (_, up) = translate(&fixture("turn2.request.json"));
    // The thinking block was signed by another server: dropped, the conversation goes on.
    assert_eq!(
        roles(&up),
        ["user", "developer", "function_call", "function_call_output"]
    );
    let call = &up["input"][2];
    assert_eq!(call["name"], "Bash");
    let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args["command"], "echo cc-ok");
    let output = &up["input"][3];
    assert_eq!(output["call_id"], call["call_id"]);
    assert!(output["output"].as_str().unwrap().contains("cc-ok"));
}

#[test]
fn count_tokens_bodies_translate_too() {
    let (t, _) = translate(&fixture("count_tokens.request.json"));
    let tokens = crate::translate::messages::count::estimate_request(&t.upstream);
    assert!(tokens > 1000, "{tokens}");
}

struct Case {
    name: &'static str,
    input: Value,
    check: fn(&Translated, &Value),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "our own thinking goes back as the reasoning item it came from",
            input: json!({"model": "m", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "plan", "signature": signature::encode("m", "gAAAENC")},
                    {"type": "thinking", "thinking": "other model", "signature": signature::encode("gpt-5.4", "gBBB")},
                    {"type": "redacted_thinking", "data": "x"},
                    {"type": "text", "text": "ok"}]}]}),
            check: |_, up| {
                assert_eq!(
                    up["input"][1],
                    json!({"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}],
                           "encrypted_content": "gAAAENC"})
                );
                assert_eq!(
                    up["input"][2]["content"][0],
                    json!({"type": "output_text", "text": "ok"})
                );
            },
        },
        Case {
            name: "images, documents and tool results with images and errors",
            input: json!({"model": "m", "messages": [
                {"role": "user", "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
                    {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"}}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "shot", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": true, "content": [
                        {"type": "text", "text": "failed"},
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}}]}]}]}),
            check: |_, up| {
                let parts = &up["input"][0]["content"];
                assert_eq!(parts[0]["image_url"], "data:image/png;base64,iVBOR");
                assert_eq!(parts[1]["image_url"], "https://x/y.png");
                assert_eq!(parts[2]["type"], "input_file");
                assert_eq!(parts[2]["file_data"], "data:application/pdf;base64,JVBER");
                assert_eq!(up["input"][1]["arguments"], "{}");
                let output = &up["input"][2]["output"];
                assert_eq!(output[0]["text"], "Error:");
                assert_eq!(output[1]["text"], "failed");
                assert_eq!(output[2]["type"], "input_image");
            },
        },
        Case {
            name: "tool choice, parallel calls, web search and a budget",
            input: json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"name": "f", "input_schema": {"$schema": "x", "type": "object"}},
                          {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}],
                "tool_choice": {"type": "tool", "name": "f", "disable_parallel_tool_use": true},
                "thinking": {"type": "enabled", "budget_tokens": 10000},
                "output_config": {"format": {"type": "json_schema"}},
                "temperature": 0.5, "top_k": 3, "stop_sequences": ["x"]}),
            check: |t, up| {
                assert_eq!(up["tools"][0]["parameters"], json!({"type": "object"}));
                assert_eq!(up["tools"][1], json!({"type": "web_search"}));
                assert_eq!(up["tool_choice"], json!({"type": "function", "name": "f"}));
                assert_eq!(up["parallel_tool_calls"], false);
                assert_eq!(
                    up["reasoning"],
                    json!({"effort": "medium", "summary": "auto"})
                );
                assert_eq!(t.thinking, ThinkingOut::Shown);
                assert_eq!(
                    t.ignored,
                    [
                        "temperature",
                        "top_k",
                        "stop_sequences",
                        "output_config.format"
                    ]
                );
                assert_eq!(t.session_id.as_deref(), Some("from-header"));
            },
        },
        Case {
            name: "any and none, and no thinking",
            input: json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": {"type": "any"}}),
            check: |t, up| {
                assert_eq!(up["tool_choice"], "required");
                assert!(up.get("reasoning").is_none());
                assert_eq!(t.thinking, ThinkingOut::Off);
            },
        },
    ]
}

#[test]
fn translation_table() {
    for case in cases() {
        let body = case.input.to_string();
        let (t, up) = translate(body.as_bytes());
        (case.check)(&t, &up);
        assert!(!up.to_string().contains("\"system\""), "case {}", case.name);
    }
}

#[test]
fn bad_requests_name_the_field() {
    let cases = [
        (json!({"messages": []}), None),
        (json!({"model": "m", "messages": []}), Some("messages")),
        (
            json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}),
            Some("messages[0].role"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "file", "file_id": "f"}}]}]}),
            Some("messages[0].content[0].source"),
        ),
    ];
    for (body, param) in cases {
        let err =
            messages_to_responses(body.to_string().as_bytes(), None, str::to_owned).unwrap_err();
        assert_eq!(err.status(), 400, "{body}");
        assert_eq!(err.param(), param, "{body}: {err}");
    }
}

#[test]
fn call_ids_over_the_limit_are_shortened_alike_for_the_call_and_its_result() {
    let long = "toolu_".to_owned() + &"x".repeat(80);
    let body = json!({"model": "m", "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": long, "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": long, "content": "ok"}]}]});
    let (_, up) = translate(body.to_string().as_bytes());
    let call = up["input"][0]["call_id"].as_str().unwrap();
    assert!(call.len() <= 64 && call.starts_with("call_"), "{call}");
    assert_eq!(up["input"][1]["call_id"], call);
}

#[test]
fn aliases_pick_the_backend_model() {
    let body = json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "x"}]});
    let t = messages_to_responses(body.to_string().as_bytes(), None, |_| "gpt-5.4".into()).unwrap();
    assert_eq!(
        (t.client_model.as_str(), t.model.as_str()),
        ("claude-haiku-4-5", "gpt-5.4")
    );
}

fn arb_block() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let text = "[a-z ]{0,8}";
    prop_oneof![
        text.prop_map(|t| json!({"type": "text", "text": t})),
        (
            text,
            proptest::option::of("cgw2\\.[a-z0-9.]{0,12}|[A-Za-z]{0,6}")
        )
            .prop_map(|(t, s)| json!({"type": "thinking", "thinking": t, "signature": s})),
        text.prop_map(|n| json!({"type": "tool_use", "id": "t1", "name": n, "input": {"a": 1}})),
        text.prop_map(|t| json!({"type": "tool_result", "tool_use_id": "t1", "content": t})),
        Just(
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}})
        ),
        Just(json!({"type": "redacted_thinking", "data": "x"})),
        Just(json!({"type": "mystery", "x": [1]})),
        Just(json!({"type": 7})),
        Just(json!(null)),
    ]
}

proptest::proptest! {
    #[test]
    fn never_panics_and_never_sends_a_system_item(
        roles in proptest::collection::vec(proptest::sample::select(vec!["user", "assistant", "system", "x"]), 1..5),
        blocks in proptest::collection::vec(arb_block(), 0..6),
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
    ) {
        let _ = messages_to_responses(&bytes, None, str::to_owned);
        let messages: Vec<Value> = roles
            .iter()
            .map(|r| json!({"role": r, "content": blocks.clone()}))
            .collect();
        let body = json!({"model": "m", "messages": messages, "system": blocks});
        if let Ok(t) = messages_to_responses(body.to_string().as_bytes(), None, str::to_owned) {
            let up: Value = serde_json::from_slice(&t.body).unwrap();
            proptest::prop_assert!(!up["input"].to_string().contains("\"role\":\"system\""));
        }
    }
}
