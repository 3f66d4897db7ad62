//! Codex events → Anthropic Messages stream events: the one mapping of text, thinking, tool
//! calls, web searches, usage and endings (the non-stream answer is their fold, [`super::fold`]).
//!
//! Invariants, the ones Anthropic clients check:
//! - `message_start` comes first, exactly once, and leaves with the first real output, so a
//!   failure before any output can still be answered with its own HTTP status;
//! - blocks open and close in order (`content_block_start`, deltas, `content_block_stop`), one at
//!   a time, with indexes counting up from 0;
//! - `message_delta` and `message_stop` come only after `response.completed` or
//!   `response.incomplete`; a failure after the start is an `error` frame and nothing follows it,
//!   never a `message_stop`.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::request::ThinkingOut;
use super::signature;
use crate::anthropic::message::{
    BlockDelta, ContentBlock, MessageObject, MessageUsage, ServerToolUsage, StopDelta, StopReason,
    StreamEvent, WebSearchResult,
};
use crate::codex::error_map::{map_failed_response, map_stream_error};
use crate::codex::event::{self, Delta, ResponseEvent, OPENING_TYPES};
use crate::codex::response::{ItemKind, OutputItem, ResponseSummary, Usage};
use crate::error::GatewayError;
use crate::sse::decode::SseEvent;
use crate::translate::end::{incomplete_reason, StreamEnd};
use crate::translate::tool_names::ToolNames;

/// What one stream shares.
#[derive(Debug, Clone)]
pub struct MessagesOptions {
    /// `msg_…`, chosen by the host.
    pub id: String,
    /// The model as the client named it.
    pub model: String,
    /// The backend model, which thinking signatures are bound to.
    pub upstream_model: String,
    /// Whether (and how) reasoning is shown.
    pub thinking: ThinkingOut,
    /// Unix seconds now, for quota resets.
    pub now: i64,
}

/// One thing to write downstream.
#[derive(Debug, Clone)]
pub enum MessagesFrame {
    /// A stream event.
    Event(StreamEvent),
    /// The stream failed. First of all frames: nothing was written, answer with its status.
    Error(GatewayError),
}

/// The block open now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Open {
    Text {
        item: String,
        streamed: bool,
    },
    Thinking {
        item: String,
        part: Option<u32>,
    },
    Tool {
        item: String,
        args_sent: bool,
    },
    /// A backend web search and its result: opened and closed at once.
    Server,
}

/// The Anthropic view of one upstream response, fed event by event.
#[derive(Debug)]
pub struct MessagesStream {
    opts: MessagesOptions,
    names: ToolNames,
    started: bool,
    next_index: usize,
    open: Option<Open>,
    called_tool: bool,
    searches: u64,
    end: Option<StreamEnd>,
}

#[derive(Deserialize)]
struct ReasoningItem {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    encrypted_content: Option<String>,
}

#[derive(Deserialize)]
struct MessageItem {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    content: Vec<MessagePart>,
}

#[derive(Deserialize)]
struct MessagePart {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct SearchItem {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    action: Option<SearchAction>,
}

#[derive(Deserialize)]
struct SearchAction {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    sources: Vec<SearchSource>,
}

#[derive(Deserialize)]
struct SearchSource {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

impl MessagesStream {
    /// A stream that has seen nothing yet, restoring `names` in tool calls.
    pub fn new(opts: MessagesOptions, names: ToolNames) -> Self {
        Self {
            opts,
            names,
            started: false,
            next_index: 0,
            open: None,
            called_tool: false,
            searches: 0,
            end: None,
        }
    }

    /// How the stream ended, once it has.
    pub fn end(&self) -> Option<&StreamEnd> {
        self.end.as_ref()
    }

    /// Translates one upstream event; events after the end are ignored.
    pub fn on_event(&mut self, ev: &SseEvent) -> Vec<MessagesFrame> {
        if self.end.is_some() || OPENING_TYPES.contains(&event::type_of(ev).as_ref()) {
            return Vec::new();
        }
        let mut out = Vec::new();
        match ResponseEvent::<ResponseSummary>::parse(ev) {
            Ok(event) => self.apply(event, &mut out),
            Err(err) => self.fail(StreamEnd::UpstreamError(err.into()), &mut out),
        }
        out
    }

    /// Ends the stream for a reason the host observed; no-op once it has ended.
    pub fn finish(&mut self, end: StreamEnd) -> Vec<MessagesFrame> {
        let mut out = Vec::new();
        if self.end.is_some() {
            return out;
        }
        match end {
            StreamEnd::Completed => self.close(StopReason::EndTurn, None, &mut out),
            StreamEnd::ClientGone => self.end = Some(StreamEnd::ClientGone),
            other => self.fail(other, &mut out),
        }
        out
    }

    fn apply(&mut self, event: ResponseEvent<ResponseSummary>, out: &mut Vec<MessagesFrame>) {
        match event {
            ResponseEvent::OutputItemAdded(added) => self.item_added(&added.item, out),
            ResponseEvent::OutputItemDone(done) => self.item_done(&done.item, out),
            ResponseEvent::OutputTextDelta(delta) => self.text(delta, out),
            ResponseEvent::OutputTextDone(_) => {}
            ResponseEvent::ReasoningSummaryTextDelta(delta)
            | ResponseEvent::ReasoningTextDelta(delta) => self.thinking(delta, out),
            ResponseEvent::FunctionCallArgumentsDelta(delta) => self.arguments(delta, out),
            ResponseEvent::FunctionCallArgumentsDone(_) => {}
            ResponseEvent::Completed(envelope) => {
                let reason = if self.called_tool {
                    StopReason::ToolUse
                } else {
                    StopReason::EndTurn
                };
                self.close(reason, envelope.response.usage.as_ref(), out);
            }
            ResponseEvent::Incomplete(envelope) => {
                let reason = match incomplete_reason(&envelope.response).as_str() {
                    "max_output_tokens" => StopReason::MaxTokens,
                    "content_filter" => StopReason::Refusal,
                    _ if self.called_tool => StopReason::ToolUse,
                    _ => StopReason::EndTurn,
                };
                self.close(reason, envelope.response.usage.as_ref(), out);
            }
            ResponseEvent::Failed(envelope) => {
                let error = envelope.response.error.as_ref();
                let err = map_failed_response(error, Some(self.opts.now));
                self.fail(StreamEnd::Failed(err), out);
            }
            ResponseEvent::Error(event) => {
                let err = map_stream_error(&event.into_error(), Some(self.opts.now));
                self.fail(StreamEnd::Failed(err), out);
            }
            ResponseEvent::Created(_)
            | ResponseEvent::InProgress(_)
            | ResponseEvent::Unknown(_) => {}
        }
    }

    fn item_added(&mut self, item: &OutputItem, out: &mut Vec<MessagesFrame>) {
        if let ItemKind::FunctionCall(call) = &item.kind {
            let id = call
                .id
                .clone()
                .or_else(|| call.call_id.clone())
                .unwrap_or_default();
            self.open_tool(&id, call.call_id.as_deref(), call.name.as_deref(), out);
        }
    }

    fn item_done(&mut self, item: &OutputItem, out: &mut Vec<MessagesFrame>) {
        match &item.kind {
            ItemKind::FunctionCall(call) => {
                let id = call
                    .id
                    .clone()
                    .or_else(|| call.call_id.clone())
                    .unwrap_or_default();
                if !matches!(&self.open, Some(Open::Tool { item, .. }) if *item == id) {
                    self.open_tool(&id, call.call_id.as_deref(), call.name.as_deref(), out);
                }
                if let Some(Open::Tool {
                    args_sent: false, ..
                }) = &self.open
                {
                    let args = call.arguments.clone().unwrap_or_default();
                    let partial_json = if args.trim().is_empty() {
                        "{}".into()
                    } else {
                        args
                    };
                    self.delta(BlockDelta::InputJsonDelta { partial_json }, out);
                }
                self.close_block(out);
            }
            ItemKind::Other(kind) => match kind.as_str() {
                "reasoning" => self.reasoning_done(&item.raw, out),
                "message" => self.message_done(&item.raw, out),
                "web_search_call" => self.search_done(&item.raw, out),
                _ => {}
            },
        }
    }

    fn text(&mut self, delta: Delta, out: &mut Vec<MessagesFrame>) {
        if delta.delta.is_empty() {
            return;
        }
        let item = delta.item_id.unwrap_or_default();
        if !matches!(&self.open, Some(Open::Text { item: open, .. }) if *open == item) {
            self.open_block(
                Open::Text {
                    item: item.clone(),
                    streamed: true,
                },
                ContentBlock::Text {
                    text: String::new(),
                },
                out,
            );
        }
        self.delta(BlockDelta::TextDelta { text: delta.delta }, out);
    }

    /// A message's text that came without deltas is sent whole; its block closes.
    fn message_done(&mut self, raw: &RawValue, out: &mut Vec<MessagesFrame>) {
        let Ok(message) = serde_json::from_str::<MessageItem>(raw.get()) else {
            return;
        };
        let item = message.id.unwrap_or_default();
        // An open streamed text block is this message's, whatever id its deltas named.
        let streamed = matches!(&self.open, Some(Open::Text { streamed: true, .. }));
        if !streamed {
            let text: String = message
                .content
                .into_iter()
                .filter_map(|p| p.text.or(p.refusal))
                .collect();
            if !text.is_empty() {
                self.open_block(
                    Open::Text {
                        item,
                        streamed: false,
                    },
                    ContentBlock::Text {
                        text: String::new(),
                    },
                    out,
                );
                self.delta(BlockDelta::TextDelta { text }, out);
            }
        }
        if matches!(self.open, Some(Open::Text { .. })) {
            self.close_block(out);
        }
    }

    fn thinking(&mut self, delta: Delta, out: &mut Vec<MessagesFrame>) {
        if self.opts.thinking == ThinkingOut::Off {
            return;
        }
        let item = delta.item_id.clone().unwrap_or_default();
        let mut text = delta.delta;
        match &mut self.open {
            Some(Open::Thinking { item: open, part }) if *open == item => {
                if *part != delta.summary_index {
                    *part = delta.summary_index;
                    text.insert_str(0, "\n\n");
                }
            }
            _ => self.open_thinking(item, delta.summary_index, out),
        }
        if self.opts.thinking == ThinkingOut::Shown && !text.is_empty() {
            self.delta(BlockDelta::ThinkingDelta { thinking: text }, out);
        }
    }

    fn open_thinking(&mut self, item: String, part: Option<u32>, out: &mut Vec<MessagesFrame>) {
        self.open_block(
            Open::Thinking { item, part },
            ContentBlock::Thinking {
                thinking: String::new(),
                signature: String::new(),
            },
            out,
        );
    }

    /// The reasoning's signature carries its encrypted content; the block closes.
    fn reasoning_done(&mut self, raw: &RawValue, out: &mut Vec<MessagesFrame>) {
        if self.opts.thinking == ThinkingOut::Off {
            return;
        }
        let Ok(reasoning) = serde_json::from_str::<ReasoningItem>(raw.get()) else {
            return;
        };
        let item = reasoning.id.unwrap_or_default();
        if !matches!(&self.open, Some(Open::Thinking { item: open, .. }) if *open == item) {
            self.open_thinking(item, None, out);
        }
        if let Some(encrypted) = reasoning.encrypted_content.filter(|e| !e.is_empty()) {
            let signature = signature::encode(&self.opts.upstream_model, &encrypted);
            self.delta(BlockDelta::SignatureDelta { signature }, out);
        }
        self.close_block(out);
    }

    /// A web search the backend ran: a `server_tool_use` block and its result block.
    fn search_done(&mut self, raw: &RawValue, out: &mut Vec<MessagesFrame>) {
        let Ok(search) = serde_json::from_str::<SearchItem>(raw.get()) else {
            return;
        };
        self.searches += 1;
        let id = format!(
            "srvtoolu_{}",
            search.id.unwrap_or_else(|| self.searches.to_string())
        );
        let action = search.action;
        let query = action
            .as_ref()
            .and_then(|a| a.query.clone())
            .unwrap_or_default();
        let input = serde_json::value::to_raw_value(&QueryInput { query: &query })
            .unwrap_or_else(|_| empty_object());
        let call = ContentBlock::ServerToolUse {
            id: id.clone(),
            name: "web_search".into(),
            input,
        };
        self.open_block(Open::Server, call, out);
        self.close_block(out);
        let content = action
            .map(|a| a.sources)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| {
                let url = s.url?;
                Some(WebSearchResult {
                    kind: "web_search_result".into(),
                    title: s.title.unwrap_or_else(|| url.clone()),
                    url,
                    encrypted_content: String::new(),
                })
            })
            .collect();
        let result = ContentBlock::WebSearchToolResult {
            tool_use_id: id,
            content,
        };
        self.open_block(Open::Server, result, out);
        self.close_block(out);
    }

    fn open_tool(
        &mut self,
        item: &str,
        call_id: Option<&str>,
        name: Option<&str>,
        out: &mut Vec<MessagesFrame>,
    ) {
        self.called_tool = true;
        let block = ContentBlock::ToolUse {
            id: call_id.unwrap_or(item).to_owned(),
            name: self.names.client(name.unwrap_or_default()).to_owned(),
            input: empty_object(),
        };
        let open = Open::Tool {
            item: item.to_owned(),
            args_sent: false,
        };
        self.open_block(open, block, out);
    }

    fn arguments(&mut self, delta: Delta, out: &mut Vec<MessagesFrame>) {
        let item = delta.item_id.unwrap_or_default();
        if let Some(Open::Tool {
            item: open,
            args_sent,
        }) = &mut self.open
        {
            if *open == item && !delta.delta.is_empty() {
                *args_sent = true;
                let partial_json = delta.delta;
                self.delta(BlockDelta::InputJsonDelta { partial_json }, out);
            }
        }
    }

    fn start(&mut self, out: &mut Vec<MessagesFrame>) {
        if !self.started {
            self.started = true;
            out.push(MessagesFrame::Event(StreamEvent::MessageStart {
                message: self.skeleton(),
            }));
        }
    }

    /// The message with no content yet, as `message_start` carries it.
    pub fn skeleton(&self) -> MessageObject {
        MessageObject {
            id: self.opts.id.clone(),
            kind: "message".into(),
            role: "assistant".into(),
            model: self.opts.model.clone(),
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: MessageUsage::default(),
        }
    }

    fn open_block(&mut self, open: Open, block: ContentBlock, out: &mut Vec<MessagesFrame>) {
        self.close_block(out);
        self.start(out);
        out.push(MessagesFrame::Event(StreamEvent::ContentBlockStart {
            index: self.next_index,
            content_block: block,
        }));
        self.open = Some(open);
    }

    fn delta(&mut self, delta: BlockDelta, out: &mut Vec<MessagesFrame>) {
        out.push(MessagesFrame::Event(StreamEvent::ContentBlockDelta {
            index: self.next_index,
            delta,
        }));
    }

    fn close_block(&mut self, out: &mut Vec<MessagesFrame>) {
        if self.open.take().is_some() {
            out.push(MessagesFrame::Event(StreamEvent::ContentBlockStop {
                index: self.next_index,
            }));
            self.next_index += 1;
        }
    }

    fn close(&mut self, reason: StopReason, usage: Option<&Usage>, out: &mut Vec<MessagesFrame>) {
        self.close_block(out);
        self.start(out);
        let mut usage = usage.map(message_usage).unwrap_or_default();
        if self.searches > 0 {
            usage.server_tool_use = Some(ServerToolUsage {
                web_search_requests: self.searches,
            });
        }
        out.push(MessagesFrame::Event(StreamEvent::MessageDelta {
            delta: StopDelta {
                stop_reason: reason,
                stop_sequence: None,
            },
            usage,
        }));
        out.push(MessagesFrame::Event(StreamEvent::MessageStop));
        self.end = Some(match reason {
            StopReason::MaxTokens => StreamEnd::Incomplete {
                reason: "max_output_tokens".into(),
            },
            StopReason::Refusal => StreamEnd::Incomplete {
                reason: "content_filter".into(),
            },
            StopReason::EndTurn | StopReason::ToolUse => StreamEnd::Completed,
        });
    }

    fn fail(&mut self, end: StreamEnd, out: &mut Vec<MessagesFrame>) {
        let err = match &end {
            StreamEnd::Failed(err) | StreamEnd::UpstreamError(err) => err.clone(),
            _ => GatewayError::upstream_error(crate::translate::end::CUT_SHORT),
        };
        // An open block is left open: Anthropic's clients take `error` as the end of it all.
        out.push(MessagesFrame::Error(err));
        self.end = Some(end);
    }

    /// Whether `message_start` has been produced (anything reached, or will reach, the client).
    pub fn started(&self) -> bool {
        self.started
    }
}

#[derive(serde::Serialize)]
struct QueryInput<'a> {
    query: &'a str,
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| Box::<RawValue>::default())
}

/// Anthropic's usage: input excludes the cached reads, which have their own field.
pub fn message_usage(usage: &Usage) -> MessageUsage {
    let cached = usage
        .input_tokens_details
        .as_ref()
        .map_or(0, |d| d.cached_tokens);
    MessageUsage {
        input_tokens: usage.input_tokens.saturating_sub(cached),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cached,
        output_tokens: usage.output_tokens,
        server_tool_use: None,
    }
}

#[cfg(test)]
mod tests;
