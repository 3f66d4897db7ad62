//! A non-stream `/v1/responses` answer as a fold over the stream, and what the pass-through
//! observes of a stream: its terminal event, its numbering, and the error event that ends a
//! stream cut short. The upstream `response` object is kept byte-exact.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::codex::error_map::{map_failed_response, map_stream_error};
use crate::codex::event::{self, ResponseEvent, TERMINAL_TYPES};
use crate::codex::response::{ResponseObject, ResponseSummary};
use crate::error::GatewayError;
use crate::sse::decode::SseEvent;
use crate::sse::encode::write_event;
use crate::translate::end::{incomplete_reason, StreamEnd, CUT_SHORT};

/// Collects a Responses stream into the `response` object a non-stream caller gets.
#[derive(Debug, Default)]
pub struct ResponseAccumulator {
    /// `response.output_item.done` items with their output index, for rebuilding `output`.
    items: Vec<(u32, Box<RawValue>)>,
    outcome: Option<Result<ResponseObject, GatewayError>>,
    /// `created_at` of the response: "now" for turning `resets_at` into a delay.
    created_at: Option<i64>,
}

impl ResponseAccumulator {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one upstream event. After a terminal event, nothing changes the outcome.
    pub fn push(&mut self, ev: &SseEvent) {
        if self.outcome.is_some() {
            return;
        }
        let event = match ResponseEvent::<ResponseObject>::parse(ev) {
            Ok(event) => event,
            Err(err) => {
                self.outcome = Some(Err(err.into()));
                return;
            }
        };
        match event {
            ResponseEvent::Created(envelope) | ResponseEvent::InProgress(envelope) => {
                self.created_at = self.created_at.or(envelope.response.created_at);
            }
            ResponseEvent::OutputItemDone(done) => {
                let index = done
                    .output_index
                    .unwrap_or(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
                self.items.push((index, done.item.raw));
            }
            ResponseEvent::Completed(envelope) | ResponseEvent::Incomplete(envelope) => {
                self.outcome = Some(Ok(envelope.response));
            }
            ResponseEvent::Failed(envelope) => {
                let error = envelope.response.summary().error.as_ref();
                self.outcome = Some(Err(map_failed_response(error, self.created_at)));
            }
            ResponseEvent::Error(event) => {
                self.outcome = Some(Err(map_stream_error(&event.into_error(), self.created_at)));
            }
            _ => {}
        }
    }

    /// The Responses object JSON (newline-terminated); `status` is `completed` or `incomplete`.
    ///
    /// `end` is what the host saw when upstream stopped (`None` for a plain end of body); it
    /// matters only when no terminal event arrived.
    pub fn finish(self, end: Option<StreamEnd>) -> Result<Vec<u8>, GatewayError> {
        let mut response = match (self.outcome, end) {
            (Some(outcome), _) => outcome?,
            (None, Some(StreamEnd::Failed(err) | StreamEnd::UpstreamError(err))) => {
                return Err(err)
            }
            (None, _) => return Err(GatewayError::upstream_error(CUT_SHORT)),
        };
        if response.output_items().is_empty() && !self.items.is_empty() {
            let mut items = self.items;
            items.sort_by_key(|(index, _)| *index);
            let items: Vec<Box<RawValue>> = items.into_iter().map(|(_, item)| item).collect();
            response
                .set_output(&items)
                .map_err(|e| GatewayError::Internal(e.to_string()))?;
        }
        let mut body = response
            .to_json()
            .map_err(|e| GatewayError::Internal(e.to_string()))?;
        body.push(b'\n');
        Ok(body)
    }
}

/// For `/v1/responses` pass-through: how the stream ended, if `ev` ends it.
///
/// Only terminal events are parsed; others cost a scan of their `type`.
pub fn observe_terminal(ev: &SseEvent) -> Option<StreamEnd> {
    if !TERMINAL_TYPES.contains(&event::type_of(ev).as_ref()) {
        return None;
    }
    match ResponseEvent::<ResponseSummary>::parse(ev) {
        Ok(ResponseEvent::Completed(_)) => Some(StreamEnd::Completed),
        Ok(ResponseEvent::Incomplete(envelope)) => Some(StreamEnd::Incomplete {
            reason: incomplete_reason(&envelope.response),
        }),
        Ok(ResponseEvent::Failed(envelope)) => {
            let response = &envelope.response;
            let err = map_failed_response(response.error.as_ref(), response.created_at);
            Some(StreamEnd::Failed(err))
        }
        Ok(ResponseEvent::Error(event)) => Some(StreamEnd::Failed(map_stream_error(
            &event.into_error(),
            None,
        ))),
        Ok(_) => None,
        Err(err) => Some(StreamEnd::UpstreamError(err.into())),
    }
}

/// The `sequence_number` of a pass-through event, if it has one.
pub fn sequence_number(ev: &SseEvent) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        sequence_number: Option<u64>,
    }
    serde_json::from_str::<Seq>(&ev.data).ok()?.sequence_number
}

/// The Responses API `error` event to append when upstream died mid-stream on pass-through.
///
/// `sequence_number` continues the upstream's numbering (see [`sequence_number`]), as clients
/// that validate Responses events strictly require it.
pub fn responses_stream_error_event(err: &GatewayError, sequence_number: u64) -> Vec<u8> {
    #[derive(Serialize)]
    struct ErrorEventOut<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        sequence_number: u64,
        code: &'a str,
        message: String,
        param: Option<&'a str>,
    }
    let event = ErrorEventOut {
        kind: "error",
        sequence_number,
        code: err.code(),
        message: err.to_string(),
        param: err.param(),
    };
    let mut out = Vec::new();
    write_event(
        &mut out,
        "error",
        &serde_json::to_vec(&event).unwrap_or_default(),
    );
    out
}

#[cfg(test)]
mod tests;
