//! A stream translated event by event on its way out (chat chunks, Anthropic events): the one
//! flow both translating routes share. A failure before any output is answered with its own
//! status and envelope instead of a 200 stream; after that it is the route's error frame; the
//! closing frames leave together with the end of the body.

use super::host::{ClientGone, Host, Reply, UpstreamBody};
use super::pump::{failure_of, fold, pump, EventSink, Pumped, Tally};
use super::request::Ctx;
use super::responder::{json_header, sse_headers, Responder};
use super::stream_out::StreamOut;
use super::upstream::{Failed, Handled, Upstream};
use crate::error::GatewayError;
use crate::log::LogLevel;
use crate::sse::decode::SseEvent;
use crate::translate::chat::completion::ChatCompletionBuilder;
use crate::translate::chat::stream::ChatFrame;
use crate::translate::end::StreamEnd;
use crate::translate::messages::fold::MessageBuilder;
use crate::translate::messages::stream::MessagesFrame;

/// A translation of upstream events into frames of the client's protocol.
pub trait Translation {
    /// What one upstream event becomes.
    type Frame;
    /// Translate one upstream event; terminal events also produce the closing frames.
    fn on_event(&mut self, ev: &SseEvent) -> Vec<Self::Frame>;
    /// How the stream ended, once it has.
    fn end(&self) -> Option<&StreamEnd>;
    /// End the stream for a reason the host observed.
    fn finish(&mut self, end: StreamEnd) -> Vec<Self::Frame>;
    /// The failure a frame reports, if it is one.
    fn failure(frame: &Self::Frame) -> Option<&GatewayError>;
    /// Append the frame's bytes.
    fn write(&self, frame: &Self::Frame, out: &mut Vec<u8>);
}

/// A non-stream answer built from the stream's own frames.
pub trait Folded<F> {
    /// Add one frame.
    fn push(&mut self, frame: &F);
    /// The answer's JSON, or the failure the frames ended with.
    fn finish(self) -> Result<Vec<u8>, GatewayError>;
}

impl Folded<ChatFrame> for ChatCompletionBuilder {
    fn push(&mut self, frame: &ChatFrame) {
        ChatCompletionBuilder::push(self, frame);
    }
    fn finish(self) -> Result<Vec<u8>, GatewayError> {
        ChatCompletionBuilder::finish(self)
    }
}

impl Folded<MessagesFrame> for MessageBuilder {
    fn push(&mut self, frame: &MessagesFrame) {
        MessageBuilder::push(self, frame);
    }
    fn finish(self) -> Result<Vec<u8>, GatewayError> {
        MessageBuilder::finish(self)
    }
}

/// Answer a translated call: with `folded` (the client asked for JSON) one sized JSON answer
/// folded from the frames, else the frames as a 200 event stream. The upstream's relayable
/// headers go with either.
pub async fn answer_translated<H: Host, R: Reply, T: Translation>(
    ctx: &Ctx<'_, H>,
    mut upstream: Upstream<impl UpstreamBody>,
    mut translation: T,
    folded: Option<impl Folded<T::Frame>>,
    out: &mut Responder<R>,
) -> Handled {
    let mut meta = upstream.meta.clone();
    let mut headers = meta.relayed.clone();
    let mut tally = Tally::default();
    let Some(mut folded) = folded else {
        headers.extend(sse_headers());
        let streamed = stream_translated(
            ctx,
            &mut upstream.body,
            &mut tally,
            translation,
            out,
            &headers,
        )
        .await;
        meta.tokens = tally.tokens.map(Box::new);
        return streamed
            .map(|()| Some(meta.clone()))
            .map_err(|e| Failed::after(e, &meta));
    };
    let folding = fold_translated(&mut upstream.body, &mut tally, &mut translation, |f| {
        folded.push(f)
    })
    .await;
    meta.tokens = tally.tokens.map(Box::new);
    folding.map_err(|e| Failed::after(e, &meta))?;
    drop(upstream);
    let json = folded.finish().map_err(|e| Failed::after(e, &meta))?;
    headers.push(json_header());
    out.full(200, &headers, &json).await;
    Ok(Some(meta))
}

/// Read `body` whole through `translation`, handing every frame to `push` (a non-stream answer
/// is the fold of the stream's own frames), closing frames included.
async fn fold_translated<T: Translation>(
    body: &mut impl UpstreamBody,
    tally: &mut Tally,
    translation: &mut T,
    mut push: impl FnMut(&T::Frame),
) -> Result<(), GatewayError> {
    let end = fold(body, tally, |ev| {
        translation.on_event(ev).iter().for_each(&mut push);
        translation.end().is_some()
    })
    .await?;
    if let Some(end) = end.unfinished() {
        translation.finish(end).iter().for_each(&mut push);
    }
    Ok(())
}

/// Relay `body` through `translation` as a 200 event stream with `headers`; a failure before
/// any output is the error to answer with.
async fn stream_translated<H: Host, R: Reply, T: Translation>(
    ctx: &Ctx<'_, H>,
    body: &mut impl UpstreamBody,
    tally: &mut Tally,
    translation: T,
    out: &mut Responder<R>,
    headers: &[(String, String)],
) -> Result<(), GatewayError> {
    let mut sink = FramesOut {
        translation,
        out: StreamOut::new(out, headers),
        failed_first: None,
        held: Vec::new(),
    };
    let end = pump(body, &mut sink, tally).await;
    if let Pumped::ClientGone = end {
        ctx.log
            .emit(LogLevel::Info, "gateway.stream.client_gone", &[]);
        return Ok(());
    }
    let frames = end
        .unfinished()
        .map(|end| sink.translation.finish(end))
        .unwrap_or_default();
    // Before any output the failure becomes the answer's status (logged as a request error).
    if sink.out.started() {
        if let Some(err) = sink.translation.end().and_then(failure_of) {
            ctx.log.stream_failed(&err);
        }
    }
    sink.take(&frames, true);
    if let Some(err) = sink.failed_first {
        return Err(err);
    }
    sink.out.close(&sink.held).await;
    Ok(())
}

struct FramesOut<'a, R: Reply, T: Translation> {
    translation: T,
    out: StreamOut<'a, R>,
    failed_first: Option<GatewayError>,
    /// Closing frames, written together with the end of the body.
    held: Vec<u8>,
}

impl<R: Reply, T: Translation> FramesOut<'_, R, T> {
    fn take(&mut self, frames: &[T::Frame], hold: bool) {
        if self.failed_first.is_some() {
            return;
        }
        if !self.out.started() {
            if let Some(err) = frames.first().and_then(T::failure) {
                self.failed_first = Some(err.clone());
                return;
            }
        }
        let mut bytes = Vec::new();
        frames
            .iter()
            .for_each(|f| self.translation.write(f, &mut bytes));
        if hold {
            self.held.extend_from_slice(&bytes);
        } else {
            self.out.queue(&bytes);
        }
    }
}

impl<R: Reply, T: Translation> EventSink for FramesOut<'_, R, T> {
    fn event(&mut self, ev: &SseEvent) -> Result<bool, ClientGone> {
        let frames = self.translation.on_event(ev);
        let last = self.translation.end().is_some();
        self.take(&frames, last);
        Ok(last)
    }

    async fn read_done(&mut self) -> Result<(), ClientGone> {
        self.out.flush().await
    }

    fn coalesces(&self) -> bool {
        true
    }
}
