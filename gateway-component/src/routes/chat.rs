//! `POST /v1/chat/completions`: translate to a Codex Responses call and translate the stream
//! back, chunk by chunk; the non-stream answer is a fold of the same chunks.

use gateway_core::error::GatewayError;
use gateway_core::log::LogLevel;
use gateway_core::ports::Clock;
use gateway_core::request_id::uuid_v4;
use gateway_core::translate::aggregate::ChatCompletionBuilder;
use gateway_core::translate::fold_limit::FoldBudget;
use gateway_core::translate::request::chat_to_responses;
use gateway_core::translate::stream::{ChatFrame, ChatStream, StreamEnd, StreamOptions};
use spin_sdk::http::IncomingRequest;

use super::{generation_body, post_codex, report_ignored, sse_headers};
use crate::host::clock::{random_16, WasiClock};
use crate::host::downstream::{BodyWriter, ClientGone, Responder};
use crate::host::pump::{pump, Pumped};
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
        let (mut budget, mut too_large) = (FoldBudget::default(), None);
        let end = pump(&mut upstream, |ev| {
            if let Err(err) = budget.take(ev.raw.len()) {
                too_large = Some(err);
                return Ok(true);
            }
            chat.on_event(ev).iter().for_each(|f| builder.push(f));
            Ok(chat.end().is_some())
        });
        drop(upstream);
        if let Some(err) = too_large {
            return Err(err);
        }
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
        out,
        headers: &headers,
        writer: None,
        held: Vec::new(),
    };
    let end = pump(&mut upstream, |ev| {
        let frames = chat.on_event(ev);
        // The closing frames wait for the end of the body, so both leave in one write.
        let last = chat.end().is_some();
        sink.push(&frames, last)?;
        Ok(last)
    });
    drop(upstream);
    if let Pumped::ClientGone = end {
        ctx.log
            .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
        return Ok(());
    }
    let frames = finish_frames(&mut chat, end);
    // Before any output the failure becomes the answer's status (logged as a request error).
    if matches!(sink.writer, Some(Ok(_))) {
        if let Some(err) = chat.end().and_then(stream_failure) {
            super::log_stream_failure(ctx, &err);
        }
    }
    let _ = sink.push(&frames, true);
    sink.close()
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

/// Chat frames on their way out. The 200 stream starts lazily with its first frames: a failure
/// before any output (quota, capacity) is answered with its real status and envelope instead.
struct FrameSink<'a> {
    out: &'a mut Responder,
    headers: &'a [(String, String)],
    writer: Option<Result<BodyWriter, GatewayError>>,
    /// Closing frames, written together with the end of the body.
    held: Vec<u8>,
}

impl FrameSink<'_> {
    fn push(&mut self, frames: &[ChatFrame], hold: bool) -> Result<(), ClientGone> {
        let Some(first) = frames.first() else {
            return Ok(());
        };
        if self.writer.is_none() {
            if let ChatFrame::Error(err) = first {
                self.writer = Some(Err(err.clone()));
                return Ok(());
            }
        }
        if matches!(self.writer, Some(Err(_))) {
            return Ok(());
        }
        let mut bytes = Vec::new();
        frames.iter().for_each(|f| f.write_sse(&mut bytes));
        if hold {
            self.held.extend_from_slice(&bytes);
            return Ok(());
        }
        match &mut self.writer {
            Some(Ok(w)) => w.write(&bytes),
            _ => match self.out.stream(200, self.headers, &bytes) {
                Some(w) => {
                    self.writer = Some(Ok(w));
                    Ok(())
                }
                None => Err(ClientGone),
            },
        }
    }

    fn close(self) -> Result<(), GatewayError> {
        match self.writer {
            Some(Ok(w)) => w.finish_with(&self.held),
            Some(Err(err)) => return Err(err),
            None if self.held.is_empty() => {}
            // Everything is known before anything left: one sized answer.
            None => self.out.full(200, self.headers, &self.held),
        }
        Ok(())
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
