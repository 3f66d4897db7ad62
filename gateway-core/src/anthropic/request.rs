//! `POST /v1/messages` (and `/v1/messages/count_tokens`) request bodies, as Claude Code 2.1.x
//! and the Anthropic SDKs send them. Unknown block and tool types are kept as `Other` so a newer
//! client is translated as far as it can be, never refused for a field it added.

use serde::Deserialize;
use serde_json::Value;

/// A Messages request.
#[derive(Debug, Deserialize)]
pub struct MessagesRequest {
    /// The model the client asked for.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// The system prompt: a string or text blocks.
    #[serde(default)]
    pub system: Option<Content>,
    /// Tools the model may call.
    #[serde(default)]
    pub tools: Vec<ToolDef>,
    /// How the model must use them.
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    /// Extended thinking.
    #[serde(default)]
    pub thinking: Option<Thinking>,
    /// `{"effort": …}`.
    #[serde(default)]
    pub output_config: Option<OutputConfig>,
    /// `{"user_id": …}`; Claude Code's is a JSON string holding its `session_id`.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// SSE when true.
    #[serde(default)]
    pub stream: Option<bool>,
    /// Every other field, by name, for the ignored-parameter report.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// One message of the conversation.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// `user`, `assistant`, or `system` (Claude Code's environment message).
    pub role: Role,
    /// A string or blocks.
    pub content: Content,
}

/// Who speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user (and tool results).
    User,
    /// The model, in earlier turns.
    Assistant,
    /// A system message inside `messages`.
    System,
}

/// Content: a plain string or a list of blocks.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Blocks.
    Blocks(Vec<Block>),
}

/// A content block.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// An image.
    Image {
        /// Where it is.
        source: Source,
    },
    /// A document (a PDF, or plain text).
    Document {
        /// Where it is.
        source: Source,
        /// A title, used as the file name.
        #[serde(default)]
        title: Option<String>,
    },
    /// A tool call the model made earlier.
    ToolUse {
        /// `toolu_…` (or the backend's `call_…` this gateway gave out).
        id: String,
        /// The tool.
        name: String,
        /// Its arguments.
        #[serde(default)]
        input: Value,
    },
    /// A tool's result.
    ToolResult {
        /// The call it answers.
        tool_use_id: String,
        /// A string or blocks (text, images).
        #[serde(default)]
        content: Option<Content>,
        /// Whether the tool failed.
        #[serde(default)]
        is_error: Option<bool>,
    },
    /// Reasoning from an earlier turn, with its signature.
    Thinking {
        /// The thinking text.
        #[serde(default)]
        thinking: String,
        /// Who issued it; this gateway's carry the backend's encrypted reasoning.
        #[serde(default)]
        signature: Option<String>,
    },
    /// Reasoning another provider redacted.
    RedactedThinking,
    /// Any other block (`server_tool_use`, `web_search_tool_result`, `search_result`, …).
    #[serde(other)]
    Other,
}

/// Where an image or document is.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// Inline base64 data.
    Base64 {
        /// `image/png`, `application/pdf`, …
        media_type: String,
        /// The data.
        data: String,
    },
    /// A URL.
    Url {
        /// The URL.
        url: String,
    },
    /// Plain text (documents).
    Text {
        /// The text.
        data: String,
    },
    /// Any other source (`file`, `content`).
    #[serde(other)]
    Other,
}

/// A tool definition: a custom tool (`input_schema`) or a server tool (`type`).
#[derive(Debug, Deserialize)]
pub struct ToolDef {
    /// `custom`, absent, or a server tool type such as `web_search_20250305`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The tool's name.
    #[serde(default)]
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// Its arguments' JSON schema.
    #[serde(default)]
    pub input_schema: Option<Value>,
}

/// `tool_choice`.
#[derive(Debug, Deserialize)]
pub struct ToolChoice {
    /// `auto`, `any`, `tool` or `none`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tool, for `tool`.
    #[serde(default)]
    pub name: Option<String>,
    /// One tool call at most per turn.
    #[serde(default)]
    pub disable_parallel_tool_use: Option<bool>,
}

/// `thinking`.
#[derive(Debug, Deserialize)]
pub struct Thinking {
    /// `enabled`, `adaptive` or `disabled`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `enabled`'s budget.
    #[serde(default)]
    pub budget_tokens: Option<u64>,
    /// `omitted` hides the thinking text (signatures still come).
    #[serde(default)]
    pub display: Option<String>,
}

/// `output_config`.
#[derive(Debug, Deserialize)]
pub struct OutputConfig {
    /// `low`, `medium`, `high`, `max`.
    #[serde(default)]
    pub effort: Option<String>,
    /// Anything else (`format`, …), by name, for the ignored-parameter report.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// `metadata`.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    /// Claude Code's is a JSON string of `{device_id, account_uuid, session_id}`.
    #[serde(default)]
    pub user_id: Option<String>,
}

impl Metadata {
    /// The `session_id` inside `user_id`, when it is Claude Code's JSON form.
    pub fn session_id(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Ids {
            #[serde(default)]
            session_id: Option<String>,
        }
        let ids: Ids = serde_json::from_str(self.user_id.as_deref()?).ok()?;
        ids.session_id.filter(|s| !s.trim().is_empty())
    }
}
