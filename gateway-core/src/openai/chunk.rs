//! Chat Completions stream chunk (`chat.completion.chunk`) wire types, serialise-only.
//!
//! Fields that are absent are omitted, not written as `null`, except `finish_reason`, which the
//! spec shows as `null` on every chunk but the last. No translation logic lives here.

use serde::Serialize;

use crate::openai::chat_response::{CompletionUsage, FinishReason};

/// One `data:` payload of a Chat Completions stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletionChunk {
    /// `chatcmpl-…`, identical on every chunk of a stream.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: &'static str,
    /// Unix seconds, identical on every chunk.
    pub created: i64,
    /// The model as the client asked for it.
    pub model: String,
    /// One choice, or none on the usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Only on the final usage chunk (`stream_options.include_usage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<CompletionUsage>,
}

/// `choices[i]` of a chunk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkChoice {
    /// Always 0 (the gateway produces one choice).
    pub index: u32,
    /// What this chunk adds.
    pub delta: ChunkDelta,
    /// Set on the last chunk of the choice.
    pub finish_reason: Option<FinishReason>,
}

/// The incremental message content of a chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChunkDelta {
    /// `assistant`, on the first chunk only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// Answer text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Reasoning (summary) text, the field DeepSeek-style clients read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool-call fragments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallDelta>,
}

/// A fragment of one tool call, keyed by `index`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallDelta {
    /// Position of the call among this response's calls (0, 1, …).
    pub index: u32,
    /// The call id, on the call's first fragment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function`, on the call's first fragment.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// Name (first fragment) and arguments (any fragment).
    pub function: FunctionDelta,
}

/// `tool_calls[i].function` of a chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FunctionDelta {
    /// The tool name, on the first fragment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A piece of the arguments JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chunk_is_minimal_and_spec_shaped() {
        let chunk = ChatCompletionChunk {
            id: "chatcmpl-1".into(),
            object: "chat.completion.chunk",
            created: 1,
            model: "m".into(),
            choices: vec![ChunkChoice {
                index: 0,
                delta: ChunkDelta {
                    tool_calls: vec![ToolCallDelta {
                        index: 0,
                        id: None,
                        kind: None,
                        function: FunctionDelta {
                            name: None,
                            arguments: Some("{".into()),
                        },
                    }],
                    ..ChunkDelta::default()
                },
                finish_reason: None,
            }],
            usage: None,
        };
        assert_eq!(
            serde_json::to_value(&chunk).unwrap(),
            json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",
                   "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]},"finish_reason":null}]})
        );
    }
}
