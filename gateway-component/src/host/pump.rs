//! Reading an upstream SSE body event by event, as it arrives, and reporting how it ended.

use gateway_core::error::GatewayError;
use gateway_core::sse::decode::{SseDecoder, SseEvent};

use super::downstream::ClientGone;
use super::upstream::Upstream;

/// Largest single SSE event accepted from upstream (one event, not the whole stream).
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// How reading stopped.
pub enum Pumped {
    /// The handler saw the terminal event.
    Terminal,
    /// The upstream body ended (cleanly or mid-event) before a terminal event.
    Eof,
    /// Reading failed (idle timeout, reset, oversized or malformed event).
    Failed(GatewayError),
    /// The client went away; the upstream body is dropped.
    ClientGone,
}

/// Feed every event to `on_event` until it returns `Ok(true)` (terminal) or the body ends.
pub fn pump(
    upstream: &mut Upstream,
    mut on_event: impl FnMut(&SseEvent) -> Result<bool, ClientGone>,
) -> Pumped {
    let mut decoder = SseDecoder::new(MAX_EVENT_BYTES);
    loop {
        let chunk = match upstream.next_chunk() {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                return match decoder.finish() {
                    Ok(()) => Pumped::Eof,
                    Err(e) => Pumped::Failed(e.into()),
                }
            }
            Err(e) => return Pumped::Failed(e),
        };
        let events = match decoder.push(&chunk) {
            Ok(events) => events,
            Err(e) => return Pumped::Failed(e.into()),
        };
        for event in &events {
            match on_event(event) {
                Ok(true) => return Pumped::Terminal,
                Ok(false) => {}
                Err(ClientGone) => return Pumped::ClientGone,
            }
        }
    }
}
