//! `POST /v1/responses`: normalise only what the backend requires, then relay the event bytes
//! unchanged but for shortened function names (stream) or fold them into one response object
//! (non-stream).

use gateway_core::error::GatewayError;
use gateway_core::log::LogLevel;
use gateway_core::sse::decode::SseEvent;
use gateway_core::translate::aggregate::{
    observe_terminal, responses_stream_error_event, sequence_number, ResponseAccumulator,
};
use gateway_core::translate::fold_limit::FoldBudget;
use gateway_core::translate::responses_names::restore_event_names;
use gateway_core::translate::responses_request::normalize_responses;
use gateway_core::translate::stream::StreamEnd;
use spin_sdk::http::IncomingRequest;

use super::{generation_body, post_codex, report_ignored, sse_headers};
use crate::host::downstream::{BodyWriter, ClientGone, Responder};
use crate::host::pump::{pump, Pumped};
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
        let (mut terminal, mut budget, mut too_large) = (None, FoldBudget::default(), None);
        let end = pump(&mut upstream, |ev| {
            if let Err(err) = budget.take(ev.raw.len()) {
                too_large = Some(err);
                return Ok(true);
            }
            let restored = restore_event_names(ev, &normalized.tool_names);
            acc.push(restored.as_ref().unwrap_or(ev));
            terminal = observe_terminal(ev);
            Ok(terminal.is_some())
        });
        drop(upstream);
        if let Some(err) = too_large {
            return Err(err);
        }
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
    let mut writer = None;
    // The terminal event waits for the end of the body, so both leave in one write.
    let mut held = Vec::new();
    // Only the last event is kept (buffer reused): its number is needed only if the stream dies.
    let (mut last, mut count) = (SseEvent::default(), 0u64);
    let end = pump(&mut upstream, |ev| {
        let restored = restore_event_names(ev, &normalized.tool_names);
        let bytes = &restored.as_ref().unwrap_or(ev).raw;
        let terminal = observe_terminal(ev).is_some();
        if terminal {
            held.extend_from_slice(bytes);
        } else {
            match &mut writer {
                Some(w) => BodyWriter::write(w, bytes)?,
                // Headers leave with the first event.
                None => writer = Some(out.stream(200, &headers, bytes).ok_or(ClientGone)?),
            }
        }
        last.data.clear();
        last.data.push_str(&ev.data);
        count += 1;
        Ok(terminal)
    });
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
        let next = sequence_number(&last).map_or(count, |n| n + 1);
        held.extend_from_slice(&responses_stream_error_event(&err, next));
    }
    match writer {
        Some(w) => w.finish_with(&held),
        // Everything is known before anything left: one sized answer.
        None => out.full(200, &headers, &held),
    }
    Ok(())
}
