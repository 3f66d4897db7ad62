//! `POST /v1/responses`: normalise only what the backend requires, then relay the event bytes
//! unchanged but for shortened function names (stream) or fold them into one response object
//! (non-stream).

use super::codex_call::{call, CodexCall};
use super::host::{ClientGone, Host, Method, Reply};
use super::pump::{failure_of, fold, pump, EventSink, Pumped, Tally};
use super::request::Ctx;
use super::responder::{json_header, sse_headers, Responder};
use super::stream_out::StreamOut;
use super::upstream::{Failed, Handled};
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::log::LogLevel;
use crate::sse::decode::SseEvent;
use crate::translate::responses::fold::{
    observe_terminal, responses_stream_error_event, sequence_number, ResponseAccumulator,
};
use crate::translate::responses::names::restore_event_names;
use crate::translate::responses::request::normalize_responses;
use crate::translate::tool_names::ToolNames;

/// Serve one Responses call from its checked JSON `body`.
pub async fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let mut normalized = normalize_responses(body)?;
    if let Some(model) = &mut normalized.model {
        ctx.settings
            .model_aliases()?
            .apply(model, &mut normalized.body)?;
    }
    out.report_ignored(&normalized.ignored);
    let client = forwarded_headers(ctx.headers.entries(), Forwarding::Responses)?;
    let request = CodexCall {
        method: Method::Post,
        url: ctx.settings.codex_responses_url()?,
        body: Some(&normalized.body),
        session_id: normalized.session_id.as_deref(),
        stream: true,
        client: &client,
        lite_model: normalized.model.as_deref(),
    };
    let mut upstream = call(ctx, &request).await?;
    let mut meta = upstream.meta.clone();
    let mut headers = meta.relayed.clone();
    let mut tally = Tally::default();
    if !normalized.stream {
        let mut acc = ResponseAccumulator::new();
        let mut terminal = None;
        let folded = fold(&mut upstream.body, &mut tally, |ev| {
            let restored = restore_event_names(ev, &normalized.tool_names);
            acc.push(restored.as_ref().unwrap_or(ev));
            terminal = observe_terminal(ev);
            terminal.is_some()
        })
        .await;
        meta.tokens = tally.tokens.map(Box::new);
        let end = folded.map_err(|e| Failed::after(e, &meta))?;
        drop(upstream);
        let json = acc
            .finish(end.unfinished().or(terminal))
            .map_err(|e| Failed::after(e, &meta))?;
        headers.push(json_header());
        out.full(200, &headers, &json).await;
        return Ok(Some(meta));
    }
    headers.extend(sse_headers());
    let mut relay = EventRelay {
        names: &normalized.tool_names,
        out: StreamOut::new(out, &headers),
        held: Vec::new(),
        last: SseEvent::default(),
        count: 0,
    };
    let end = pump(&mut upstream.body, &mut relay, &mut tally).await;
    meta.tokens = tally.tokens.map(Box::new);
    drop(upstream);
    if let Pumped::ClientGone = end {
        ctx.log
            .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
        return Ok(Some(meta));
    }
    if let Some(err) = end.unfinished().as_ref().and_then(failure_of) {
        ctx.log.stream_failed(&err);
        let next = sequence_number(&relay.last).map_or(relay.count, |n| n + 1);
        relay
            .held
            .extend_from_slice(&responses_stream_error_event(&err, next));
    }
    relay.out.close(&relay.held).await;
    Ok(Some(meta))
}

/// Upstream events relayed byte for byte (but for restored function names).
struct EventRelay<'a, R: Reply> {
    names: &'a ToolNames,
    out: StreamOut<'a, R>,
    /// The terminal event, written together with the end of the body.
    held: Vec<u8>,
    /// Only the last event is kept (buffer reused): its number is needed only if the stream
    /// dies.
    last: SseEvent,
    count: u64,
}

impl<R: Reply> EventSink for EventRelay<'_, R> {
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

    async fn read_done(&mut self) -> Result<(), ClientGone> {
        self.out.flush().await
    }

    fn coalesces(&self) -> bool {
        true
    }
}
