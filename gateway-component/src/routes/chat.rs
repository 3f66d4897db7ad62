//! `POST /v1/chat/completions`: translate to a Codex Responses call and translate the stream
//! back, chunk by chunk; the non-stream answer is a fold of the same chunks.

use gateway_core::error::GatewayError;
use gateway_core::log::LogLevel;
use gateway_core::ports::Clock;
use gateway_core::request_id::uuid_v4;
use gateway_core::sse::decode::SseEvent;
use gateway_core::translate::aggregate::ChatCompletionBuilder;
use gateway_core::translate::request::chat_to_responses;
use gateway_core::translate::stream::{ChatFrame, ChatStream, StreamEnd, StreamOptions};
use spin_sdk::http::IncomingRequest;

use super::{generation_body, post_codex, report_ignored, sse_headers};
use crate::host::clock::{random_16, WasiClock};
use crate::host::downstream::{ClientGone, Responder};
use crate::host::pump::{fold, pump, EventSink, Pumped};
use crate::host::stream_out::StreamOut;
use crate::Ctx;

/// Serve one chat completion.
pub fn handle(
    ctx: &mut Ctx<'_>,
    req: &IncomingRequest,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    let Some(body) = generation_body(ctx, req, out, "/v1/chat/completions")? else {
        return Ok(());
    };
    let reasoning = ctx.settings.reasoning_output()?;
    let mut translated = chat_to_responses(&body)?;
    report_ignored(out, &translated.ignored);
    let mut upstream = post_codex(ctx, &translated.body, translated.session_id.as_deref())?;
    let mut chat = ChatStream::new(StreamOptions {
        id: format!("chatcmpl-{}", uuid_v4(random_16()).replace('-', "")),
        created: WasiClock.now_ms() / 1000,
        model: translated.model.clone(),
        // The non-stream answer always carries usage; it is folded from the same chunks.
        include_usage: translated.include_usage || !translated.stream,
    })
    .restoring(std::mem::take(&mut translated.tool_names))
    .reasoning_as(reasoning);
    let mut headers = super::relayed_headers(&upstream.headers);
    if !translated.stream {
        let mut builder = ChatCompletionBuilder::new();
        let end = fold(&mut upstream, |ev| {
            chat.on_event(ev).iter().for_each(|f| builder.push(f));
            chat.end().is_some()
        })?;
        drop(upstream);
        finish_frames(&mut chat, end)
            .iter()
            .for_each(|f| builder.push(f));
        let json = builder.finish()?;
        headers.push(super::json_header());
        out.full(200, &headers, &json);
        return Ok(());
    }
    headers.extend(sse_headers());
    let mut sink = FrameSink {
        chat,
        out: StreamOut::new(out, &headers),
        failed_first: None,
        held: Vec::new(),
    };
    let end = pump(&mut upstream, &mut sink);
    drop(upstream);
    if let Pumped::ClientGone = end {
        ctx.log
            .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
        return Ok(());
    }
    let frames = finish_frames(&mut sink.chat, end);
    // Before any output the failure becomes the answer's status (logged as a request error).
    if sink.out.started() {
        if let Some(err) = sink.chat.end().and_then(stream_failure) {
            super::log_stream_failure(ctx, &err);
        }
    }
    sink.take(&frames, true);
    if let Some(err) = sink.failed_first {
        return Err(err);
    }
    sink.out.close(&sink.held);
    Ok(())
}

/// Why a stream that already started did not complete, if it did not.
fn stream_failure(end: &StreamEnd) -> Option<GatewayError> {
    match end {
        StreamEnd::Failed(e) | StreamEnd::UpstreamError(e) => Some(e.clone()),
        StreamEnd::UpstreamEof => Some(GatewayError::upstream_error(
            "upstream closed the stream before it completed",
        )),
        StreamEnd::Completed | StreamEnd::Incomplete { .. } | StreamEnd::ClientGone => None,
    }
}

/// Upstream events translated to chat frames on their way out. A failure before any output
/// (quota, capacity) is answered with its real status and envelope instead of a 200 stream.
struct FrameSink<'a> {
    chat: ChatStream,
    out: StreamOut<'a>,
    failed_first: Option<GatewayError>,
    /// Closing frames, written together with the end of the body.
    held: Vec<u8>,
}

impl FrameSink<'_> {
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

impl EventSink for FrameSink<'_> {
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
    match end {
        Pumped::Terminal => Vec::new(),
        Pumped::Eof => chat.finish(StreamEnd::UpstreamEof),
        Pumped::Failed(e) => chat.finish(StreamEnd::UpstreamError(e)),
        Pumped::ClientGone => chat.finish(StreamEnd::ClientGone),
    }
}
