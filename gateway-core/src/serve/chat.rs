//! `POST /v1/chat/completions`: translate to a Codex Responses call and translate the stream
//! back, chunk by chunk; the non-stream answer is a fold of the same chunks.

use super::codex_call::{call, CodexCall};
use super::host::{ClientGone, Host, Method, Reply};
use super::pump::{failure_of, fold, pump, EventSink, Pumped};
use super::request::Ctx;
use super::responder::{json_header, sse_headers, Responder};
use super::stream_out::StreamOut;
use super::upstream::{Failed, Handled};
use crate::error::GatewayError;
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::log::LogLevel;
use crate::request_id::uuid_v4;
use crate::sse::decode::SseEvent;
use crate::translate::chat::completion::ChatCompletionBuilder;
use crate::translate::chat::request::chat_to_responses_with;
use crate::translate::chat::stream::{ChatFrame, ChatStream, StreamOptions};

/// Serve one chat completion from its checked JSON `body`.
pub fn handle<H: Host, R: Reply>(ctx: &Ctx<'_, H>, body: &[u8], out: &mut Responder<R>) -> Handled {
    let reasoning = ctx.settings.reasoning_output()?;
    let fallback = || ctx.settings.chat_prompt_cache_key();
    let mut translated = chat_to_responses_with(body, fallback)?;
    let aliased = ctx.settings.model_aliases()?.resolve(&translated.model);
    if aliased != translated.model {
        translated.body = crate::aliases::with_model(&translated.body, &aliased)?;
        translated.model = aliased;
    }
    out.report_ignored(&translated.ignored);
    let client = forwarded_headers(ctx.headers.entries(), Forwarding::Chat)?;
    let request = CodexCall {
        method: Method::Post,
        url: ctx.settings.codex_responses_url()?,
        body: Some(&translated.body),
        session_id: translated.session_id.as_deref(),
        stream: true,
        client: &client,
        lite_model: Some(&translated.model),
    };
    let mut upstream = call(ctx, &request)?;
    let meta = upstream.meta.clone();
    let mut chat = ChatStream::new(StreamOptions {
        id: format!(
            "chatcmpl-{}",
            uuid_v4(ctx.host.random_16()).replace('-', "")
        ),
        created: crate::ports::Clock::now_ms(ctx.host) / 1000,
        model: translated.model.clone(),
        // The non-stream answer always carries usage; it is folded from the same chunks.
        include_usage: translated.include_usage || !translated.stream,
    })
    .restoring(std::mem::take(&mut translated.tool_names))
    .reasoning_as(reasoning);
    let mut headers = meta.relayed.clone();
    if !translated.stream {
        let mut builder = ChatCompletionBuilder::new();
        let end = fold(&mut upstream.body, |ev| {
            chat.on_event(ev).iter().for_each(|f| builder.push(f));
            chat.end().is_some()
        })
        .map_err(|e| Failed::after(e, &meta))?;
        drop(upstream);
        finish_frames(&mut chat, end)
            .iter()
            .for_each(|f| builder.push(f));
        let json = builder.finish().map_err(|e| Failed::after(e, &meta))?;
        headers.push(json_header());
        out.full(200, &headers, &json);
        return Ok(Some(meta));
    }
    headers.extend(sse_headers());
    let mut sink = FrameSink {
        chat,
        out: StreamOut::new(out, &headers),
        failed_first: None,
        held: Vec::new(),
    };
    let end = pump(&mut upstream.body, &mut sink);
    drop(upstream);
    if let Pumped::ClientGone = end {
        ctx.log
            .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
        return Ok(Some(meta));
    }
    let frames = finish_frames(&mut sink.chat, end);
    // Before any output the failure becomes the answer's status (logged as a request error).
    if sink.out.started() {
        if let Some(err) = sink.chat.end().and_then(failure_of) {
            ctx.log.stream_failed(&err);
        }
    }
    sink.take(&frames, true);
    if let Some(err) = sink.failed_first {
        return Err(Failed::after(err, &meta));
    }
    sink.out.close(&sink.held);
    Ok(Some(meta))
}

/// Upstream events translated to chat frames on their way out. A failure before any output
/// (quota, capacity) is answered with its real status and envelope instead of a 200 stream.
struct FrameSink<'a, R: Reply> {
    chat: ChatStream,
    out: StreamOut<'a, R>,
    failed_first: Option<GatewayError>,
    /// Closing frames, written together with the end of the body.
    held: Vec<u8>,
}

impl<R: Reply> FrameSink<'_, R> {
    fn take(&mut self, frames: &[ChatFrame], hold: bool) {
        if self.failed_first.is_some() {
            return;
        }
        if let (Some(ChatFrame::Error(err)), false) = (frames.first(), self.out.started()) {
            self.failed_first = Some(err.clone());
            return;
        }
        let mut bytes = Vec::new();
        frames.iter().for_each(|f| f.write_sse(&mut bytes));
        if hold {
            self.held.extend_from_slice(&bytes);
        } else {
            self.out.queue(&bytes);
        }
    }
}

impl<R: Reply> EventSink for FrameSink<'_, R> {
    fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone> {
        let frames = self.chat.on_event(ev);
        let last = self.chat.end().is_some();
        self.take(&frames, last);
        Ok(last)
    }

    fn read_done(&mut self) -> Result<(), ClientGone> {
        self.out.flush()
    }

    fn coalesces(&self) -> bool {
        true
    }
}

/// Closing frames for an upstream that ended without (or after) its terminal event.
fn finish_frames(chat: &mut ChatStream, end: Pumped) -> Vec<ChatFrame> {
    end.unfinished()
        .map(|end| chat.finish(end))
        .unwrap_or_default()
}
