//! The Messages answer: the `message` object, its content blocks, usage and stop reasons, and
//! the stream events it is delivered in. A non-stream answer is the fold of the same events.

use serde::Serialize;
use serde_json::value::RawValue;

/// A complete `message` (non-stream answer, and the skeleton in `message_start`).
#[derive(Debug, Clone, Serialize)]
pub struct MessageObject {
    /// `msg_…`.
    pub id: String,
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Always `assistant`.
    pub role: String,
    /// The model as the client named it.
    pub model: String,
    /// The blocks, in order.
    pub content: Vec<ContentBlock>,
    /// Why the turn ended (`null` in `message_start`).
    pub stop_reason: Option<StopReason>,
    /// Never set: stop sequences are not honoured.
    pub stop_sequence: Option<String>,
    /// Token accounting.
    pub usage: MessageUsage,
}

/// A block of the answer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// The backend's reasoning summary, signed with its encrypted reasoning.
    Thinking {
        /// The summary text (empty with `display: "omitted"`).
        thinking: String,
        /// `cgw2.`, a tag of the backend model, `.` and its encrypted reasoning.
        signature: String,
    },
    /// A call of a client tool.
    ToolUse {
        /// The backend's `call_…` id.
        id: String,
        /// The client's tool name.
        name: String,
        /// The arguments (`{}` in `content_block_start`).
        input: Box<RawValue>,
    },
    /// A web search the backend ran.
    ServerToolUse {
        /// `srvtoolu_…`.
        id: String,
        /// `web_search`.
        name: String,
        /// `{"query": …}`.
        input: Box<RawValue>,
    },
    /// What that search found.
    WebSearchToolResult {
        /// The `server_tool_use` it answers.
        tool_use_id: String,
        /// The results.
        content: Vec<WebSearchResult>,
    },
}

/// One search hit.
#[derive(Debug, Clone, Serialize)]
pub struct WebSearchResult {
    /// Always `web_search_result`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The page.
    pub url: String,
    /// Its title.
    pub title: String,
    /// Anthropic clients expect the field; the backend gives nothing to put in it.
    pub encrypted_content: String,
}

/// `stop_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model finished.
    EndTurn,
    /// The output limit was reached.
    MaxTokens,
    /// The model called a client tool.
    ToolUse,
    /// The backend's content filter stopped it.
    Refusal,
}

/// `usage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageUsage {
    /// Input tokens not read from the cache.
    pub input_tokens: u64,
    /// Never reported by the backend.
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from the cache.
    pub cache_read_input_tokens: u64,
    /// Output tokens (reasoning included).
    pub output_tokens: u64,
    /// Web searches the backend ran, when it ran any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<ServerToolUsage>,
}

/// `usage.server_tool_use`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerToolUsage {
    /// How many.
    pub web_search_requests: u64,
}

/// A delta inside `content_block_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    /// More text.
    TextDelta {
        /// The piece.
        text: String,
    },
    /// More thinking.
    ThinkingDelta {
        /// The piece.
        thinking: String,
    },
    /// The thinking block's signature.
    SignatureDelta {
        /// The whole signature.
        signature: String,
    },
    /// More tool arguments, as JSON text.
    InputJsonDelta {
        /// The piece.
        partial_json: String,
    },
}

/// `message_delta`'s `delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopDelta {
    /// Why the turn ended.
    pub stop_reason: StopReason,
    /// Always `null`.
    pub stop_sequence: Option<String>,
}

/// One stream event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The message skeleton.
    MessageStart {
        /// With empty content.
        message: MessageObject,
    },
    /// A block opens.
    ContentBlockStart {
        /// Its position.
        index: usize,
        /// Its opening state.
        content_block: ContentBlock,
    },
    /// A block grows.
    ContentBlockDelta {
        /// Its position.
        index: usize,
        /// What is added.
        delta: BlockDelta,
    },
    /// A block is complete.
    ContentBlockStop {
        /// Its position.
        index: usize,
    },
    /// The turn's end: why, and the usage.
    MessageDelta {
        /// Why.
        delta: StopDelta,
        /// The final usage.
        usage: MessageUsage,
    },
    /// The last event of a successful stream.
    MessageStop,
}

impl StreamEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
        }
    }

    /// Appends `event: <name>\ndata: <json>\n\n`.
    pub fn write_sse(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        out.extend_from_slice(&serde_json::to_vec(self).unwrap_or_default());
        out.extend_from_slice(b"\n\n");
    }
}
