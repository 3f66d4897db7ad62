//! How an upstream stream ended: the vocabulary both pipelines (Chat Completions and the
//! Responses pass-through) and the host share.

use crate::codex::response::ResponseSummary;
use crate::error::GatewayError;

/// The error message for an upstream body that ended before its terminal event.
pub const CUT_SHORT: &str = "upstream closed the stream before the response completed";

/// How an upstream stream ended. The host reports the endings it observes itself
/// (EOF, transport errors, idle timeouts, the client leaving) through [`ChatStream::finish`](super::chat::stream::ChatStream::finish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// `response.completed`.
    Completed,
    /// `response.incomplete`, with upstream's reason (`max_output_tokens`, `content_filter`, …).
    Incomplete {
        /// `incomplete_details.reason`.
        reason: String,
    },
    /// `response.failed` or an `error` event, already mapped.
    Failed(GatewayError),
    /// The upstream body ended without a terminal event.
    UpstreamEof,
    /// Reading upstream failed: idle timeout, transport error, truncated or malformed stream.
    UpstreamError(GatewayError),
    /// The client went away; nothing more is written.
    ClientGone,
}

/// `incomplete_details.reason`, or `unknown`.
pub fn incomplete_reason(response: &ResponseSummary) -> String {
    response
        .incomplete_details
        .as_ref()
        .and_then(|d| d.reason.clone())
        .unwrap_or_else(|| "unknown".to_owned())
}
