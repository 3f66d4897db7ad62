//! Anthropic Messages → Codex Responses.
//!
//! | Messages | Responses |
//! |---|---|
//! | `system` (string or blocks) | `instructions`, blocks joined by a blank line; the `x-anthropic-billing-header:` block and `cache_control` dropped |
//! | a `role: "system"` message | a `developer` message in the same place |
//! | `text` / `image` / `document` | `input_text` / `input_image` / `input_file` |
//! | `tool_use` | `function_call` (`arguments` = the JSON of `input`; an id over 64 characters shortened to a stable `call_<hash>`, the same for its result) |
//! | `tool_result` | `function_call_output` (text, or parts when it holds images; `is_error` prefixes `Error: `) |
//! | `thinking` signed by this gateway for the same backend model | the `reasoning` item it came from |
//! | `thinking` signed by anyone else or for another model, `redacted_thinking` | dropped |
//! | `tools` | function tools (`input_schema` → `parameters`, `$schema` dropped); web search server tools → `{"type":"web_search"}` |
//! | `tool_choice` `auto` / `any` / `tool` / `none` | `auto` / `required` / the function / `none` |
//! | `disable_parallel_tool_use` | `parallel_tool_calls: false` |
//! | `output_config.effort`, else `thinking.budget_tokens` | `reasoning.effort` (see [`effort_for_budget`]) |
//! | `thinking` enabled or adaptive | `reasoning.summary: "auto"` |
//! | `metadata.user_id`'s `session_id`, else `X-Claude-Code-Session-Id` | `prompt_cache_key` (and the session for account stickiness) |
//!
//! `max_tokens`, `temperature`, `top_p`, `top_k`, `stop_sequences`, `metadata` and
//! `context_management` are never forwarded; each one sent is reported as ignored.

use serde_json::value::RawValue;
use serde_json::Value;

use super::signature;
use crate::anthropic::request::{
    Block, Content, Message, MessagesRequest, Role, Source, ToolChoice as AnthropicChoice, ToolDef,
};
use crate::codex::request::{
    ContentPart, FunctionChoice, FunctionTool, InputItem, MessageRole, Reasoning, ReasoningEffort,
    ReasoningSummary, ResponsesRequest, SummaryText, Tool, ToolChoice, ToolChoiceMode, ToolOutput,
    INCLUDE_ENCRYPTED_REASONING,
};
use crate::error::GatewayError;
use crate::translate::ignored::Ignored;
use crate::translate::tool_names::{shorten_request_names, ToolNames};

/// The system block Claude Code adds for Anthropic's billing; it means nothing elsewhere.
const BILLING_HEADER: &str = "x-anthropic-billing-header:";

/// Top-level fields that are accepted and never forwarded.
const NOT_FORWARDED: [&str; 7] = [
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "metadata",
    "context_management",
];

/// How the answer's thinking blocks are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingOut {
    /// Thinking is off: reasoning is not returned.
    Off,
    /// Thinking blocks with the summary text.
    Shown,
    /// Thinking blocks with empty text and the signature (`display: "omitted"`).
    Omitted,
}

/// A translated Messages request.
#[derive(Debug)]
pub struct Translated {
    /// The upstream Responses body.
    pub body: Vec<u8>,
    /// The model as the client named it (echoed in the answer).
    pub client_model: String,
    /// The model sent upstream.
    pub model: String,
    /// Whether the client asked for SSE.
    pub stream: bool,
    /// What to show of the reasoning.
    pub thinking: ThinkingOut,
    /// Parameters that had no effect.
    pub ignored: Vec<String>,
    /// The conversation key (`prompt_cache_key`).
    pub session_id: Option<String>,
    /// Function names shortened for the backend.
    pub tool_names: ToolNames,
    /// The typed request, for token counting.
    pub upstream: ResponsesRequest,
}

/// Translate a Messages body. `session_header` is Claude Code's `X-Claude-Code-Session-Id`;
/// `alias` maps the client's model name to the backend's.
pub fn messages_to_responses(
    body: &[u8],
    session_header: Option<&str>,
    alias: impl Fn(&str) -> String,
) -> Result<Translated, GatewayError> {
    let request: MessagesRequest = serde_path_to_error::deserialize(
        &mut serde_json::Deserializer::from_slice(body),
    )
    .map_err(|e| match e.path().to_string().as_str() {
        "." => GatewayError::bad_request(e.inner().to_string()),
        path => GatewayError::bad_param(path, e.inner().to_string()),
    })?;
    let client_model = request.model.trim().to_owned();
    if client_model.is_empty() {
        return Err(GatewayError::bad_param("model", "model is required"));
    }
    if request.messages.is_empty() {
        return Err(GatewayError::bad_param(
            "messages",
            "messages must not be empty",
        ));
    }
    let mut ignored = Ignored::default();
    for name in NOT_FORWARDED {
        if request.extra.contains_key(name) || (name == "metadata" && request.metadata.is_some()) {
            ignored.add(name);
        }
    }
    let session_id = request
        .metadata
        .as_ref()
        .and_then(|m| m.session_id())
        .or_else(|| session_header.map(str::to_owned))
        .filter(|s| !s.trim().is_empty());
    let thinking = thinking_out(&request);
    let reasoning = reasoning(&request, thinking, &mut ignored);
    let model = alias(&client_model);
    let input = convert_messages(request.messages, &model, &mut ignored)?;
    let tools = convert_tools(&request.tools, &mut ignored);
    let (tool_choice, parallel) = convert_choice(request.tool_choice.as_ref(), !tools.is_empty());
    let mut upstream = ResponsesRequest {
        model: model.clone(),
        instructions: system_text(request.system.as_ref()),
        input,
        tools,
        tool_choice,
        parallel_tool_calls: parallel,
        reasoning,
        text: None,
        store: false,
        stream: true,
        include: vec![INCLUDE_ENCRYPTED_REASONING],
        prompt_cache_key: session_id.clone(),
        service_tier: None,
        extra: serde_json::Map::new(),
    };
    let tool_names = shorten_request_names(&mut upstream);
    let body = serde_json::to_vec(&upstream)
        .map_err(|e| GatewayError::Internal(format!("serialising the upstream request: {e}")))?;
    Ok(Translated {
        body,
        client_model,
        model,
        stream: request.stream == Some(true),
        thinking,
        ignored: ignored.into_vec(),
        session_id,
        tool_names,
        upstream,
    })
}

fn thinking_out(request: &MessagesRequest) -> ThinkingOut {
    match &request.thinking {
        Some(t) if t.kind == "enabled" || t.kind == "adaptive" => {
            if t.display.as_deref() == Some("omitted") {
                ThinkingOut::Omitted
            } else {
                ThinkingOut::Shown
            }
        }
        _ => ThinkingOut::Off,
    }
}

/// `reasoning.effort` for a thinking budget: below 4,096 tokens `low`, below 16,384 `medium`,
/// else `high`.
pub fn effort_for_budget(budget: u64) -> ReasoningEffort {
    match budget {
        0..4096 => ReasoningEffort::Low,
        4096..16384 => ReasoningEffort::Medium,
        _ => ReasoningEffort::High,
    }
}

fn reasoning(
    request: &MessagesRequest,
    thinking: ThinkingOut,
    ignored: &mut Ignored,
) -> Option<Reasoning> {
    for name in request.output_config.iter().flat_map(|c| c.extra.keys()) {
        ignored.add(&format!("output_config.{name}"));
    }
    let asked = request
        .output_config
        .as_ref()
        .and_then(|c| c.effort.as_deref());
    let effort = match asked.map(ReasoningEffort::parse) {
        Some(Some(effort)) => Some(effort),
        Some(None) => {
            ignored.add("output_config.effort");
            None
        }
        None => request
            .thinking
            .as_ref()
            .filter(|t| t.kind == "enabled")
            .and_then(|t| t.budget_tokens)
            .map(effort_for_budget),
    };
    let summary = (thinking != ThinkingOut::Off).then_some(ReasoningSummary::Auto);
    (effort.is_some() || summary.is_some()).then_some(Reasoning { effort, summary })
}

/// The system prompt's text, billing header left out.
fn system_text(system: Option<&Content>) -> String {
    let Some(system) = system else {
        return String::new();
    };
    let texts: Vec<&str> = match system {
        Content::Text(text) => vec![text.as_str()],
        Content::Blocks(blocks) => blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect(),
    };
    texts
        .into_iter()
        .filter(|t| !t.trim_start().starts_with(BILLING_HEADER))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The backend's limit on a call id, in characters.
const MAX_CALL_ID: usize = 64;

/// A call id the backend takes: as it is, or for one over the limit a stable short form (the
/// same for the call and its result, so the pair still matches).
fn call_id(id: String) -> String {
    if id.chars().count() <= MAX_CALL_ID {
        id
    } else {
        format!("call_{:016x}", crate::fnv::fnv1a64(id.bytes()))
    }
}

fn convert_messages(
    messages: Vec<Message>,
    model: &str,
    ignored: &mut Ignored,
) -> Result<Vec<InputItem>, GatewayError> {
    let mut input = Vec::new();
    for (i, message) in messages.into_iter().enumerate() {
        let blocks = match message.content {
            Content::Text(text) => vec![Block::Text { text }],
            Content::Blocks(blocks) => blocks,
        };
        let role = match message.role {
            Role::User => MessageRole::User,
            Role::Assistant => MessageRole::Assistant,
            Role::System => MessageRole::Developer,
        };
        let mut parts: Vec<ContentPart> = Vec::new();
        for (j, block) in blocks.into_iter().enumerate() {
            let at = || format!("messages[{i}].content[{j}]");
            match block {
                Block::Text { text } if role == MessageRole::Assistant => {
                    parts.push(ContentPart::OutputText { text });
                }
                Block::Text { text } => parts.push(ContentPart::InputText { text }),
                Block::Image { source } => parts.push(image_part(source, &at())?),
                Block::Document { source, title } => {
                    parts.push(document_part(source, title, &at())?)
                }
                Block::ToolUse {
                    id,
                    name,
                    input: args,
                } => {
                    flush(&mut input, role, &mut parts);
                    input.push(InputItem::FunctionCall {
                        call_id: call_id(id),
                        name,
                        arguments: arguments_of(&args),
                    });
                }
                Block::ToolResult {
                    tool_use_id,
                    content,
                    is_error,
                } => {
                    flush(&mut input, role, &mut parts);
                    let output = tool_output(content, is_error == Some(true), &at())?;
                    input.push(InputItem::FunctionCallOutput {
                        call_id: call_id(tool_use_id),
                        output,
                    });
                }
                Block::Thinking {
                    thinking,
                    signature: sig,
                } => {
                    // Only reasoning this gateway handed out can go back; anything else is a
                    // conversation that switched models, which must go on, not fail.
                    if let Some(encrypted) =
                        sig.as_deref().and_then(|s| signature::decode(s, model))
                    {
                        flush(&mut input, role, &mut parts);
                        let summary = (!thinking.is_empty())
                            .then_some(SummaryText { text: thinking })
                            .into_iter()
                            .collect();
                        input.push(InputItem::Reasoning {
                            summary,
                            encrypted_content: encrypted.to_owned(),
                        });
                    }
                }
                Block::RedactedThinking => {}
                Block::Other => ignored.add("messages[].content[].other_block"),
            }
        }
        flush(&mut input, role, &mut parts);
    }
    Ok(input)
}

/// The parts gathered so far become one message (nothing if there are none).
fn flush(input: &mut Vec<InputItem>, role: MessageRole, parts: &mut Vec<ContentPart>) {
    if !parts.is_empty() {
        input.push(InputItem::Message {
            role,
            content: std::mem::take(parts),
        });
    }
}

fn arguments_of(input: &Value) -> String {
    match input {
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    }
}

fn raw_string(s: &str) -> Result<Box<RawValue>, GatewayError> {
    serde_json::value::to_raw_value(s).map_err(|e| GatewayError::Internal(e.to_string()))
}

fn image_part(source: Source, at: &str) -> Result<ContentPart, GatewayError> {
    let url = match source {
        Source::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        Source::Url { url } => url,
        Source::Text { .. } | Source::Other => {
            return Err(GatewayError::bad_param(
                format!("{at}.source"),
                "images must be base64 or url sources",
            ))
        }
    };
    Ok(ContentPart::InputImage {
        image_url: raw_string(&url)?,
        detail: "auto".into(),
    })
}

fn document_part(
    source: Source,
    title: Option<String>,
    at: &str,
) -> Result<ContentPart, GatewayError> {
    match source {
        Source::Base64 { media_type, data } => Ok(ContentPart::InputFile {
            file_id: None,
            file_data: Some(raw_string(&format!("data:{media_type};base64,{data}"))?),
            filename: Some(title.unwrap_or_else(|| "document.pdf".into())),
        }),
        Source::Text { data } => Ok(ContentPart::InputText { text: data }),
        Source::Url { .. } | Source::Other => Err(GatewayError::bad_param(
            format!("{at}.source"),
            "documents must be base64 or text sources",
        )),
    }
}

fn tool_output(
    content: Option<Content>,
    is_error: bool,
    at: &str,
) -> Result<ToolOutput, GatewayError> {
    let prefix = if is_error { "Error: " } else { "" };
    let blocks = match content {
        None => return Ok(ToolOutput::Text(prefix.trim_end().to_owned())),
        Some(Content::Text(text)) => return Ok(ToolOutput::Text(format!("{prefix}{text}"))),
        Some(Content::Blocks(blocks)) => blocks,
    };
    let has_images = blocks.iter().any(|b| matches!(b, Block::Image { .. }));
    if !has_images {
        let texts: Vec<String> = blocks
            .into_iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text),
                _ => None,
            })
            .collect();
        return Ok(ToolOutput::Text(format!("{prefix}{}", texts.join("\n"))));
    }
    let mut parts = Vec::new();
    if is_error {
        parts.push(ContentPart::InputText {
            text: prefix.trim_end().to_owned(),
        });
    }
    for block in blocks {
        match block {
            Block::Text { text } => parts.push(ContentPart::InputText { text }),
            Block::Image { source } => parts.push(image_part(source, at)?),
            _ => {}
        }
    }
    Ok(ToolOutput::Parts(parts))
}

fn convert_tools(tools: &[ToolDef], ignored: &mut Ignored) -> Vec<Tool> {
    let mut out = Vec::new();
    let mut web_search = false;
    for tool in tools {
        match tool.kind.as_deref() {
            None | Some("custom") => out.push(Tool::Function(FunctionTool {
                name: tool.name.clone(),
                description: tool.description.clone(),
                parameters: tool.input_schema.as_ref().and_then(schema_of),
                strict: Some(false),
            })),
            Some(kind) if kind.starts_with("web_search") => web_search = true,
            Some(_) => ignored.add("tools[].type"),
        }
    }
    if web_search {
        if let Ok(raw) = RawValue::from_string(r#"{"type":"web_search"}"#.to_owned()) {
            out.push(Tool::Other(raw));
        }
    }
    out
}

/// The schema without `$schema`, which the backend refuses.
fn schema_of(schema: &Value) -> Option<Box<RawValue>> {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    serde_json::value::to_raw_value(&schema).ok()
}

fn convert_choice(
    choice: Option<&AnthropicChoice>,
    has_tools: bool,
) -> (Option<ToolChoice>, Option<bool>) {
    if !has_tools {
        return (None, None);
    }
    let parallel = Some(choice.is_none_or(|c| c.disable_parallel_tool_use != Some(true)));
    let mode = match choice.map(|c| (c.kind.as_str(), c.name.as_deref())) {
        Some(("any", _)) => ToolChoice::Mode(ToolChoiceMode::Required),
        Some(("none", _)) => ToolChoice::Mode(ToolChoiceMode::None),
        Some(("tool", Some(name))) => ToolChoice::Function(FunctionChoice {
            name: name.to_owned(),
        }),
        _ => ToolChoice::Mode(ToolChoiceMode::Auto),
    };
    (Some(mode), parallel)
}

#[cfg(test)]
mod tests;
