//! Chat Completions request → Codex Responses request.
//!
//! Pure: bytes in, upstream bytes plus reporting out; it must never panic, never forward a
//! parameter the backend rejects, and never drop a top-level or message field without listing
//! it in [`Translated::ignored`] (unknown keys nested inside parts and option objects are not
//! reported).
//!
//! The upstream body always has `store: false`, `stream: true`,
//! `include: ["reasoning.encrypted_content"]` and a string `instructions`; its key order is
//! stable (see [`crate::codex::request`]). Messages map as described in `translate::messages`.
//!
//! Top-level fields:
//!
//! | chat field | upstream |
//! |---|---|
//! | `model` (required) | `model` (trimmed) |
//! | `messages` (required, non-empty) | `instructions` + `input` |
//! | `tools` (function → flat; other types as sent), legacy `functions` when no `tools` | `tools` |
//! | `tool_choice` (`none`/`auto`/`required`/function/other object), else legacy `function_call` | `tool_choice` (only with tools) |
//! | `parallel_tool_calls` | same, only with tools |
//! | `reasoning_effort`, else `reasoning.effort`; `reasoning.summary` | `reasoning {effort, summary}`; summary defaults to `auto` (none when effort is `none`) |
//! | `response_format` `json_object` / `json_schema` (`text` = nothing) | `text.format` |
//! | `verbosity` | `text.verbosity` |
//! | `prompt_cache_key`, else `user` | `prompt_cache_key` and [`Translated::session_id`] |
//! | `service_tier: "priority"` | `service_tier` |
//! | `stream`, `stream_options.include_usage` | [`Translated::stream`], [`Translated::include_usage`] |
//!
//! Fields accepted but not forwarded (each listed in `ignored` when present and not null):
//! `n` = 1, `modalities` without audio, `service_tier` other than `priority`, `store: true`,
//! `stream_options`, `user` when `prompt_cache_key` is also given, `functions` when `tools` is
//! given, `function_call` when `tool_choice` is given, `tool_choice`/`parallel_tool_calls`
//! without tools, and everything in [`EXTRA_POLICY`] marked [`ExtraPolicy::Ignore`] plus any
//! field nobody knows (forwarding unknown fields to a backend that 400s on them helps nobody).
//! Message fields without an equivalent are reported as `messages[].<field>`.
//! Function names over the backend's 64-character limit are shortened wherever they appear
//! upstream and restored in the answer (see `translate::tool_names`).
//! Refused with a 400: `n` > 1, `modalities` containing `audio`, `audio`.

use crate::codex::request::{
    FunctionChoice, FunctionTool, Reasoning, ReasoningEffort, ReasoningSummary, ResponsesRequest,
    TextConfig, TextFormat, Tool, ToolChoice, ToolChoiceMode, Verbosity,
    INCLUDE_ENCRYPTED_REASONING,
};
use crate::error::GatewayError;
use crate::openai::chat_request::{
    ChatCompletionRequest, ChatTool, ChatToolChoice, FunctionDef, ReasoningParam, ResponseFormat,
};

use super::cache_key::derived_cache_key;
use super::messages::{convert_messages, non_blank};
use crate::config::CacheKeyFallback;
use crate::translate::ignored::Ignored;
use crate::translate::tool_names::{shorten_request_names, ToolNames};

/// A translated chat request, ready to send.
#[derive(Debug)]
pub struct Translated {
    /// The upstream JSON body.
    pub body: Vec<u8>,
    /// The model sent upstream.
    pub model: String,
    /// Whether the client asked for SSE.
    pub stream: bool,
    /// Whether the client asked for a usage chunk at the end of the stream.
    pub include_usage: bool,
    /// Client parameters that had no effect, for the `x-codex-gateway-ignored-params` header.
    pub ignored: Vec<String>,
    /// Conversation id (`prompt_cache_key`, else `user`), sent as the `session_id` header.
    pub session_id: Option<String>,
    /// Function names shortened for the backend, to restore in the answer.
    pub tool_names: ToolNames,
}

/// What happens to a top-level chat field that the translator does not map itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraPolicy {
    /// Sent upstream unchanged.
    Forward,
    /// Dropped and listed in [`Translated::ignored`].
    Ignore,
    /// Refused with a 400 carrying this reason.
    Reject(&'static str),
}

/// The policy for named extra fields; names not listed are treated as [`ExtraPolicy::Ignore`].
pub const EXTRA_POLICY: &[(&str, ExtraPolicy)] = &[
    ("max_tokens", ExtraPolicy::Ignore),
    ("max_completion_tokens", ExtraPolicy::Ignore),
    ("temperature", ExtraPolicy::Ignore),
    ("top_p", ExtraPolicy::Ignore),
    ("frequency_penalty", ExtraPolicy::Ignore),
    ("presence_penalty", ExtraPolicy::Ignore),
    ("logprobs", ExtraPolicy::Ignore),
    ("top_logprobs", ExtraPolicy::Ignore),
    ("logit_bias", ExtraPolicy::Ignore),
    ("seed", ExtraPolicy::Ignore),
    ("stop", ExtraPolicy::Ignore),
    ("metadata", ExtraPolicy::Ignore),
    // A latency hint only: ignoring it changes no answer.
    ("prediction", ExtraPolicy::Ignore),
    ("web_search_options", ExtraPolicy::Ignore),
    ("safety_identifier", ExtraPolicy::Ignore),
    ("prompt_cache_retention", ExtraPolicy::Ignore),
    (
        "audio",
        ExtraPolicy::Reject("audio output is not supported by the Codex backend"),
    ),
    // Accepted by the backend (installation/session ids).
    ("client_metadata", ExtraPolicy::Forward),
];

/// The policy for one extra field name.
pub fn extra_policy(name: &str) -> ExtraPolicy {
    EXTRA_POLICY
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(ExtraPolicy::Ignore, |(_, policy)| *policy)
}

/// Translate a Chat Completions body into the Codex backend's Responses body.
///
/// Every malformed input is a 400 `invalid_request` whose `param` names the field at fault.
///
/// ```
/// use gateway_core::translate::chat::request::chat_to_responses;
///
/// let body = br#"{"model":"gpt-5","temperature":0.2,"stream":true,
///   "messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}]}"#;
/// let t = chat_to_responses(body).unwrap();
/// let upstream: serde_json::Value = serde_json::from_slice(&t.body).unwrap();
/// assert_eq!(upstream["instructions"], "Be terse.");
/// assert_eq!(upstream["input"][0]["content"][0]["type"], "input_text");
/// assert_eq!(upstream["store"], false);
/// assert!(t.stream);
/// assert_eq!(t.ignored, ["temperature"]);
/// ```
pub fn chat_to_responses(body: &[u8]) -> Result<Translated, GatewayError> {
    translate_chat(ChatCompletionRequest::from_slice(body)?, || {
        Ok(CacheKeyFallback::None)
    })
}

/// [`chat_to_responses`], with a derived `prompt_cache_key` (see [`super::cache_key`]) when
/// `fallback` asks for one and the client sent neither `prompt_cache_key` nor `user`.
/// `fallback` is asked only then: on Spin each setting read is a host call.
pub fn chat_to_responses_with(
    body: &[u8],
    fallback: impl FnOnce() -> Result<CacheKeyFallback, GatewayError>,
) -> Result<Translated, GatewayError> {
    translate_chat(ChatCompletionRequest::from_slice(body)?, fallback)
}

/// Translate an already parsed chat request.
pub fn translate_chat(
    mut request: ChatCompletionRequest,
    fallback: impl FnOnce() -> Result<CacheKeyFallback, GatewayError>,
) -> Result<Translated, GatewayError> {
    let mut ignored = Ignored::default();
    let passed = screen_params(&mut request, &mut ignored)?;
    let model = non_blank(request.model)
        .ok_or_else(|| GatewayError::bad_param("model", "model is required"))?;
    let messages = match request.messages {
        None => return Err(GatewayError::bad_param("messages", "messages is required")),
        Some(m) if m.is_empty() => {
            return Err(GatewayError::bad_param(
                "messages",
                "messages must not be empty",
            ))
        }
        Some(m) => m,
    };
    let conversation = convert_messages(messages, &mut ignored)?;
    let tools = convert_tools(request.tools, request.functions, &mut ignored)?;
    let options = ToolOptions {
        has_tools: !tools.is_empty(),
        tool_choice: request.tool_choice,
        function_call: request.function_call,
        parallel_tool_calls: request.parallel_tool_calls,
    };
    let (tool_choice, parallel_tool_calls) = tool_options(options, &mut ignored)?;
    let mut upstream = ResponsesRequest {
        model: model.trim().to_owned(),
        instructions: conversation.instructions,
        input: conversation.input,
        tools,
        tool_choice,
        parallel_tool_calls,
        reasoning: convert_reasoning(request.reasoning_effort, request.reasoning)?,
        text: convert_text(request.response_format, request.verbosity)?,
        store: false,
        stream: true,
        include: vec![INCLUDE_ENCRYPTED_REASONING],
        prompt_cache_key: cache_key(request.prompt_cache_key, request.user, &mut ignored),
        service_tier: passed.service_tier,
        extra: passed.extra,
    };
    if upstream.prompt_cache_key.is_none() && fallback()? == CacheKeyFallback::Derived {
        upstream.prompt_cache_key = Some(derived_cache_key(&upstream));
    }
    let tool_names = shorten_request_names(&mut upstream);
    let body = serde_json::to_vec(&upstream)
        .map_err(|e| GatewayError::Internal(format!("serialising the upstream request: {e}")))?;
    Ok(Translated {
        body,
        model: upstream.model,
        stream: request.stream == Some(true),
        include_usage: request.stream_options.and_then(|o| o.include_usage) == Some(true),
        ignored: ignored.into_vec(),
        session_id: upstream.prompt_cache_key,
        tool_names,
    })
}

/// Top-level values that go upstream as the client sent them.
struct Passed {
    service_tier: Option<String>,
    extra: serde_json::Map<String, serde_json::Value>,
}

/// Apply the parameter policy: refuse the impossible, report the ignored, keep the forwarded.
fn screen_params(
    request: &mut ChatCompletionRequest,
    ignored: &mut Ignored,
) -> Result<Passed, GatewayError> {
    check_choices(request.n, request.modalities.take(), ignored)?;
    let service_tier = match request.service_tier.take() {
        Some(tier) if tier == "priority" => Some(tier),
        Some(_) => {
            ignored.add("service_tier");
            None
        }
        None => None,
    };
    if request.store == Some(true) {
        ignored.add("store");
    }
    // `include_usage` is honoured on streams; on a non-stream request the option does nothing.
    if request.stream_options.is_some() && request.stream != Some(true) {
        ignored.add("stream_options");
    }
    let mut extra = serde_json::Map::new();
    for (name, value) in std::mem::take(&mut request.extra) {
        match extra_policy(&name) {
            _ if value.is_null() => {}
            ExtraPolicy::Forward => drop(extra.insert(name, value)),
            ExtraPolicy::Ignore => ignored.add(&name),
            ExtraPolicy::Reject(why) => return Err(GatewayError::bad_param(&name, why)),
        }
    }
    Ok(Passed {
        service_tier,
        extra,
    })
}

/// `n` and `modalities`: the backend gives one text choice, nothing else.
fn check_choices(
    n: Option<u64>,
    modalities: Option<Vec<String>>,
    ignored: &mut Ignored,
) -> Result<(), GatewayError> {
    match n {
        Some(1) => ignored.add("n"),
        Some(n) => {
            return Err(GatewayError::bad_param(
                "n",
                format!("n = {n} is not supported: the Codex backend returns exactly one choice"),
            ))
        }
        None => {}
    }
    if let Some(modalities) = modalities {
        if modalities.iter().any(|m| m == "audio") {
            return Err(GatewayError::bad_param(
                "modalities",
                "audio output is not supported by the Codex backend",
            ));
        }
        ignored.add("modalities");
    }
    Ok(())
}

/// `tools`, else legacy `functions`.
fn convert_tools(
    tools: Option<Vec<ChatTool>>,
    functions: Option<Vec<FunctionDef>>,
    ignored: &mut Ignored,
) -> Result<Vec<Tool>, GatewayError> {
    match (tools, functions) {
        (Some(tools), functions) if !tools.is_empty() => {
            if functions.is_some_and(|f| !f.is_empty()) {
                ignored.add("functions");
            }
            tools
                .into_iter()
                .enumerate()
                .map(|(i, tool)| match tool {
                    ChatTool::Function(def) => function_tool(def, &format!("tools[{i}].function")),
                    ChatTool::Other(raw) => Ok(Tool::Other(raw)),
                })
                .collect()
        }
        (_, Some(functions)) => functions
            .into_iter()
            .enumerate()
            .map(|(i, def)| function_tool(def, &format!("functions[{i}]")))
            .collect(),
        (_, None) => Ok(Vec::new()),
    }
}

fn function_tool(def: FunctionDef, path: &str) -> Result<Tool, GatewayError> {
    let Some(name) = non_blank(def.name) else {
        let param = format!("{path}.name");
        return Err(GatewayError::bad_param(
            &param,
            format!("{param} is required"),
        ));
    };
    Ok(Tool::Function(FunctionTool {
        name: name.trim().to_owned(),
        description: def.description,
        parameters: def.parameters.filter(|p| p.get() != "null"),
        strict: def.strict,
    }))
}

struct ToolOptions {
    has_tools: bool,
    tool_choice: Option<ChatToolChoice>,
    function_call: Option<ChatToolChoice>,
    parallel_tool_calls: Option<bool>,
}

/// `tool_choice` (else legacy `function_call`) and `parallel_tool_calls`, only with tools.
fn tool_options(
    options: ToolOptions,
    ignored: &mut Ignored,
) -> Result<(Option<ToolChoice>, Option<bool>), GatewayError> {
    let ToolOptions {
        has_tools,
        tool_choice,
        function_call,
        parallel_tool_calls,
    } = options;
    let (choice, param) = match (tool_choice, function_call) {
        (Some(choice), legacy) => {
            if legacy.is_some() {
                ignored.add("function_call");
            }
            (Some(choice), "tool_choice")
        }
        (None, legacy) => (legacy, "function_call"),
    };
    if !has_tools {
        if choice.is_some() {
            ignored.add(param);
        }
        if parallel_tool_calls.is_some() {
            ignored.add("parallel_tool_calls");
        }
        return Ok((None, None));
    }
    let choice = match choice {
        None => None,
        Some(ChatToolChoice::Mode(mode)) => Some(ToolChoice::Mode(parse_mode(&mode, param)?)),
        Some(ChatToolChoice::Function(name)) => Some(ToolChoice::Function(FunctionChoice { name })),
        Some(ChatToolChoice::Other(raw)) => Some(ToolChoice::Other(raw)),
    };
    Ok((choice, parallel_tool_calls))
}

fn parse_mode(mode: &str, param: &str) -> Result<ToolChoiceMode, GatewayError> {
    match mode.trim() {
        "none" => Ok(ToolChoiceMode::None),
        "auto" => Ok(ToolChoiceMode::Auto),
        "required" => Ok(ToolChoiceMode::Required),
        other => Err(GatewayError::bad_param(
            param,
            format!("{param} must be none, auto, required or an object; got `{other}`"),
        )),
    }
}

/// `reasoning_effort` / `reasoning` → `reasoning`, with a summary whenever reasoning is asked for.
fn convert_reasoning(
    effort: Option<String>,
    reasoning: Option<ReasoningParam>,
) -> Result<Option<Reasoning>, GatewayError> {
    let effort = non_blank(effort);
    if effort.is_none() && reasoning.is_none() {
        return Ok(None);
    }
    let param = reasoning.unwrap_or_default();
    let (text, name) = match (effort, non_blank(param.effort)) {
        (Some(e), _) => (Some(e), "reasoning_effort"),
        (None, e) => (e, "reasoning.effort"),
    };
    let effort = text
        .map(|t| {
            ReasoningEffort::parse(&t).ok_or_else(|| {
                GatewayError::bad_param(
                    name,
                    format!(
                        "{name} must be one of {}; got `{t}`",
                        ReasoningEffort::NAMES
                    ),
                )
            })
        })
        .transpose()?;
    let summary = match non_blank(param.summary) {
        Some(s) => ReasoningSummary::parse(&s).ok_or_else(|| {
            GatewayError::bad_param(
                "reasoning.summary",
                format!(
                    "reasoning.summary must be one of {}; got `{s}`",
                    ReasoningSummary::NAMES
                ),
            )
        })?,
        None if effort == Some(ReasoningEffort::None) => None,
        None => Some(ReasoningSummary::Auto),
    };
    Ok(Some(Reasoning { effort, summary }))
}

/// `response_format` and `verbosity` → `text`.
fn convert_text(
    format: Option<ResponseFormat>,
    verbosity: Option<String>,
) -> Result<Option<TextConfig>, GatewayError> {
    let format = match format {
        None => None,
        Some(format) => match format.kind.as_str() {
            "text" => None,
            "json_object" => Some(TextFormat::JsonObject),
            "json_schema" => {
                let missing = |field: &str| {
                    let param = format!("response_format.{field}");
                    GatewayError::bad_param(&param, format!("{param} is required for json_schema"))
                };
                let spec = format.json_schema.ok_or_else(|| missing("json_schema"))?;
                Some(TextFormat::JsonSchema {
                    name: spec.name,
                    schema: spec.schema.ok_or_else(|| missing("json_schema.schema"))?,
                    strict: spec.strict,
                    description: spec.description,
                })
            }
            other => {
                return Err(GatewayError::bad_param(
                    "response_format.type",
                    format!(
                    "response_format.type must be text, json_object or json_schema; got `{other}`"
                ),
                ))
            }
        },
    };
    let verbosity = non_blank(verbosity)
        .map(|v| {
            Verbosity::parse(&v).ok_or_else(|| {
                GatewayError::bad_param(
                    "verbosity",
                    format!("verbosity must be one of {}; got `{v}`", Verbosity::NAMES),
                )
            })
        })
        .transpose()?;
    Ok((format.is_some() || verbosity.is_some()).then_some(TextConfig { format, verbosity }))
}

/// `prompt_cache_key`, else `user` (then `user` has no other effect and is not reported).
fn cache_key(key: Option<String>, user: Option<String>, ignored: &mut Ignored) -> Option<String> {
    match (non_blank(key), non_blank(user)) {
        (Some(key), Some(_)) => {
            ignored.add("user");
            Some(key)
        }
        (Some(key), None) => Some(key),
        (None, user) => user,
    }
}

#[cfg(test)]
mod tests;
