//! `POST /v1/responses`: normalise only what the backend requires, then relay the event bytes
//! unchanged but for shortened function names (stream) or fold them into one response object
//! (non-stream).

use gateway_core::error::GatewayError;
use gateway_core::log::LogLevel;
use gateway_core::sse::decode::SseEvent;
use gateway_core::translate::aggregate::{
    observe_terminal, responses_stream_error_event, sequence_number, ResponseAccumulator,
};
use gateway_core::translate::responses_names::restore_event_names;
use gateway_core::translate::responses_request::normalize_responses;
use gateway_core::translate::stream::StreamEnd;
use gateway_core::translate::tool_names::ToolNames;
use spin_sdk::http::IncomingRequest;

use super::{generation_body, post_codex, report_ignored, sse_headers};
use crate::host::downstream::{ClientGone, Responder};
use crate::host::pump::{fold, pump, EventSink, Pumped};
use crate::host::stream_out::StreamOut;
use crate::Ctx;

/// Serve one Responses call.
pub fn handle(
    ctx: &mut Ctx<'_>,
    req: &IncomingRequest,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    let Some(body) = generation_body(ctx, req, out, "/v1/responses")? else {
        return Ok(());
    };
    let normalized = normalize_responses(&body)?;
    report_ignored(out, &normalized.ignored);
    let mut upstream = post_codex(ctx, &normalized.body, normalized.session_id.as_deref())?;
    let mut headers = super::relayed_headers(&upstream.headers);
    if !normalized.stream {
        let mut acc = ResponseAccumulator::new();
        let mut terminal = None;
        let end = fold(&mut upstream, |ev| {
            let restored = restore_event_names(ev, &normalized.tool_names);
            acc.push(restored.as_ref().unwrap_or(ev));
            terminal = observe_terminal(ev);
            terminal.is_some()
        })?;
        drop(upstream);
        let end = match end {
            Pumped::Terminal => terminal,
            Pumped::Eof | Pumped::ClientGone => Some(StreamEnd::UpstreamEof),
            Pumped::Failed(e) => Some(StreamEnd::UpstreamError(e)),
        };
        let json = acc.finish(end)?;
        headers.push(super::json_header());
        out.full(200, &headers, &json);
        return Ok(());
    }
    headers.extend(sse_headers());
    let mut relay = EventRelay {
        names: &normalized.tool_names,
        out: StreamOut::new(out, &headers),
        held: Vec::new(),
        last: SseEvent::default(),
        count: 0,
    };
    let end = pump(&mut upstream, &mut relay);
    drop(upstream);
    let failure = match end {
        Pumped::Terminal => None,
        Pumped::ClientGone => {
            ctx.log
                .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
            return Ok(());
        }
        Pumped::Eof => Some(GatewayError::upstream_error(
            "upstream closed the stream before it completed",
        )),
        Pumped::Failed(e) => Some(e),
    };
    if let Some(err) = failure {
        super::log_stream_failure(ctx, &err);
        let next = sequence_number(&relay.last).map_or(relay.count, |n| n + 1);
        relay
            .held
            .extend_from_slice(&responses_stream_error_event(&err, next));
    }
    relay.out.close(&relay.held);
    Ok(())
}

/// Upstream events relayed byte for byte (but for restored function names).
struct EventRelay<'a> {
    names: &'a ToolNames,
    out: StreamOut<'a>,
    /// The terminal event, written together with the end of the body.
    held: Vec<u8>,
    /// Only the last event is kept (buffer reused): its number is needed only if the stream
    /// dies.
    last: SseEvent,
    count: u64,
}

impl EventSink for EventRelay<'_> {
    fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone> {
        let restored = restore_event_names(ev, self.names);
        let bytes = &restored.as_ref().unwrap_or(ev).raw;
        let terminal = observe_terminal(ev).is_some();
        if terminal {
            self.held.extend_from_slice(bytes);
        } else {
            self.out.queue(bytes);
        }
        self.last.data.clear();
        self.last.data.push_str(&ev.data);
        self.count += 1;
        Ok(terminal)
    }

    fn read_done(&mut self) -> Result<(), ClientGone> {
        self.out.flush()
    }

    fn coalesces(&self) -> bool {
        true
    }
}
