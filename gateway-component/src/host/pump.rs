//! Reading an upstream SSE body event by event, as it arrives, and reporting how it ended.

use gateway_core::error::GatewayError;
use gateway_core::sse::decode::{SseDecoder, SseEvent};
use gateway_core::translate::fold_limit::FoldBudget;

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

/// Where pumped events go.
pub trait EventSink {
    /// One upstream event; `Ok(true)` when it ends the answer.
    fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone>;

    /// Every event of one upstream read has been seen: what they produced may leave now, in
    /// one write (a second small write would wait for the client's delayed ACK on Spin).
    fn read_done(&mut self) -> Result<(), ClientGone> {
        Ok(())
    }

    /// Whether to take what the upstream sent meanwhile before [`Self::read_done`]; only a
    /// sink that writes as it goes gains from it.
    fn coalesces(&self) -> bool {
        false
    }
}

/// A fold: every event to `on_event` (`true` ends it) until the answer ends, within the
/// [`FoldBudget`]; an answer past it is the budget's error, and the upstream is left unread.
pub fn fold(
    upstream: &mut Upstream,
    mut on_event: impl FnMut(&SseEvent) -> bool,
) -> Result<Pumped, GatewayError> {
    struct Fold<F> {
        on_event: F,
        budget: FoldBudget,
        too_large: Option<GatewayError>,
    }
    impl<F: FnMut(&SseEvent) -> bool> EventSink for Fold<F> {
        fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone> {
            if let Err(err) = self.budget.take(ev.raw.len()) {
                self.too_large = Some(err);
                return Ok(true);
            }
            Ok((self.on_event)(ev))
        }
    }
    let mut sink = Fold {
        on_event: &mut on_event,
        budget: FoldBudget::default(),
        too_large: None,
    };
    let end = pump(upstream, &mut sink);
    sink.too_large.map_or(Ok(end), Err)
}

/// Most bytes taken from the upstream without handing what they produced to the client.
const COALESCE_BYTES: usize = 64 * 1024;

/// Feed every event to `sink` until it reports the terminal one or the body ends. Whatever the
/// upstream has already sent when a read returns is read too before the sink may write: a
/// burst of events leaves in one write, not in many small ones.
pub fn pump(upstream: &mut Upstream, sink: &mut impl EventSink) -> Pumped {
    let mut decoder = SseDecoder::new(MAX_EVENT_BYTES);
    loop {
        let mut chunk = match upstream.next_chunk() {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                return match decoder.finish() {
                    Ok(()) => Pumped::Eof,
                    Err(e) => Pumped::Failed(e.into()),
                }
            }
            Err(e) => return Pumped::Failed(e),
        };
        let mut taken = 0;
        loop {
            taken += chunk.len();
            let events = match decoder.push(&chunk) {
                Ok(events) => events,
                Err(e) => return Pumped::Failed(e.into()),
            };
            for event in &events {
                match sink.event(event) {
                    Ok(true) => return Pumped::Terminal,
                    Ok(false) => {}
                    Err(ClientGone) => return Pumped::ClientGone,
                }
            }
            if taken >= COALESCE_BYTES || !sink.coalesces() {
                break;
            }
            match upstream.chunk_if_ready() {
                Ok(Some(more)) => chunk = more,
                Ok(None) => break,
                Err(e) => return Pumped::Failed(e),
            }
        }
        if sink.read_done().is_err() {
            return Pumped::ClientGone;
        }
    }
}
