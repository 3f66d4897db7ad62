//! The rules the Codex backend enforces in late 2026, as `../shared/design/backend-2026.md`
//! dates them: the fake refuses what the real backend refuses, with its status and wording, so
//! the e2e and agent suites prove the gateway never sends it.
//!
//! - the catalog needs `client_version` (400 without) and lists a model only to a client at or
//!   above its `minimal_client_version`;
//! - a model for a newer client is refused: `The '<slug>' model requires a newer version of
//!   Codex`; `gpt-5.6-luna` is 404 without a Codex identity;
//! - `role: "system"` input items, refused top-level parameters, a nested
//!   `prompt_cache_breakpoint` and a `service_tier` other than `priority` are 400s;
//! - `store: false` must be sent;
//! - a Responses Lite request (its header) must have the lite shape (`additional_tools`, no
//!   top-level tools or instructions, `parallel_tool_calls: false`, `reasoning.context:
//!   "all_turns"`), and a lite-shaped body must carry the header.

use gateway_core::codex::version::version_at_least;
use serde_json::Value;

use super::{Recorded, Scenario};

/// The refused top-level parameters (`Unsupported parameter: <name>`).
const REFUSED: [&str; 12] = [
    "max_output_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stream_options",
    "safety_identifier",
    "previous_response_id",
    "prompt_cache_options",
    "prompt_cache_retention",
    "context_management",
    "truncation",
    "metadata",
];

/// The header a Responses Lite request carries.
pub const LITE_HEADER: &str = "x-openai-internal-codex-responses-lite";

/// The lowest client version each gated model is served to.
pub const MINIMAL_VERSIONS: [(&str, &str); 3] = [
    ("gpt-6-astra", "0.153.0"),
    ("gpt-6-sol", "0.155.0"),
    ("gpt-6-luna", "0.155.0"),
];

/// Why the backend would refuse this generation request, if it would.
pub fn refusal(req: &Recorded) -> Option<Scenario> {
    let body = req.json();
    let object = body.as_object()?;
    let bad = |detail: String| Some(Scenario::json(400, &detail_json(&detail)));
    if let Some(name) = REFUSED.iter().find(|n| object.contains_key(**n)) {
        return bad(format!("Unsupported parameter: {name}"));
    }
    if object
        .get("service_tier")
        .is_some_and(|t| t != "priority" && !t.is_null())
    {
        return bad("Unsupported service_tier".into());
    }
    if object.get("store") != Some(&Value::Bool(false)) {
        return bad("Store must be set to false".into());
    }
    if let Some(refused) = input_refusal(&body) {
        return Some(refused);
    }
    if let Some(refused) = lite_mismatch(req, &body) {
        return bad(refused);
    }
    let model = object.get("model").and_then(Value::as_str).unwrap_or("");
    gated(req, model)
}

/// What the backend refuses in any request's `input` (responses, compaction, search): system
/// items and nested cache breakpoints.
pub fn input_refusal(body: &Value) -> Option<Scenario> {
    let bad = |detail: &str| Some(Scenario::json(400, &detail_json(detail)));
    let items = body.get("input").and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        if item.get("role").and_then(Value::as_str) == Some("system") {
            return bad("System messages are not allowed");
        }
        let parts = item.get("content").and_then(Value::as_array);
        let nested = item.get("prompt_cache_breakpoint").is_some()
            || parts
                .into_iter()
                .flatten()
                .any(|p| p.get("prompt_cache_breakpoint").is_some());
        if nested {
            return bad("Unsupported parameter: input[].prompt_cache_breakpoint");
        }
    }
    None
}

/// A lite request must be lite-shaped and the other way round.
fn lite_mismatch(req: &Recorded, body: &Value) -> Option<String> {
    let header = req.header(LITE_HEADER) == Some("true");
    let shaped = body["input"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["type"] == "additional_tools"));
    match (header, shaped) {
        (true, false) => {
            Some("Responses Lite requests carry their tools as additional_tools".into())
        }
        (false, true) => Some("additional_tools needs the Responses Lite header".into()),
        (true, true) if body.get("tools").is_some() || body.get("instructions").is_some() => {
            Some("Responses Lite requests take no top-level tools or instructions".into())
        }
        (true, true) if body["parallel_tool_calls"] != false => {
            Some("Responses Lite requests need parallel_tool_calls: false".into())
        }
        (true, true) if body["reasoning"]["context"] != "all_turns" => {
            Some("Responses Lite requests need reasoning.context: all_turns".into())
        }
        _ => None,
    }
}

/// The version and identity gates on a model.
fn gated(req: &Recorded, model: &str) -> Option<Scenario> {
    let version = client_version(req);
    if let Some((slug, need)) = MINIMAL_VERSIONS.iter().find(|(slug, _)| *slug == model) {
        if !version
            .as_deref()
            .is_some_and(|v| version_at_least(v, need))
        {
            let detail = format!(
                "The '{slug}' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."
            );
            return Some(Scenario::json(400, &detail_json(&detail)));
        }
    }
    if model == "gpt-5.6-luna" && !codex_identity(req) {
        let detail = format!("Model not found {model}");
        return Some(Scenario::json(404, &detail_json(&detail)));
    }
    None
}

/// The version a request presents: its `version` header, else its user agent's.
pub fn client_version(req: &Recorded) -> Option<String> {
    if let Some(v) = req.header("version") {
        return Some(v.to_owned());
    }
    let agent = req.header("user-agent")?;
    let (_, rest) = agent.split_once('/')?;
    Some(rest.split_whitespace().next()?.to_owned())
}

fn codex_identity(req: &Recorded) -> bool {
    req.header("originator") == Some("codex_cli_rs")
        || req
            .header("user-agent")
            .is_some_and(|a| a.starts_with("codex_cli_rs/"))
        || req.header("version").is_some()
}

fn detail_json(detail: &str) -> String {
    serde_json::json!({ "detail": detail }).to_string()
}
