//! A non-stream chat answer as a fold over the stream: `ChatCompletionBuilder` folds the very
//! frames `ChatStream` streams, so there is no second mapping of text, tool calls, reasoning or
//! usage. An upstream failure is always an `Err`, never a 200 with partial content.

use serde::Serialize;

use crate::error::GatewayError;
use crate::openai::chat_response::{
    AssistantMessage, ChatCompletion, Choice, CompletionUsage, FinishReason, FunctionCall, ToolCall,
};
use crate::openai::chunk::{ChunkChoice, ToolCallDelta};
use crate::translate::chat::stream::ChatFrame;
use crate::translate::end::CUT_SHORT;

/// Folds chat frames into one `chat.completion`.
///
/// Drive a [`ChatStream`](crate::translate::chat::stream::ChatStream) with `include_usage: true` so
/// the completion carries usage.
#[derive(Debug, Default)]
pub struct ChatCompletionBuilder {
    head: Option<(String, i64, String)>,
    content: String,
    reasoning: String,
    tool_calls: Vec<(u32, ToolCall)>,
    finish_reason: Option<FinishReason>,
    usage: Option<CompletionUsage>,
    error: Option<GatewayError>,
    done: bool,
}

impl ChatCompletionBuilder {
    /// An empty fold.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one frame. After an error frame, nothing changes the outcome.
    pub fn push(&mut self, frame: &ChatFrame) {
        if self.error.is_some() {
            return;
        }
        match frame {
            ChatFrame::Chunk(chunk) => {
                self.head
                    .get_or_insert_with(|| (chunk.id.clone(), chunk.created, chunk.model.clone()));
                if chunk.usage.is_some() {
                    self.usage.clone_from(&chunk.usage);
                }
                for choice in chunk.choices.iter().filter(|c| c.index == 0) {
                    self.push_choice(choice);
                }
            }
            ChatFrame::Error(err) => self.error = Some(err.clone()),
            ChatFrame::Done => self.done = true,
        }
    }

    fn push_choice(&mut self, choice: &ChunkChoice) {
        let delta = &choice.delta;
        self.content
            .push_str(delta.content.as_deref().unwrap_or_default());
        self.reasoning
            .push_str(delta.reasoning_content.as_deref().unwrap_or_default());
        for call in &delta.tool_calls {
            self.push_tool_call(call);
        }
        if choice.finish_reason.is_some() {
            self.finish_reason = choice.finish_reason;
        }
    }

    fn push_tool_call(&mut self, delta: &ToolCallDelta) {
        let position = match self
            .tool_calls
            .iter()
            .position(|(index, _)| *index == delta.index)
        {
            Some(position) => position,
            None => {
                let empty = ToolCall {
                    id: String::new(),
                    kind: "function",
                    function: FunctionCall {
                        name: String::new(),
                        arguments: String::new(),
                    },
                };
                self.tool_calls.push((delta.index, empty));
                self.tool_calls.len().saturating_sub(1)
            }
        };
        if let Some((_, call)) = self.tool_calls.get_mut(position) {
            call.id.push_str(delta.id.as_deref().unwrap_or_default());
            call.function
                .name
                .push_str(delta.function.name.as_deref().unwrap_or_default());
            call.function
                .arguments
                .push_str(delta.function.arguments.as_deref().unwrap_or_default());
        }
    }

    /// The `chat.completion` JSON body (newline-terminated), or the error the stream ended with.
    pub fn finish(self) -> Result<Vec<u8>, GatewayError> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let (true, Some((id, created, model))) = (self.done, self.head) else {
            return Err(GatewayError::upstream_error(CUT_SHORT));
        };
        let mut tool_calls = self.tool_calls;
        tool_calls.sort_by_key(|(index, _)| *index);
        let tool_calls: Vec<ToolCall> = tool_calls.into_iter().map(|(_, call)| call).collect();
        let content = (!self.content.is_empty() || tool_calls.is_empty()).then_some(self.content);
        let completion = ChatCompletion {
            id,
            object: "chat.completion",
            created,
            model,
            choices: vec![Choice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant",
                    refusal: None,
                    content,
                    reasoning_content: Some(self.reasoning).filter(|r| !r.is_empty()),
                    tool_calls,
                },
                logprobs: None,
                finish_reason: self.finish_reason,
            }],
            usage: self.usage,
        };
        to_json_line(&completion)
    }
}

fn to_json_line<T: Serialize>(value: &T) -> Result<Vec<u8>, GatewayError> {
    let mut body = serde_json::to_vec(value).map_err(|e| GatewayError::Internal(e.to_string()))?;
    body.push(b'\n');
    Ok(body)
}

#[cfg(test)]
mod tests;
