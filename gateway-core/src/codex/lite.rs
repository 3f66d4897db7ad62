//! Responses Lite (since 2026-07): for a model the catalog marks `use_responses_lite`, the Codex
//! CLI sends its tools and instructions inside `input` instead of beside it. This rewrites a
//! finished Codex Responses body the same way, as Codex CLI 0.171.0 was seen to send it:
//!
//! - `input[0]` is `{"type":"additional_tools","role":"developer","tools":[…]}`: the function
//!   and custom tools inside one `{"type":"namespace","name":"functions","description":"",…}`;
//! - `input[1]` is the instructions as a developer message with one `input_text` part (none
//!   when there are no instructions);
//! - the top-level `tools` and `instructions` go, and `parallel_tool_calls` is `false`;
//! - `reasoning.context` is `"all_turns"` (`reasoning` is added when absent);
//! - the request carries [`LITE_HEADER`]`: true`.
//!
//! The CLI never sends hosted tools (`web_search`, `image_generation`) in this shape: it runs
//! search itself through `/alpha/search`. A request with one is left in the plain shape, which
//! the backend serves for every model.
//!
//! Everything else (model, effort, include, tool choice, the conversation) is unchanged, and so
//! is the answer: the backend streams the same events either way.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::GatewayError;
use crate::json::{raw_json, RawObject};

/// The request header of a Responses Lite call.
pub const LITE_HEADER: &str = "x-openai-internal-codex-responses-lite";

/// Key of the lite model list in the `default` store, written with the cached catalog.
pub const LITE_MODELS_KEY: &str = "codex-gateway/models/lite";

/// The lite models as the catalog last said, and until when that counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LiteModels {
    /// Unix seconds after which the list is stale (the catalog's cache lifetime).
    pub until: i64,
    /// Slugs marked `use_responses_lite`.
    pub models: Vec<String>,
}

impl LiteModels {
    /// Whether `model` is lite at `now`: a stale or unreadable list means no.
    pub fn says_lite(stored: Option<&[u8]>, model: &str, now: i64) -> bool {
        stored
            .and_then(|bytes| serde_json::from_slice::<Self>(bytes).ok())
            .is_some_and(|list| now < list.until && list.models.iter().any(|m| m == model))
    }
}

#[derive(Serialize)]
struct AdditionalTools<'a> {
    r#type: &'static str,
    role: &'static str,
    tools: Vec<&'a RawValue>,
}

#[derive(Serialize)]
struct Namespace<'a> {
    r#type: &'static str,
    name: &'static str,
    description: &'static str,
    tools: Vec<&'a RawValue>,
}

#[derive(Serialize)]
struct DeveloperMessage<'a> {
    r#type: &'static str,
    role: &'static str,
    content: [InputText<'a>; 1],
}

#[derive(Serialize)]
struct InputText<'a> {
    r#type: &'static str,
    text: &'a str,
}

#[derive(serde::Deserialize)]
struct Kind<'a> {
    #[serde(borrow, default)]
    r#type: Option<&'a str>,
}

/// Whether a body is already in the lite shape (its `input` carries `additional_tools`).
pub fn is_lite_shaped(object: &RawObject) -> bool {
    object
        .get("input")
        .and_then(|raw| serde_json::from_str::<Vec<Kind<'_>>>(raw.get()).ok())
        .is_some_and(|items| items.iter().any(|i| i.r#type == Some("additional_tools")))
}

/// Rewrite a Codex Responses body into the lite shape; `None` for a body that stays as it is
/// (already lite, or with a hosted tool).
pub fn to_lite(body: &[u8]) -> Result<Option<Vec<u8>>, GatewayError> {
    let mut object: RawObject = serde_json::from_slice(body)
        .map_err(|e| GatewayError::Internal(format!("lite shaping read its own body: {e}")))?;
    if is_lite_shaped(&object) || has_hosted_tools(&object) {
        return Ok(None);
    }
    let tools = object.remove("tools");
    let instructions = object.remove("instructions");
    let input = object.remove("input");
    let tools: Vec<&RawValue> = match tools.as_deref() {
        Some(raw) => serde_json::from_str(raw.get()).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut listed: Vec<Box<RawValue>> = Vec::with_capacity(2);
    let namespace = to_raw(&Namespace {
        r#type: "namespace",
        name: "functions",
        description: "",
        tools,
    })?;
    listed.push(to_raw(&AdditionalTools {
        r#type: "additional_tools",
        role: "developer",
        tools: vec![&namespace],
    })?);
    let text = instructions
        .as_deref()
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
        .filter(|text| !text.trim().is_empty());
    if let Some(text) = &text {
        listed.push(to_raw(&DeveloperMessage {
            r#type: "message",
            role: "developer",
            content: [InputText {
                r#type: "input_text",
                text,
            }],
        })?);
    }
    let mut items: Vec<&RawValue> = listed.iter().map(AsRef::as_ref).collect();
    let conversation = conversation_of(input.as_deref())?;
    items.extend(conversation.iter().map(AsRef::as_ref));
    object.set("input", to_raw(&items)?);
    object.set("parallel_tool_calls", raw_json("false".to_owned()));
    let reasoning = with_all_turns(object.get("reasoning"))?;
    object.set("reasoning", reasoning);
    Ok(Some(object.to_json().into_bytes()))
}

/// `reasoning` with `context: "all_turns"`, its other fields kept.
fn with_all_turns(reasoning: Option<&RawValue>) -> Result<Box<RawValue>, GatewayError> {
    let mut fields: RawObject = reasoning
        .filter(|r| r.get().trim_start().starts_with('{'))
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default();
    fields.set("context", crate::json::raw_string("all_turns"));
    Ok(raw_json(fields.to_json()))
}

/// Whether the body offers a tool that is neither a function nor a custom tool.
fn has_hosted_tools(object: &RawObject) -> bool {
    object
        .get("tools")
        .and_then(|raw| serde_json::from_str::<Vec<Kind<'_>>>(raw.get()).ok())
        .is_some_and(|tools| {
            tools
                .iter()
                .any(|t| !matches!(t.r#type, Some("function" | "custom") | None))
        })
}

/// The conversation as items: an array as it is, a string as one user message.
fn conversation_of(input: Option<&RawValue>) -> Result<Vec<Box<RawValue>>, GatewayError> {
    let Some(raw) = input else {
        return Ok(Vec::new());
    };
    if let Ok(items) = serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()) {
        return Ok(items);
    }
    let text: String = serde_json::from_str(raw.get())
        .map_err(|_| GatewayError::bad_param("input", "input must be a string or an array"))?;
    #[derive(Serialize)]
    struct UserText<'a> {
        role: &'static str,
        content: &'a str,
    }
    Ok(vec![to_raw(&UserText {
        role: "user",
        content: &text,
    })?])
}

fn to_raw<T: Serialize>(value: &T) -> Result<Box<RawValue>, GatewayError> {
    serde_json::value::to_raw_value(value)
        .map_err(|e| GatewayError::Internal(format!("lite shaping: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn lite(body: Value) -> Value {
        serde_json::from_slice(&to_lite(body.to_string().as_bytes()).unwrap().unwrap()).unwrap()
    }

    #[test]
    fn tools_and_instructions_move_into_the_input_as_the_codex_cli_sends_them() {
        let got = lite(json!({
            "model": "gpt-6-sol", "instructions": "Be terse.", "stream": true, "store": false,
            "input": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}},
                      {"type": "custom", "name": "apply_patch"}],
            "tool_choice": "auto", "parallel_tool_calls": true, "reasoning": {"effort": "high"},
        }));
        assert_eq!(
            got,
            json!({
                "model": "gpt-6-sol", "stream": true, "store": false, "tool_choice": "auto",
                "input": [
                    {"type": "additional_tools", "role": "developer", "tools": [
                        {"type": "namespace", "name": "functions", "description": "", "tools": [
                            {"type": "function", "name": "f", "parameters": {"type": "object"}},
                            {"type": "custom", "name": "apply_patch"}]}]},
                    {"type": "message", "role": "developer",
                     "content": [{"type": "input_text", "text": "Be terse."}]},
                    {"role": "user", "content": "hi"}],
                "parallel_tool_calls": false,
                "reasoning": {"effort": "high", "context": "all_turns"},
            })
        );
    }

    #[test]
    fn hosted_tools_keep_the_plain_shape() {
        let body = br#"{"model":"m","input":"hi","tools":[{"type":"web_search"}]}"#;
        assert_eq!(to_lite(body).unwrap(), None);
    }

    #[test]
    fn no_tools_no_instructions_and_a_string_input() {
        let got = lite(json!({"model": "m", "input": "hi", "instructions": " "}));
        assert_eq!(
            got["input"],
            json!([{"type": "additional_tools", "role": "developer", "tools": [
                       {"type": "namespace", "name": "functions", "description": "", "tools": []}]},
                   {"role": "user", "content": "hi"}])
        );
        assert_eq!(got["parallel_tool_calls"], false);
        assert_eq!(got["reasoning"], json!({"context": "all_turns"}));
    }

    #[test]
    fn a_lite_body_is_left_as_it_came() {
        let body = br#"{"model":"m","input":[{"type":"additional_tools","role":"developer","tools":[]}],"tools":[]}"#;
        assert_eq!(to_lite(body).unwrap(), None);
    }

    #[test]
    fn the_stored_list_counts_until_it_is_stale() {
        let stored = serde_json::to_vec(&LiteModels {
            until: 100,
            models: vec!["gpt-6-sol".into()],
        })
        .unwrap();
        assert!(LiteModels::says_lite(Some(&stored), "gpt-6-sol", 99));
        assert!(!LiteModels::says_lite(Some(&stored), "gpt-6-sol", 100));
        assert!(!LiteModels::says_lite(Some(&stored), "gpt-5.4", 99));
        assert!(!LiteModels::says_lite(None, "gpt-6-sol", 0));
        assert!(!LiteModels::says_lite(Some(b"junk"), "gpt-6-sol", 0));
    }
}
