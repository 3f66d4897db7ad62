//! Chat Completions non-stream response (`chat.completion`) wire types, serialise-only.
//!
//! Also home of the pieces chunks share with it: [`FinishReason`] and [`CompletionUsage`].
//! No translation logic lives here.

use serde::Serialize;

/// A complete `chat.completion` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletion {
    /// `chatcmpl-…`.
    pub id: String,
    /// Always `chat.completion`.
    pub object: &'static str,
    /// Unix seconds.
    pub created: i64,
    /// The model as the client asked for it.
    pub model: String,
    /// Exactly one choice.
    pub choices: Vec<Choice>,
    /// Token accounting, when upstream reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<CompletionUsage>,
}

/// `choices[i]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// Always 0.
    pub index: u32,
    /// The assistant message.
    pub message: AssistantMessage,
    /// Why generation stopped.
    pub finish_reason: Option<FinishReason>,
    /// Always `null`: the backend returns no log probabilities (OpenAI's schema requires the key).
    pub logprobs: Option<serde_json::Value>,
}

/// The assistant message of a completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: &'static str,
    /// Answer text; `null` when the answer is only tool calls.
    pub content: Option<String>,
    /// Always `null`: refusals arrive as text (OpenAI's schema requires the key).
    pub refusal: Option<String>,
    /// Reasoning (summary) text, only when there is some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool calls, only when there are some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
}

/// A complete tool call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    /// The upstream `call_id`, which the client echoes in its `tool` message.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Name and complete arguments.
    pub function: FunctionCall,
}

/// `tool_calls[i].function`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionCall {
    /// The tool name.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

/// Why a choice stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// Natural end.
    Stop,
    /// Output token limit reached.
    Length,
    /// The model called tools.
    ToolCalls,
    /// Output withheld by a content filter.
    ContentFilter,
}

/// Chat Completions `usage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompletionUsage {
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens, reasoning included.
    pub completion_tokens: u64,
    /// Sum of both.
    pub total_tokens: u64,
    /// Cache hits.
    pub prompt_tokens_details: PromptTokensDetails,
    /// Reasoning share.
    pub completion_tokens_details: CompletionTokensDetails,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PromptTokensDetails {
    /// Prompt tokens served from the cache.
    pub cached_tokens: u64,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompletionTokensDetails {
    /// Tokens spent reasoning.
    pub reasoning_tokens: u64,
}
