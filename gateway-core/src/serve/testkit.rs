//! In-memory hosts for the request-flow tests: scripted upstream bodies, a request body in
//! pieces, and an answer that records every write.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::host::{BodyOut, ClientGone, Reply, RequestBody, Unreadable, UpstreamBody};
use super::upstream::{Upstream, UpstreamMeta};
use crate::error::GatewayError;

/// An upstream body: each item is what one read returns (`Err`: the read fails). An empty item
/// is a pause: the bytes after it have not arrived yet when the gateway asks what is ready.
pub struct ScriptedBody(VecDeque<Result<Vec<u8>, GatewayError>>);

/// A body that yields `chunks` one read at a time.
pub fn body(chunks: &[&[u8]]) -> ScriptedBody {
    scripted(chunks.iter().map(|c| Ok(c.to_vec())).collect())
}

/// A body that yields `reads` one at a time.
pub fn scripted(reads: Vec<Result<Vec<u8>, GatewayError>>) -> ScriptedBody {
    ScriptedBody(reads.into())
}

impl ScriptedBody {
    fn next_read(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        while self
            .0
            .front()
            .is_some_and(|r| r.as_ref().is_ok_and(Vec::is_empty))
        {
            self.0.pop_front();
        }
        self.0.pop_front().transpose()
    }
}

impl UpstreamBody for ScriptedBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        self.next_read()
    }
    async fn chunk_if_ready(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        if self
            .0
            .front()
            .is_some_and(|r| r.as_ref().is_ok_and(Vec::is_empty))
        {
            self.0.pop_front();
            return Ok(None);
        }
        self.next_read()
    }
    fn ended(&self) -> bool {
        self.0.is_empty()
    }
}

/// An upstream answer with `status` and `body`.
pub fn upstream(status: u16, body: ScriptedBody) -> Upstream<ScriptedBody> {
    Upstream {
        headers: Vec::new(),
        body,
        meta: UpstreamMeta {
            status,
            ..UpstreamMeta::default()
        },
    }
}

/// A request body in pieces, counting reads.
pub struct ChunkedRequest {
    chunks: VecDeque<Vec<u8>>,
    failing: bool,
    reads: usize,
}

impl ChunkedRequest {
    pub fn new(chunks: &[&[u8]]) -> Self {
        Self {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
            failing: false,
            reads: 0,
        }
    }
    pub fn failing() -> Self {
        Self {
            failing: true,
            ..Self::new(&[])
        }
    }
    pub fn reads(&self) -> usize {
        self.reads
    }
}

impl RequestBody for ChunkedRequest {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Unreadable> {
        self.reads += 1;
        if self.failing {
            return Err(Unreadable);
        }
        Ok(self.chunks.pop_front())
    }
}

/// What the client was sent, write by write.
#[derive(Debug, Default)]
pub struct Sent {
    /// Status and headers, once opened.
    pub head: Option<(u16, Vec<(String, String)>)>,
    /// Each write that reached the client; the first left with the head.
    pub writes: Vec<Vec<u8>>,
    /// Whether the body ended cleanly (`Some(true)`), was cut (`Some(false)`), or is open.
    pub ended: Option<bool>,
}

impl Sent {
    /// A header of the answer.
    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, headers) = self.head.as_ref()?;
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A reply recording into a shared [`Sent`].
pub struct RecordingReply<'a>(pub &'a RefCell<Sent>);

/// The body side of [`RecordingReply`].
pub struct RecordingBody<'a>(&'a RefCell<Sent>);

impl<'a> Reply for RecordingReply<'a> {
    type Body = RecordingBody<'a>;
    async fn open(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        first: &[u8],
        whole: bool,
    ) -> Option<Self::Body> {
        let mut sent = self.0.borrow_mut();
        let headers = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        sent.head = Some((status, headers));
        sent.writes.push(first.to_vec());
        if whole {
            sent.ended = Some(true);
            return None;
        }
        Some(RecordingBody(self.0))
    }
}

impl BodyOut for RecordingBody<'_> {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), ClientGone> {
        self.0.borrow_mut().writes.push(bytes.to_vec());
        Ok(())
    }
    async fn finish_with(self, last: &[u8]) {
        let mut sent = self.0.borrow_mut();
        sent.writes.push(last.to_vec());
        sent.ended = Some(true);
    }
    async fn abort(self) {
        self.0.borrow_mut().ended = Some(false);
    }
}
