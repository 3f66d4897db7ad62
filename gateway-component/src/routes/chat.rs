//! `POST /v1/chat/completions`: translate to a Codex Responses call and translate the stream
//! back, chunk by chunk; the non-stream answer is a fold of the same chunks.

use gateway_core::error::GatewayError;
use gateway_core::log::LogLevel;
use gateway_core::ports::Clock;
use gateway_core::request_id::uuid_v4;
use gateway_core::translate::aggregate::ChatCompletionBuilder;
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
    .reasoning_as(ctx.settings.reasoning_output);
    let mut headers = super::relayed_headers(&upstream.headers);
    if !translated.stream {
        let mut builder = ChatCompletionBuilder::new();
        let end = pump(&mut upstream, |ev| {
            chat.on_event(ev).iter().for_each(|f| builder.push(f));
            Ok(chat.end().is_some())
        });
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
    let mut writer = None;
    let end = pump(&mut upstream, |ev| {
        let frames = chat.on_event(ev);
        write_frames(out, &headers, &mut writer, &frames)?;
        Ok(chat.end().is_some())
    });
    drop(upstream);
    if let Pumped::ClientGone = end {
        ctx.log
            .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
        return Ok(());
    }
    let frames = finish_frames(&mut chat, end);
    // Before any output the failure becomes the answer's status (logged as a request error).
    if let (Some(Ok(_)), Some(StreamEnd::Failed(e) | StreamEnd::UpstreamError(e))) =
        (&writer, chat.end())
    {
        super::log_stream_failure(ctx, e);
    }
    let _ = write_frames(out, &headers, &mut writer, &frames);
    match writer {
        Some(Ok(w)) => w.finish(),
        Some(Err(err)) => return Err(err),
        None => {}
    }
    Ok(())
}

/// Write frames, starting the 200 stream lazily: a failure before any output (quota, capacity)
/// is answered with its real status and envelope instead of a 200 stream.
fn write_frames(
    out: &mut Responder,
    headers: &[(String, String)],
    writer: &mut Option<Result<BodyWriter, GatewayError>>,
    frames: &[ChatFrame],
) -> Result<(), ClientGone> {
    let Some(first) = frames.first() else {
        return Ok(());
    };
    if writer.is_none() {
        if let ChatFrame::Error(err) = first {
            *writer = Some(Err(err.clone()));
            return Ok(());
        }
        match out.start(200, headers) {
            Some(w) => *writer = Some(Ok(w)),
            None => return Err(ClientGone),
        }
    }
    let Some(Ok(w)) = writer.as_mut() else {
        return Ok(());
    };
    let mut bytes = Vec::new();
    frames.iter().for_each(|f| f.write_sse(&mut bytes));
    w.write(&bytes)
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
