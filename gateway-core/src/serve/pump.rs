//! Reading an upstream SSE body event by event, as it arrives, and reporting how it ended.

use crate::codex::event::{type_of, TERMINAL_TYPES};
use crate::error::GatewayError;
use crate::sse::decode::{SseDecoder, SseEvent};
use crate::translate::end::StreamEnd;
use crate::translate::fold_limit::FoldBudget;
use crate::usage::Tokens;

use super::host::{ClientGone, UpstreamBody};

/// Largest single SSE event accepted from upstream (one event, not the whole stream): a
/// finished image arrives in one event, twice over (its item, then the terminal response),
/// and a large PNG is several MiB of base64.
pub const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

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

impl Pumped {
    /// How the answer ended if the upstream stopped before its terminal event (`None` when it
    /// reached it): the one mapping every route uses.
    pub fn unfinished(self) -> Option<StreamEnd> {
        match self {
            Self::Terminal => None,
            Self::Eof => Some(StreamEnd::UpstreamEof),
            Self::Failed(e) => Some(StreamEnd::UpstreamError(e)),
            Self::ClientGone => Some(StreamEnd::ClientGone),
        }
    }
}

/// Why an answer that already started did not complete, if it did not.
pub fn failure_of(end: &StreamEnd) -> Option<GatewayError> {
    match end {
        StreamEnd::Failed(e) | StreamEnd::UpstreamError(e) => Some(e.clone()),
        StreamEnd::UpstreamEof => Some(GatewayError::upstream_error(
            "upstream closed the stream before it completed",
        )),
        StreamEnd::Completed | StreamEnd::Incomplete { .. } | StreamEnd::ClientGone => None,
    }
}

/// The tokens the backend reported in the terminal events read so far (several calls' events
/// may pass through one pump).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Their sum, once a terminal event carried usage.
    pub tokens: Option<Tokens>,
}

#[derive(serde::Deserialize)]
struct TerminalUsage {
    response: UsageOnly,
}

#[derive(serde::Deserialize)]
struct UsageOnly {
    usage: Option<crate::codex::response::Usage>,
}

impl Tally {
    /// Add what `ev` reports, if it is a terminal event with usage.
    pub fn observe(&mut self, ev: &SseEvent) {
        if !TERMINAL_TYPES.contains(&type_of(ev).as_ref()) {
            return;
        }
        let Ok(TerminalUsage {
            response: UsageOnly { usage: Some(usage) },
        }) = serde_json::from_str(&ev.data)
        else {
            return;
        };
        let tokens = Tokens::from_usage(&usage);
        self.tokens = Some(self.tokens.map_or(tokens, |t| t.plus(tokens)));
    }
}

/// Where pumped events go.
#[allow(
    async_fn_in_trait,
    reason = "single-threaded hosts: no Send bound is wanted"
)]
pub trait EventSink {
    /// One upstream event; `Ok(true)` when it ends the answer.
    fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone>;

    /// Every event of one upstream read has been seen: what they produced may leave now, in
    /// one write (a second small write would wait for the client's delayed ACK on Spin).
    async fn read_done(&mut self) -> Result<(), ClientGone> {
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
pub async fn fold(
    upstream: &mut impl UpstreamBody,
    tally: &mut Tally,
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
    let end = pump(upstream, &mut sink, tally).await;
    sink.too_large.map_or(Ok(end), Err)
}

/// Most bytes taken from the upstream without handing what they produced to the client.
const COALESCE_BYTES: usize = 64 * 1024;

/// Append to `pending` what the upstream has ready (see [`UpstreamBody::chunk_if_ready`]), up to
/// [`COALESCE_BYTES`] in all, so it can leave in one write; a read that fails ends it and is
/// returned, after the bytes read before it.
pub async fn take_ready(
    upstream: &mut impl UpstreamBody,
    pending: &mut Vec<u8>,
) -> Option<GatewayError> {
    while pending.len() < COALESCE_BYTES {
        match upstream.chunk_if_ready().await {
            Ok(Some(more)) => pending.extend_from_slice(&more),
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
    None
}

/// Feed every event to `sink` until it reports the terminal one or the body ends. Whatever the
/// upstream has already sent when a read returns is read too before the sink may write: a
/// burst of events leaves in one write, not in many small ones.
pub async fn pump(
    upstream: &mut impl UpstreamBody,
    sink: &mut impl EventSink,
    tally: &mut Tally,
) -> Pumped {
    let mut decoder = SseDecoder::new(MAX_EVENT_BYTES);
    loop {
        let mut chunk = match upstream.next_chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                return match decoder.finish() {
                    Ok(()) => Pumped::Eof,
                    Err(e) => Pumped::Failed(e.into()),
                }
            }
            Err(e) => return Pumped::Failed(e),
        };
        let cut = if sink.coalesces() {
            take_ready(upstream, &mut chunk).await
        } else {
            None
        };
        let events = match decoder.push(&chunk) {
            Ok(events) => events,
            Err(e) => return Pumped::Failed(e.into()),
        };
        for event in &events {
            tally.observe(event);
            match sink.event(event) {
                Ok(true) => return Pumped::Terminal,
                Ok(false) => {}
                Err(ClientGone) => return Pumped::ClientGone,
            }
        }
        if let Some(e) = cut {
            return Pumped::Failed(e);
        }
        if sink.read_done().await.is_err() {
            return Pumped::ClientGone;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::Now;
    use crate::serve::testkit::body;

    /// Records which events arrived before each `read_done`.
    #[derive(Default)]
    struct Batches {
        current: Vec<String>,
        batches: Vec<Vec<String>>,
        coalesce: bool,
    }

    impl EventSink for Batches {
        fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone> {
            self.current.push(ev.data.clone());
            Ok(ev.data == "end")
        }
        async fn read_done(&mut self) -> Result<(), ClientGone> {
            self.batches.push(std::mem::take(&mut self.current));
            Ok(())
        }
        fn coalesces(&self) -> bool {
            self.coalesce
        }
    }

    #[test]
    fn what_has_arrived_is_taken_before_the_sink_writes() {
        let reads: &[&[u8]] = &[
            b"data: a\n\n",
            b"data: b\n\nda",
            b"ta: c\n\n",
            b"data: end\n\n",
        ];
        let mut sink = Batches {
            coalesce: true,
            ..Batches::default()
        };
        assert!(matches!(
            pump(&mut body(reads), &mut sink, &mut Tally::default()).now(),
            Pumped::Terminal
        ));
        // The scripted body has every read ready at once: one batch up to the terminal event.
        assert!(sink.batches.is_empty());
        assert_eq!(sink.current, ["a", "b", "c", "end"]);

        let mut one_by_one = Batches::default();
        let end = pump(&mut body(reads), &mut one_by_one, &mut Tally::default()).now();
        assert!(matches!(end, Pumped::Terminal));
        assert_eq!(one_by_one.batches, [vec!["a"], vec!["b"], vec!["c"]]);
    }

    #[test]
    fn how_a_body_ends_maps_to_one_stream_end() {
        let mut sink = Batches::default();
        let eof = pump(
            &mut body(&[b"data: a\n\n"]),
            &mut sink,
            &mut Tally::default(),
        )
        .now();
        assert!(matches!(eof.unfinished(), Some(StreamEnd::UpstreamEof)));
        let cut = pump(&mut body(&[b"data: a"]), &mut sink, &mut Tally::default()).now();
        assert!(matches!(cut, Pumped::Eof | Pumped::Failed(_)));
        assert!(Pumped::Terminal.unfinished().is_none());
        assert!(matches!(
            Pumped::ClientGone.unfinished(),
            Some(StreamEnd::ClientGone)
        ));
        let failure = failure_of(&StreamEnd::UpstreamEof).unwrap();
        assert_eq!(failure.code(), "upstream_error");
        assert!(failure_of(&StreamEnd::Completed).is_none());
    }
}
