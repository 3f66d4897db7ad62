//! Non-stream answers as folds over streams, plus what `/v1/responses` pass-through observes.
//!
//! `ChatCompletionBuilder` folds the very frames `ChatStream` streams (there is no second
//! mapping of text, tool calls, reasoning or usage). `ResponseAccumulator` keeps the upstream
//! `response` object byte-exact. Neither re-serialises upstream JSON, and an upstream failure is
//! always an `Err`, never a 200 with partial content.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::codex::error_map::map_stream_error;
use crate::codex::event::{ResponseEvent, TERMINAL_TYPES};
use crate::codex::response::ResponseObject;
use crate::error::GatewayError;
use crate::openai::chat_response::{
    AssistantMessage, ChatCompletion, Choice, CompletionUsage, FinishReason, FunctionCall, ToolCall,
};
use crate::openai::chunk::{ChunkChoice, ToolCallDelta};
use crate::sse::decode::SseEvent;
use crate::sse::encode::write_event;
use crate::translate::stream::{incomplete_reason, ChatFrame, StreamEnd};

const CUT_SHORT: &str = "upstream closed the stream before the response completed";

/// Folds chat frames into one `chat.completion`.
///
/// Drive a [`ChatStream`](crate::translate::stream::ChatStream) with `include_usage: true` so
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

/// Collects a Responses stream into the `response` object a non-stream caller gets.
#[derive(Debug, Default)]
pub struct ResponseAccumulator {
    /// `response.output_item.done` items with their output index, for rebuilding `output`.
    items: Vec<(u32, Box<RawValue>)>,
    outcome: Option<Result<ResponseObject, GatewayError>>,
    /// `created_at` of the response: "now" for turning `resets_at` into a delay.
    created_at: Option<i64>,
}

impl ResponseAccumulator {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one upstream event. After a terminal event, nothing changes the outcome.
    pub fn push(&mut self, ev: &SseEvent) {
        if self.outcome.is_some() {
            return;
        }
        let event = match ResponseEvent::parse(ev) {
            Ok(event) => event,
            Err(err) => {
                self.outcome = Some(Err(err.into()));
                return;
            }
        };
        match event {
            ResponseEvent::Created(envelope) | ResponseEvent::InProgress(envelope) => {
                self.created_at = self.created_at.or(envelope.response.created_at);
            }
            ResponseEvent::OutputItemDone(done) => {
                let index = done
                    .output_index
                    .unwrap_or(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
                self.items.push((index, done.item.raw));
            }
            ResponseEvent::Completed(envelope) | ResponseEvent::Incomplete(envelope) => {
                self.outcome = Some(Ok(envelope.response));
            }
            ResponseEvent::Failed(envelope) => {
                let err = match &envelope.response.error {
                    Some(error) => map_stream_error(error, self.created_at),
                    None => GatewayError::upstream_error(
                        "upstream reported response.failed without an error",
                    ),
                };
                self.outcome = Some(Err(err));
            }
            ResponseEvent::Error(event) => {
                self.outcome = Some(Err(map_stream_error(&event.into_error(), self.created_at)));
            }
            _ => {}
        }
    }

    /// The Responses object JSON (newline-terminated); `status` is `completed` or `incomplete`.
    ///
    /// `end` is what the host saw when upstream stopped (`None` for a plain end of body); it
    /// matters only when no terminal event arrived.
    pub fn finish(self, end: Option<StreamEnd>) -> Result<Vec<u8>, GatewayError> {
        let mut response = match (self.outcome, end) {
            (Some(outcome), _) => outcome?,
            (None, Some(StreamEnd::Failed(err) | StreamEnd::UpstreamError(err))) => {
                return Err(err)
            }
            (None, _) => return Err(GatewayError::upstream_error(CUT_SHORT)),
        };
        if response.output_items().is_empty() && !self.items.is_empty() {
            let mut items = self.items;
            items.sort_by_key(|(index, _)| *index);
            let items: Vec<Box<RawValue>> = items.into_iter().map(|(_, item)| item).collect();
            response
                .set_output(&items)
                .map_err(|e| GatewayError::Internal(e.to_string()))?;
        }
        let mut body = response
            .to_json()
            .map_err(|e| GatewayError::Internal(e.to_string()))?;
        body.push(b'\n');
        Ok(body)
    }
}

/// For `/v1/responses` pass-through: how the stream ended, if `ev` ends it.
///
/// Only terminal events are parsed; others cost a scan of their `type`.
pub fn observe_terminal(ev: &SseEvent) -> Option<StreamEnd> {
    if !TERMINAL_TYPES.contains(&ResponseEvent::type_of(ev).as_ref()) {
        return None;
    }
    match ResponseEvent::parse(ev) {
        Ok(ResponseEvent::Completed(_)) => Some(StreamEnd::Completed),
        Ok(ResponseEvent::Incomplete(envelope)) => Some(StreamEnd::Incomplete {
            reason: incomplete_reason(&envelope.response),
        }),
        Ok(ResponseEvent::Failed(envelope)) => {
            let created_at = envelope.response.created_at;
            let err = match &envelope.response.error {
                Some(error) => map_stream_error(error, created_at),
                None => GatewayError::upstream_error(
                    "upstream reported response.failed without an error",
                ),
            };
            Some(StreamEnd::Failed(err))
        }
        Ok(ResponseEvent::Error(event)) => Some(StreamEnd::Failed(map_stream_error(
            &event.into_error(),
            None,
        ))),
        Ok(_) => None,
        Err(err) => Some(StreamEnd::UpstreamError(err.into())),
    }
}

/// The `sequence_number` of a pass-through event, if it has one.
pub fn sequence_number(ev: &SseEvent) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        sequence_number: Option<u64>,
    }
    serde_json::from_str::<Seq>(&ev.data).ok()?.sequence_number
}

/// The Responses API `error` event to append when upstream died mid-stream on pass-through.
///
/// `sequence_number` continues the upstream's numbering (see [`sequence_number`]), as clients
/// that validate Responses events strictly require it.
pub fn responses_stream_error_event(err: &GatewayError, sequence_number: u64) -> Vec<u8> {
    #[derive(Serialize)]
    struct ErrorEventOut<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        sequence_number: u64,
        code: &'a str,
        message: String,
        param: Option<&'a str>,
    }
    let event = ErrorEventOut {
        kind: "error",
        sequence_number,
        code: err.code(),
        message: err.to_string(),
        param: err.param(),
    };
    let mut out = Vec::new();
    write_event(
        &mut out,
        "error",
        &serde_json::to_vec(&event).unwrap_or_default(),
    );
    out
}

fn to_json_line<T: Serialize>(value: &T) -> Result<Vec<u8>, GatewayError> {
    let mut body = serde_json::to_vec(value).map_err(|e| GatewayError::Internal(e.to_string()))?;
    body.push(b'\n');
    Ok(body)
}

#[cfg(test)]
mod tests;
