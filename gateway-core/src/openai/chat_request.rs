//! The Chat Completions request as clients send it, and its parsing into typed structs.
//!
//! This file only describes and parses the wire shape; it never decides what reaches the
//! backend (that is `translate::request`). Parsing never panics: every failure is a 400 whose
//! `param` is the JSON path at fault (`messages[2].content`). Unknown top-level and message
//! fields are collected in `extra` so the translator can apply its policy table to them.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::json::{is_object, not_an_object};

/// `POST /v1/chat/completions` body.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a chat completion request object")]
pub struct ChatCompletionRequest {
    /// Model id (required).
    pub model: Option<String>,
    /// The conversation (required, non-empty).
    pub messages: Option<Vec<ChatMessage>>,
    /// Whether the client wants SSE.
    pub stream: Option<bool>,
    /// Streaming options (`include_usage`).
    pub stream_options: Option<StreamOptions>,
    /// Tool definitions.
    pub tools: Option<Vec<ChatTool>>,
    /// Legacy function definitions (used when `tools` is absent).
    pub functions: Option<Vec<FunctionDef>>,
    /// Tool choice.
    pub tool_choice: Option<ChatToolChoice>,
    /// Legacy tool choice (`"none"`, `"auto"`, `{"name"}`).
    pub function_call: Option<ChatToolChoice>,
    /// Allow parallel tool calls.
    pub parallel_tool_calls: Option<bool>,
    /// Chat-style reasoning effort.
    pub reasoning_effort: Option<String>,
    /// Responses-style reasoning object, accepted on chat too.
    pub reasoning: Option<ReasoningParam>,
    /// Structured output request.
    pub response_format: Option<ResponseFormat>,
    /// Answer length (`low|medium|high`).
    pub verbosity: Option<String>,
    /// Conversation/cache key.
    pub prompt_cache_key: Option<String>,
    /// End-user id (a fallback cache key).
    pub user: Option<String>,
    /// Number of choices (only 1 is possible).
    pub n: Option<u64>,
    /// Service tier (only `priority` is forwarded).
    pub service_tier: Option<String>,
    /// Output modalities (`audio` is impossible).
    pub modalities: Option<Vec<String>>,
    /// Store flag (the backend never stores).
    pub store: Option<bool>,
    /// Every other top-level field, in the client's order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stream_options`.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a stream_options object")]
pub struct StreamOptions {
    /// Send a final usage chunk.
    pub include_usage: Option<bool>,
}

/// One chat message.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a message object")]
pub struct ChatMessage {
    /// Who speaks.
    pub role: Role,
    /// Text or content parts; may be null for assistant tool calls.
    #[serde(default)]
    pub content: Option<MessageContent>,
    /// Participant name (Responses has no equivalent), or the function name on `function` messages.
    pub name: Option<String>,
    /// Assistant tool calls.
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Id of the call a `tool` message answers.
    pub tool_call_id: Option<String>,
    /// Legacy assistant function call.
    pub function_call: Option<FunctionCall>,
    /// Every other field (`refusal`, `audio`, `reasoning_content`…).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Message roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// System prompt.
    System,
    /// Developer prompt (newer name of system).
    Developer,
    /// End user.
    User,
    /// Model.
    Assistant,
    /// Tool result.
    Tool,
    /// Legacy function result.
    Function,
}

/// Message content: a string or an array of parts.
#[derive(Debug)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Content parts.
    Parts(Vec<ContentPart>),
}

impl<'de> Deserialize<'de> for MessageContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = MessageContent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of content parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MessageContent, E> {
                Ok(MessageContent::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MessageContent, E> {
                Ok(MessageContent::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MessageContent, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(part) = seq.next_element()? {
                    parts.push(part);
                }
                Ok(MessageContent::Parts(parts))
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

/// A content part. Only the fields of the part's own `type` are read; unknown keys are ignored.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a content part object")]
pub struct ContentPart {
    /// `text`, `image_url`, `file`, `refusal`, `input_audio`…
    #[serde(rename = "type")]
    pub kind: String,
    /// Text of a `text` part.
    pub text: Option<String>,
    /// Image of an `image_url` part.
    pub image_url: Option<ImageUrl>,
    /// File of a `file` part.
    pub file: Option<FileRef>,
    /// Text of a `refusal` part.
    pub refusal: Option<String>,
}

/// `image_url` of an image part.
#[derive(Debug, Deserialize)]
#[serde(expecting = "an image_url object")]
pub struct ImageUrl {
    /// URL or data URI, kept as raw JSON so large data URIs are not copied twice.
    pub url: RawString,
    /// `auto`, `low` or `high`.
    pub detail: Option<String>,
}

/// `file` of a file part.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a file object")]
pub struct FileRef {
    /// Uploaded file id.
    pub file_id: Option<String>,
    /// Inline data, kept raw.
    pub file_data: Option<RawString>,
    /// File name.
    pub filename: Option<String>,
}

/// A JSON string kept as its raw, still-escaped bytes.
#[derive(Debug)]
pub struct RawString(pub Box<RawValue>);

impl<'de> Deserialize<'de> for RawString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if raw.get().starts_with('"') {
            Ok(Self(raw))
        } else {
            let kind = match raw.get().as_bytes().first() {
                Some(b'{') => "an object",
                Some(b'[') => "an array",
                Some(b't' | b'f') => "a boolean",
                Some(b'n') => "null",
                _ => "a number",
            };
            Err(de::Error::invalid_type(
                de::Unexpected::Other(kind),
                &"a string",
            ))
        }
    }
}

/// An assistant tool call.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a tool call object")]
pub struct ToolCall {
    /// Call id (synthesised when absent).
    pub id: Option<String>,
    /// Only `function` is supported (the default).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The function called.
    pub function: Option<FunctionCall>,
}

/// `{"name","arguments"}` of a (legacy or tool) function call.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a function call object")]
pub struct FunctionCall {
    /// Function name.
    pub name: Option<String>,
    /// Arguments as a JSON string.
    pub arguments: Option<String>,
}

/// A function definition (`tools[].function` or legacy `functions[]`).
#[derive(Debug, Deserialize)]
#[serde(expecting = "a function definition object")]
pub struct FunctionDef {
    /// Function name.
    pub name: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// Argument schema, kept raw.
    pub parameters: Option<Box<RawValue>>,
    /// Strict schema adherence.
    pub strict: Option<bool>,
}

/// A tool definition: a function, or another type forwarded as sent.
#[derive(Debug)]
pub enum ChatTool {
    /// `{"type":"function","function":{…}}`.
    Function(FunctionDef),
    /// Any other tool type.
    Other(Box<RawValue>),
}

impl<'de> Deserialize<'de> for ChatTool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(expecting = "a tool object")]
        struct Probe {
            #[serde(rename = "type")]
            kind: Option<String>,
            function: Option<Box<RawValue>>,
        }
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let probe: Probe = parse_inner(&raw)?;
        match (probe.kind.as_deref(), probe.function) {
            (Some("function") | None, Some(function)) => parse_inner(&function)
                .map(ChatTool::Function)
                .map_err(|e: D::Error| de::Error::custom(format_args!("function.{e}"))),
            (Some("function"), None) => Err(de::Error::missing_field("function")),
            (None, None) => Err(de::Error::missing_field("type")),
            (Some(_), _) => Ok(ChatTool::Other(raw)),
        }
    }
}

/// `tool_choice` / legacy `function_call`.
#[derive(Debug)]
pub enum ChatToolChoice {
    /// A string mode (`none`, `auto`, `required`).
    Mode(String),
    /// Force the named function.
    Function(String),
    /// Another object type, forwarded as sent.
    Other(Box<RawValue>),
}

impl<'de> Deserialize<'de> for ChatToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(expecting = "an object with a name")]
        struct Named {
            name: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(expecting = "a tool choice object")]
        struct Probe {
            #[serde(rename = "type")]
            kind: Option<String>,
            function: Option<Named>,
            name: Option<String>,
        }
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if raw.get().starts_with('"') {
            return parse_inner(&raw).map(ChatToolChoice::Mode);
        }
        if !raw.get().starts_with('{') {
            return Err(de::Error::custom("expected a string or an object"));
        }
        let probe: Probe = parse_inner(&raw)?;
        let name = probe.function.and_then(|f| f.name).or(probe.name);
        match (probe.kind.as_deref(), name) {
            (Some("function") | None, Some(name)) if !name.trim().is_empty() => {
                Ok(ChatToolChoice::Function(name.trim().to_owned()))
            }
            (Some("function") | None, _) => Err(de::Error::custom("function.name is required")),
            (Some(_), _) => Ok(ChatToolChoice::Other(raw)),
        }
    }
}

/// `reasoning` object.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a reasoning object")]
pub struct ReasoningParam {
    /// Effort level.
    pub effort: Option<String>,
    /// Summary style.
    pub summary: Option<String>,
}

/// `response_format`.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a response_format object")]
pub struct ResponseFormat {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The schema for `json_schema`.
    pub json_schema: Option<JsonSchemaFormat>,
}

/// `response_format.json_schema`.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a json_schema object")]
pub struct JsonSchemaFormat {
    /// Schema name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The schema, kept raw.
    pub schema: Option<Box<RawValue>>,
    /// Strict adherence.
    pub strict: Option<bool>,
}

/// Parse a nested raw value inside a `Deserialize` impl, converting the error type.
fn parse_inner<'a, T: Deserialize<'a>, E: de::Error>(raw: &'a RawValue) -> Result<T, E> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = strip_position(e.into_inner());
        if path == "." {
            E::custom(inner)
        } else {
            E::custom(format_args!("{path}: {inner}"))
        }
    })
}

impl ChatCompletionRequest {
    /// Parse a request body; any failure is a 400 naming where the body is wrong.
    pub fn from_slice(body: &[u8]) -> Result<Self, GatewayError> {
        if !is_object(body) {
            return Err(not_an_object(body));
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        let request = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
        de.end()
            .map_err(|e| GatewayError::bad_request(format!("invalid JSON: {e}")))?;
        Ok(request)
    }
}

/// Turn a path-tracked JSON error into a 400.
fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> GatewayError {
    use serde_json::error::Category;
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            GatewayError::bad_request(format!("invalid JSON: {inner}"))
        }
        Category::Data if path == "." => GatewayError::bad_request(strip_position(inner)),
        Category::Data => {
            let message = format!("{path}: {}", strip_position(inner));
            GatewayError::bad_param(path, message)
        }
    }
}

/// The error text without serde_json's ` at line L column C` suffix (paths say where instead).
fn strip_position(err: serde_json::Error) -> String {
    let text = err.to_string();
    if err.line() == 0 {
        return text;
    }
    match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
        None => text,
    }
}
