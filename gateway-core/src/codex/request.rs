//! The Responses request body sent to the Codex backend: typed for the chat translation, and an
//! ordered raw view for the `/v1/responses` pass-through.
//!
//! Nothing here decides policy (that lives in `translate::*`) and nothing here may re-parse or
//! re-format a value it does not own: opaque JSON (schemas, image data, pass-through values) stays
//! as [`RawValue`] bytes.
//!
//! [`ResponsesRequest`] serialises its keys in a stable order: `model`, `instructions`, `input`,
//! `tools`, `tool_choice`, `parallel_tool_calls`, `reasoning`, `text`, `store`, `stream`, `include`,
//! `prompt_cache_key`, `service_tier`, then forwarded extras.

use serde::{Serialize, Serializer};

use crate::spelling::lookup;
use serde_json::value::RawValue;

/// `instructions` when the client gives none (the backend requires a string).
pub const DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";

/// The `include` entry that carries reasoning across stateless (`store: false`) turns.
pub const INCLUDE_ENCRYPTED_REASONING: &str = "reasoning.encrypted_content";

/// A Responses API request as the gateway sends it to the Codex backend.
#[derive(Debug, Serialize)]
pub struct ResponsesRequest {
    /// Model slug.
    pub model: String,
    /// System prompt; always a string.
    pub instructions: String,
    /// Conversation items, in order.
    pub input: Vec<InputItem>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// How the model must use the tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether several tool calls may come in one turn (only sent with tools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Reasoning effort and summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Output format and verbosity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    /// Always `false`: the backend refuses to store.
    pub store: bool,
    /// Always `true`: the backend is only used in streaming mode.
    pub stream: bool,
    /// Extra output to include; always carries [`INCLUDE_ENCRYPTED_REASONING`].
    pub include: Vec<&'static str>,
    /// Cache/conversation key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// Only ever `"priority"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Client fields whose policy is "forward", in the client's order.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One item of `input`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    /// A user, assistant or developer message.
    Message {
        /// Who speaks.
        role: MessageRole,
        /// Content parts.
        content: Vec<ContentPart>,
    },
    /// A tool call the assistant made earlier.
    FunctionCall {
        /// Id that links the call to its output.
        call_id: String,
        /// Function name.
        name: String,
        /// Arguments as a JSON string.
        arguments: String,
    },
    /// The result of a tool call.
    FunctionCallOutput {
        /// Id of the call this answers.
        call_id: String,
        /// The result.
        output: ToolOutput,
    },
    /// Reasoning from an earlier turn, replayed with its encrypted content.
    Reasoning {
        /// The summary the client was shown.
        summary: Vec<SummaryText>,
        /// The backend's encrypted reasoning, as it gave it out.
        encrypted_content: String,
    },
}

/// One part of a reasoning summary.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "summary_text")]
pub struct SummaryText {
    /// The text.
    pub text: String,
}

/// Role of an input message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    /// The end user.
    User,
    /// The model, in earlier turns.
    Assistant,
    /// The application (system-prompt level).
    Developer,
}

/// A content part of an input message or tool output.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// User-side text.
    InputText {
        /// The text.
        text: String,
    },
    /// Assistant-side text from an earlier turn.
    OutputText {
        /// The text.
        text: String,
    },
    /// An assistant refusal from an earlier turn.
    Refusal {
        /// The refusal text.
        refusal: String,
    },
    /// An image by URL or data URI.
    InputImage {
        /// The URL, kept as raw JSON string bytes.
        image_url: Box<RawValue>,
        /// `auto`, `low` or `high`.
        detail: String,
    },
    /// A file by id or inline data.
    InputFile {
        /// Uploaded file id.
        #[serde(skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// Inline data (data URI or base64), kept raw.
        #[serde(skip_serializing_if = "Option::is_none")]
        file_data: Option<Box<RawValue>>,
        /// File name.
        #[serde(skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
}

/// The `output` of a `function_call_output` item.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ToolOutput {
    /// Plain text (the common case).
    Text(String),
    /// Content parts, when the result carries more than text.
    Parts(Vec<ContentPart>),
}

/// A tool definition.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Tool {
    /// A function tool, in the flat Responses shape.
    Function(FunctionTool),
    /// Any other tool type, forwarded byte for byte.
    Other(Box<RawValue>),
}

/// `{"type":"function","name",...}`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "function")]
pub struct FunctionTool {
    /// Function name.
    pub name: String,
    /// What the function does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the arguments; an empty object schema when absent.
    #[serde(serialize_with = "parameters_or_empty")]
    pub parameters: Option<Box<RawValue>>,
    /// Strict schema adherence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

fn parameters_or_empty<S: Serializer>(
    parameters: &Option<Box<RawValue>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct EmptyObjectSchema {
        r#type: &'static str,
        properties: Empty,
    }
    #[derive(Serialize)]
    struct Empty {}
    match parameters {
        Some(raw) => raw.serialize(serializer),
        None => EmptyObjectSchema {
            r#type: "object",
            properties: Empty {},
        }
        .serialize(serializer),
    }
}

/// `tool_choice`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `none`, `auto` or `required`.
    Mode(ToolChoiceMode),
    /// Force one function.
    Function(FunctionChoice),
    /// Any other object (hosted tool choices), forwarded byte for byte.
    Other(Box<RawValue>),
}

/// The string forms of `tool_choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    /// Never call tools.
    None,
    /// The model decides.
    Auto,
    /// At least one tool call.
    Required,
}

/// `{"type":"function","name":…}`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "function")]
pub struct FunctionChoice {
    /// Function to call.
    pub name: String,
}

/// `reasoning`.
#[derive(Debug, Default, Serialize)]
pub struct Reasoning {
    /// How hard to think.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    /// Which summary to stream back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

/// Reasoning effort levels seen on the backend (support is model-dependent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// No reasoning.
    None,
    /// Minimal.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Extra high.
    Xhigh,
    /// Max (5.6 family).
    Max,
    /// Ultra (5.6 family).
    Ultra,
}

impl ReasoningEffort {
    /// Every accepted spelling, for error messages.
    pub const NAMES: &'static str = "none, minimal, low, medium, high, xhigh, max, ultra";

    /// Parse a level, ignoring ASCII case and surrounding whitespace.
    pub fn parse(value: &str) -> Option<Self> {
        let all = [
            ("none", Self::None),
            ("minimal", Self::Minimal),
            ("low", Self::Low),
            ("medium", Self::Medium),
            ("high", Self::High),
            ("xhigh", Self::Xhigh),
            ("max", Self::Max),
            ("ultra", Self::Ultra),
        ];
        lookup(&all, value)
    }
}

/// Reasoning summary styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningSummary {
    /// Backend's choice.
    Auto,
    /// Short.
    Concise,
    /// Long.
    Detailed,
}

impl ReasoningSummary {
    /// Every accepted spelling (`none` means "omit"), for error messages.
    pub const NAMES: &'static str = "auto, concise, detailed, none";

    /// Parse a style; `Some(None)` for `none` (no summary), `None` for nonsense.
    pub fn parse(value: &str) -> Option<Option<Self>> {
        let all = [
            ("auto", Some(Self::Auto)),
            ("concise", Some(Self::Concise)),
            ("detailed", Some(Self::Detailed)),
            ("none", None),
        ];
        lookup(&all, value)
    }
}

/// `text`.
#[derive(Debug, Default, Serialize)]
pub struct TextConfig {
    /// Structured output format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    /// Answer length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<Verbosity>,
}

/// `text.format`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextFormat {
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// Schema name.
        name: String,
        /// The schema, kept raw.
        schema: Box<RawValue>,
        /// Strict adherence.
        #[serde(skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
        /// What the format is for.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
}

/// `text.verbosity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    /// Short.
    Low,
    /// Default.
    Medium,
    /// Long.
    High,
}

impl Verbosity {
    /// Every accepted spelling, for error messages.
    pub const NAMES: &'static str = "low, medium, high";

    /// Parse a level, ignoring ASCII case and surrounding whitespace.
    pub fn parse(value: &str) -> Option<Self> {
        lookup(
            &[
                ("low", Self::Low),
                ("medium", Self::Medium),
                ("high", Self::High),
            ],
            value,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_tool_without_parameters_gets_empty_object_schema() {
        let tool = Tool::Function(FunctionTool {
            name: "f".into(),
            description: None,
            parameters: None,
            strict: None,
        });
        assert_eq!(
            serde_json::to_value(&tool).unwrap(),
            serde_json::json!({"type":"function","name":"f","parameters":{"type":"object","properties":{}}})
        );
    }

    #[test]
    fn levels_parse_case_insensitively() {
        assert_eq!(
            ReasoningEffort::parse(" XHigh "),
            Some(ReasoningEffort::Xhigh)
        );
        assert_eq!(ReasoningEffort::parse("extreme"), None);
        assert_eq!(ReasoningSummary::parse("none"), Some(None));
        assert_eq!(Verbosity::parse("LOW"), Some(Verbosity::Low));
    }
}
