//! Codex events → Chat Completions frames: the one mapping of text, reasoning, tool calls, usage
//! and stream endings (non-stream chat is a fold of the same frames, see `aggregate`).
//!
//! Invariants: every chunk carries the same `id`, `created` and `model` (from [`StreamOptions`],
//! never the upstream `resp_…` id); the first chunk carries `role: "assistant"`; `[DONE]` is
//! written only after a finish chunk (`response.completed` or `response.incomplete`); a failed
//! or cut stream ends with an error frame, never with a made-up `finish_reason: "stop"`.
//! No host calls, no clock: "now" for quota resets is `StreamOptions::created`.

use super::tool_calls::{ItemPhase, ToolCalls};
use crate::codex::error_map::{map_failed_response, map_stream_error};
use crate::codex::event::{self, Delta, ResponseEvent, TextDone, OPENING_TYPES};
use crate::codex::response::{ItemKind, OutputItem, ResponseSummary, Usage};
use crate::config::ReasoningOutput;
use crate::error::GatewayError;
use crate::openai::chat_response::{
    CompletionTokensDetails, CompletionUsage, FinishReason, PromptTokensDetails,
};
use crate::openai::chunk::{ChatCompletionChunk, ChunkChoice, ChunkDelta, ToolCallDelta};
use crate::sse::decode::SseEvent;
use crate::sse::encode::{write_data, write_done};
use crate::translate::end::{incomplete_reason, StreamEnd};
use crate::translate::tool_names::ToolNames;

/// What every chunk of one stream shares, and whether a usage chunk is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// `chatcmpl-…`, chosen by the host.
    pub id: String,
    /// Unix seconds at request time (also "now" when turning `resets_at` into a delay).
    pub created: i64,
    /// The model as the client asked for it.
    pub model: String,
    /// `stream_options.include_usage`: send a `choices: []` chunk with usage before `[DONE]`.
    pub include_usage: bool,
}

/// Opens the reasoning in [`ReasoningOutput::ThinkTags`].
const THINK_OPEN: &str = "<think>";
/// Closes it; the answer follows after a blank line.
const THINK_CLOSE: &str = "</think>";

/// One thing to write downstream.
///
/// When the first frame of a stream is an `Error`, nothing was sent yet: the host may answer
/// with the error's HTTP status instead of a 200 stream.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatFrame {
    /// A `chat.completion.chunk`.
    Chunk(ChatCompletionChunk),
    /// The stream failed; written as `data: {"error":{…}}` and followed by nothing.
    Error(GatewayError),
    /// `data: [DONE]`.
    Done,
}

impl ChatFrame {
    /// Appends the frame's SSE bytes.
    pub fn write_sse(&self, out: &mut Vec<u8>) {
        match self {
            Self::Chunk(chunk) => match serde_json::to_vec(chunk) {
                Ok(json) => write_data(out, &json),
                Err(err) => write_error(out, &GatewayError::Internal(err.to_string())),
            },
            Self::Error(err) => write_error(out, err),
            Self::Done => write_done(out),
        }
    }
}

fn write_error(out: &mut Vec<u8>, err: &GatewayError) {
    let json = serde_json::to_vec(&err.envelope()).unwrap_or_default();
    write_data(out, &json);
}

/// The chat-completions view of one upstream response, fed event by event.
///
/// ```
/// use gateway_core::sse::decode::SseDecoder;
/// use gateway_core::translate::chat::stream::{ChatFrame, ChatStream, StreamOptions};
/// use gateway_core::translate::end::StreamEnd;
///
/// let upstream = concat!(
///     "event: response.output_text.delta\n",
///     "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n",
///     "event: response.completed\n",
///     "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"output\":[],",
///     "\"usage\":{\"input_tokens\":3,\"output_tokens\":1,\"total_tokens\":4}}}\n\n",
/// );
/// let mut stream = ChatStream::new(StreamOptions {
///     id: "chatcmpl-1".into(),
///     created: 1_700_000_000,
///     model: "gpt-5.4".into(),
///     include_usage: false,
/// });
/// let mut out = Vec::new();
/// for event in SseDecoder::new(1 << 20).push(upstream.as_bytes())? {
///     for frame in stream.on_event(&event) {
///         frame.write_sse(&mut out);
///     }
/// }
/// assert_eq!(stream.end(), Some(&StreamEnd::Completed));
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with(r#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-5.4","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#));
/// assert!(text.contains(r#""delta":{},"finish_reason":"stop""#));
/// assert!(text.ends_with("data: [DONE]\n\n"));
/// assert!(stream.finish(StreamEnd::UpstreamEof).is_empty()); // already ended
/// # Ok::<(), gateway_core::sse::decode::SseError>(())
/// ```
#[derive(Debug)]
pub struct ChatStream {
    opts: StreamOptions,
    role_sent: bool,
    tools: ToolCalls,
    /// Message items whose text arrived as deltas (their `.done` text is then not repeated).
    streamed_text_items: Vec<String>,
    /// (item, summary part, content part) of the last reasoning piece, to separate parts.
    reasoning_part: Option<(Option<String>, Option<u32>, Option<u32>)>,
    /// Function names the request shortened, restored in every tool-call header.
    tool_names: ToolNames,
    reasoning_output: ReasoningOutput,
    /// A `<think>` was sent and not closed yet.
    think_open: bool,
    /// Answer text was sent (reasoning can no longer go at the start of the content).
    content_started: bool,
    end: Option<StreamEnd>,
}

impl ChatStream {
    /// A stream that has seen nothing yet.
    pub fn new(opts: StreamOptions) -> Self {
        Self {
            opts,
            role_sent: false,
            tools: ToolCalls::default(),
            streamed_text_items: Vec::new(),
            reasoning_part: None,
            tool_names: ToolNames::default(),
            reasoning_output: ReasoningOutput::default(),
            think_open: false,
            content_started: false,
            end: None,
        }
    }

    /// The same stream, presenting reasoning as `output` says.
    pub fn reasoning_as(mut self, output: ReasoningOutput) -> Self {
        self.reasoning_output = output;
        self
    }

    /// The same stream, giving tool calls back the client's names for shortened ones
    /// ([`crate::translate::chat::request::Translated::tool_names`]).
    pub fn restoring(mut self, tool_names: ToolNames) -> Self {
        self.tool_names = tool_names;
        self
    }

    /// How the stream ended, once it has.
    pub fn end(&self) -> Option<&StreamEnd> {
        self.end.as_ref()
    }

    /// Translates one upstream event. Terminal events also produce the closing frames.
    /// Events after the end are ignored.
    pub fn on_event(&mut self, ev: &SseEvent) -> Vec<ChatFrame> {
        if self.end.is_some() {
            return Vec::new();
        }
        // Chat takes nothing from the opening events, and `response.created`/`in_progress` repeat
        // the whole request (instructions, tools): parsing them was a third of the guest's work
        // on a short answer.
        if OPENING_TYPES.contains(&event::type_of(ev).as_ref()) {
            return Vec::new();
        }
        match ResponseEvent::<ResponseSummary>::parse(ev) {
            Ok(event) => self.apply(event),
            Err(err) => self.fail(StreamEnd::UpstreamError(err.into())),
        }
    }

    /// Ends the stream for a reason the host observed; no-op when it already ended.
    pub fn finish(&mut self, end: StreamEnd) -> Vec<ChatFrame> {
        if self.end.is_some() {
            return Vec::new();
        }
        match end {
            StreamEnd::Completed => self.close(StreamEnd::Completed, None),
            StreamEnd::Incomplete { reason } => self.close(StreamEnd::Incomplete { reason }, None),
            StreamEnd::UpstreamEof => self.fail(StreamEnd::UpstreamEof),
            end @ (StreamEnd::Failed(_) | StreamEnd::UpstreamError(_)) => self.fail(end),
            StreamEnd::ClientGone => {
                self.end = Some(StreamEnd::ClientGone);
                Vec::new()
            }
        }
    }

    fn apply(&mut self, event: ResponseEvent<ResponseSummary>) -> Vec<ChatFrame> {
        match event {
            ResponseEvent::OutputTextDelta(delta) => self.text_delta(delta),
            ResponseEvent::OutputTextDone(done) => self.text_done(done),
            ResponseEvent::ReasoningSummaryTextDelta(delta)
            | ResponseEvent::ReasoningTextDelta(delta) => self.reasoning_delta(delta),
            ResponseEvent::OutputItemAdded(added) => {
                self.item(added.output_index, &added.item, ItemPhase::Added)
            }
            ResponseEvent::OutputItemDone(done) => {
                self.item(done.output_index, &done.item, ItemPhase::Done)
            }
            ResponseEvent::FunctionCallArgumentsDelta(delta) => {
                let calls = self.tools.on_delta(&delta);
                self.tool_chunk(calls)
            }
            ResponseEvent::FunctionCallArgumentsDone(done) => {
                let calls = self.tools.on_done(&done);
                self.tool_chunk(calls)
            }
            ResponseEvent::Completed(envelope) => {
                let usage = envelope.response.usage.as_ref().map(chat_usage);
                self.close(StreamEnd::Completed, usage)
            }
            ResponseEvent::Incomplete(envelope) => self.incomplete(&envelope.response),
            ResponseEvent::Failed(envelope) => {
                let error = envelope.response.error.as_ref();
                let err = map_failed_response(error, Some(self.opts.created));
                self.fail(StreamEnd::Failed(err))
            }
            ResponseEvent::Error(event) => {
                let err = map_stream_error(&event.into_error(), Some(self.opts.created));
                self.fail(StreamEnd::Failed(err))
            }
            ResponseEvent::Created(_)
            | ResponseEvent::InProgress(_)
            | ResponseEvent::Unknown(_) => Vec::new(),
        }
    }

    fn text_delta(&mut self, delta: Delta) -> Vec<ChatFrame> {
        let item = delta.item_id.unwrap_or_default();
        if !self.streamed_text_items.contains(&item) {
            self.streamed_text_items.push(item);
        }
        self.content_chunk(delta.delta)
    }

    /// Text that arrived only as `.done` (no deltas for its item) is sent whole.
    fn text_done(&mut self, done: TextDone) -> Vec<ChatFrame> {
        let item = done.item_id.unwrap_or_default();
        if self.streamed_text_items.contains(&item) {
            return Vec::new();
        }
        self.streamed_text_items.push(item);
        self.content_chunk(done.text)
    }

    fn content_chunk(&mut self, text: String) -> Vec<ChatFrame> {
        if text.is_empty() {
            return Vec::new();
        }
        self.content_started = true;
        let text = if std::mem::take(&mut self.think_open) {
            format!("{THINK_CLOSE}\n\n{text}")
        } else {
            text
        };
        let delta = ChunkDelta {
            content: Some(text),
            ..ChunkDelta::default()
        };
        vec![self.chunk(delta, None)]
    }

    /// Reasoning pieces; a blank line separates summary parts.
    fn reasoning_delta(&mut self, delta: Delta) -> Vec<ChatFrame> {
        let hidden = match self.reasoning_output {
            ReasoningOutput::Field => false,
            ReasoningOutput::Hidden => true,
            // Think tags lead the content; reasoning after the answer began has no place.
            ReasoningOutput::ThinkTags => self.content_started,
        };
        if delta.delta.is_empty() || hidden {
            return Vec::new();
        }
        let part = (delta.item_id, delta.summary_index, delta.content_index);
        let text = match &self.reasoning_part {
            Some(last) if *last != part => format!("\n\n{}", delta.delta),
            _ => delta.delta,
        };
        self.reasoning_part = Some(part);
        let delta = match self.reasoning_output {
            ReasoningOutput::ThinkTags => {
                let opening = if self.think_open { "" } else { THINK_OPEN };
                self.think_open = true;
                ChunkDelta {
                    content: Some(format!("{opening}{text}")),
                    ..ChunkDelta::default()
                }
            }
            _ => ChunkDelta {
                reasoning_content: Some(text),
                ..ChunkDelta::default()
            },
        };
        vec![self.chunk(delta, None)]
    }

    /// The `</think>` owed at the end when no answer text followed the reasoning.
    fn close_think(&mut self) -> Vec<ChatFrame> {
        if !std::mem::take(&mut self.think_open) {
            return Vec::new();
        }
        let delta = ChunkDelta {
            content: Some(THINK_CLOSE.to_owned()),
            ..ChunkDelta::default()
        };
        vec![self.chunk(delta, None)]
    }

    fn item(
        &mut self,
        output_index: Option<u32>,
        item: &OutputItem,
        phase: ItemPhase,
    ) -> Vec<ChatFrame> {
        match &item.kind {
            ItemKind::FunctionCall(call) => {
                let calls = self.tools.on_item(output_index, call, phase);
                self.tool_chunk(calls)
            }
            ItemKind::Other(_) => Vec::new(),
        }
    }

    fn tool_chunk(&mut self, mut tool_calls: Vec<ToolCallDelta>) -> Vec<ChatFrame> {
        if tool_calls.is_empty() {
            return Vec::new();
        }
        if !self.tool_names.is_empty() {
            for name in tool_calls
                .iter_mut()
                .filter_map(|c| c.function.name.as_mut())
            {
                let client = self.tool_names.client(name);
                if client != name {
                    *name = client.to_owned();
                }
            }
        }
        let delta = ChunkDelta {
            tool_calls,
            ..ChunkDelta::default()
        };
        vec![self.chunk(delta, None)]
    }

    fn incomplete(&mut self, response: &ResponseSummary) -> Vec<ChatFrame> {
        let reason = incomplete_reason(response);
        let usage = response.usage.as_ref().map(chat_usage);
        self.close(StreamEnd::Incomplete { reason }, usage)
    }

    /// A normal end: pending tool calls, the finish chunk, the usage chunk, `[DONE]`.
    fn close(&mut self, end: StreamEnd, usage: Option<CompletionUsage>) -> Vec<ChatFrame> {
        let pending = self.tools.flush();
        let mut frames = self.tool_chunk(pending);
        frames.extend(self.close_think());
        let finish_reason = match &end {
            StreamEnd::Incomplete { reason } if reason == "content_filter" => {
                FinishReason::ContentFilter
            }
            StreamEnd::Incomplete { .. } => FinishReason::Length,
            _ if self.tools.any() => FinishReason::ToolCalls,
            _ => FinishReason::Stop,
        };
        frames.push(self.chunk(ChunkDelta::default(), Some(finish_reason)));
        if let (true, Some(usage)) = (self.opts.include_usage, usage) {
            frames.push(ChatFrame::Chunk(ChatCompletionChunk {
                choices: Vec::new(),
                usage: Some(usage),
                ..self.chunk_head()
            }));
        }
        frames.push(ChatFrame::Done);
        self.end = Some(end);
        frames
    }

    /// A failed end: one error frame, nothing after it.
    fn fail(&mut self, end: StreamEnd) -> Vec<ChatFrame> {
        let err = match &end {
            StreamEnd::Failed(err) | StreamEnd::UpstreamError(err) => err.clone(),
            _ => GatewayError::upstream_error(
                "upstream closed the stream before the response completed",
            ),
        };
        self.end = Some(end);
        vec![ChatFrame::Error(err)]
    }

    fn chunk(&mut self, mut delta: ChunkDelta, finish_reason: Option<FinishReason>) -> ChatFrame {
        if !self.role_sent {
            delta.role = Some("assistant");
            self.role_sent = true;
        }
        ChatFrame::Chunk(ChatCompletionChunk {
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
            }],
            ..self.chunk_head()
        })
    }

    fn chunk_head(&self) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.opts.id.clone(),
            object: "chat.completion.chunk",
            created: self.opts.created,
            model: self.opts.model.clone(),
            choices: Vec::new(),
            usage: None,
        }
    }
}

/// Responses usage → Chat Completions usage.
pub fn chat_usage(usage: &Usage) -> CompletionUsage {
    CompletionUsage {
        prompt_tokens: usage.input_tokens,
        completion_tokens: usage.output_tokens,
        total_tokens: usage
            .total_tokens
            .unwrap_or_else(|| usage.input_tokens.saturating_add(usage.output_tokens)),
        prompt_tokens_details: PromptTokensDetails {
            cached_tokens: usage
                .input_tokens_details
                .as_ref()
                .map_or(0, |d| d.cached_tokens),
        },
        completion_tokens_details: CompletionTokensDetails {
            reasoning_tokens: usage
                .output_tokens_details
                .as_ref()
                .map_or(0, |d| d.reasoning_tokens),
        },
    }
}

#[cfg(test)]
mod tests;
