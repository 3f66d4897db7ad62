//! `POST /v1/messages` (Anthropic Messages, what Claude Code speaks): translate to a Codex
//! Responses call and its stream back into Anthropic events; the non-stream answer is their
//! fold. `POST /v1/messages/count_tokens` is answered here, with no upstream call.

use super::codex_call::{call, CodexCall};
use super::host::{ClientGone, Host, Method, Reply};
use super::pump::{failure_of, fold, pump, EventSink, Pumped};
use super::request::Ctx;
use super::responder::{json_header, sse_headers, Responder};
use super::stream_out::StreamOut;
use super::upstream::{Failed, Handled};
use crate::anthropic::error::write_error_event;
use crate::error::GatewayError;
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::log::LogLevel;
use crate::request_id::uuid_v4;
use crate::sse::decode::SseEvent;
use crate::translate::messages::count::estimate_request;
use crate::translate::messages::fold::MessageBuilder;
use crate::translate::messages::request::{messages_to_responses, Translated};
use crate::translate::messages::stream::{MessagesFrame, MessagesOptions, MessagesStream};

/// Claude Code's own conversation id, used when the body's metadata names none.
const SESSION_HEADER: &str = "x-claude-code-session-id";

fn translate<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Translated, GatewayError> {
    let aliases = ctx.settings.model_aliases()?;
    let session = ctx.headers.first(SESSION_HEADER);
    messages_to_responses(body, session, |model| aliases.resolve(model))
}

/// `count_tokens`: the estimate of the translated request ([`estimate_request`]).
pub fn count<H: Host, R: Reply>(ctx: &Ctx<'_, H>, body: &[u8], out: &mut Responder<R>) -> Handled {
    let translated = translate(ctx, body)?;
    let tokens = estimate_request(&translated.upstream);
    let answer = format!("{{\"input_tokens\":{tokens}}}\n");
    out.full(200, &[json_header()], answer.as_bytes());
    Ok(None)
}

/// Serve one Messages call from its checked JSON `body`.
pub fn handle<H: Host, R: Reply>(ctx: &Ctx<'_, H>, body: &[u8], out: &mut Responder<R>) -> Handled {
    let translated = translate(ctx, body)?;
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
    let id = format!("msg_{}", uuid_v4(ctx.host.random_16()).replace('-', ""));
    let mut stream = MessagesStream::new(
        MessagesOptions {
            id,
            model: translated.client_model,
            thinking: translated.thinking,
            now: crate::ports::Clock::now_ms(ctx.host) / 1000,
        },
        translated.tool_names,
    );
    let mut headers = meta.relayed.clone();
    if !translated.stream {
        let mut builder = MessageBuilder::new();
        let end = fold(&mut upstream.body, |ev| {
            stream.on_event(ev).iter().for_each(|f| builder.push(f));
            stream.end().is_some()
        })
        .map_err(|e| Failed::after(e, &meta))?;
        drop(upstream);
        if let Some(end) = end.unfinished() {
            stream.finish(end).iter().for_each(|f| builder.push(f));
        }
        let json = builder.finish().map_err(|e| Failed::after(e, &meta))?;
        headers.push(json_header());
        out.full(200, &headers, &json);
        return Ok(Some(meta));
    }
    headers.extend(sse_headers());
    let mut sink = EventsOut {
        stream,
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
    let frames = end
        .unfinished()
        .map(|end| sink.stream.finish(end))
        .unwrap_or_default();
    sink.take(&frames, true);
    if let Some(err) = sink.failed_first {
        return Err(Failed::after(err, &meta));
    }
    if let Some(err) = sink.stream.end().and_then(failure_of) {
        ctx.log.stream_failed(&err);
    }
    sink.out.close(&sink.held);
    Ok(Some(meta))
}

/// Anthropic events on their way out. A failure before `message_start` (quota, capacity) is
/// answered with its own status and Anthropic's error body instead of a 200 stream.
struct EventsOut<'a, R: Reply> {
    stream: MessagesStream,
    out: StreamOut<'a, R>,
    failed_first: Option<GatewayError>,
    /// The closing events, written together with the end of the body.
    held: Vec<u8>,
}

impl<R: Reply> EventsOut<'_, R> {
    fn take(&mut self, frames: &[MessagesFrame], hold: bool) {
        if self.failed_first.is_some() {
            return;
        }
        if let (Some(MessagesFrame::Error(err)), false) = (frames.first(), self.out.started()) {
            self.failed_first = Some(err.clone());
            return;
        }
        let mut bytes = Vec::new();
        for frame in frames {
            match frame {
                MessagesFrame::Event(event) => event.write_sse(&mut bytes),
                MessagesFrame::Error(err) => write_error_event(&mut bytes, err),
            }
        }
        if hold {
            self.held.extend_from_slice(&bytes);
        } else {
            self.out.queue(&bytes);
        }
    }
}

impl<R: Reply> EventSink for EventsOut<'_, R> {
    fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone> {
        let frames = self.stream.on_event(ev);
        let last = self.stream.end().is_some();
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
