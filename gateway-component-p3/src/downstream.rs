//! The client's side over WASIp3 HTTP: the request body as a stream, and the answer handed to
//! the host as soon as its head is known while the flow goes on writing its body.

use futures_channel::oneshot;
use gateway_core::serve::host::{BodyOut, ClientGone, Reply, RequestBody, Unreadable};
use spin_sdk::wasip3::http::types::{ErrorCode, Fields, Request, Response, Trailers};
use spin_sdk::wasip3::wit_bindgen::{
    FutureReader, FutureWriter, StreamReader, StreamResult, StreamWriter,
};
use spin_sdk::wasip3::{wit_future, wit_stream};

use crate::p2::fields::fields;

/// What ends a body: its trailers, or the error that cuts it.
type BodyEnd = Result<Option<Trailers>, ErrorCode>;

const READ_SIZE: usize = 64 * 1024;

/// The request body, opened on the first read.
pub struct RequestStream {
    request: Option<Request>,
    /// Held while the body is read; dropped, it tells the host the body was taken.
    _done: Option<FutureWriter<Result<(), ErrorCode>>>,
    body: Option<StreamReader<u8>>,
    /// Whether the body arrived whole: a client that broke off closes the stream too.
    end: Option<FutureReader<BodyEnd>>,
}

impl RequestStream {
    /// The body of `request`, unread.
    pub fn of(request: Request) -> Self {
        Self {
            request: Some(request),
            _done: None,
            body: None,
            end: None,
        }
    }
}

impl RequestBody for RequestStream {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Unreadable> {
        if let Some(request) = self.request.take() {
            let (done, done_rx) = wit_future::new(|| Ok(()));
            let (body, trailers) = Request::consume_body(request, done_rx);
            (self._done, self.body, self.end) = (Some(done), Some(body), Some(trailers));
        }
        let Some(body) = self.body.as_mut() else {
            return Ok(None);
        };
        let (result, chunk) = body.read(Vec::with_capacity(READ_SIZE)).await;
        match result {
            StreamResult::Complete(_) => Ok(Some(chunk)),
            StreamResult::Dropped => {
                self.body = None;
                match self.end.take() {
                    Some(end) => end.await.map(|_| None).map_err(|_| Unreadable),
                    None => Ok(None),
                }
            }
            StreamResult::Cancelled => Err(Unreadable),
        }
    }
}

/// The answer: its head goes to the waiting export through `head`, its body through a stream.
pub struct P3Reply {
    head: Option<oneshot::Sender<Response>>,
}

impl P3Reply {
    /// Answer through `head`.
    pub fn new(head: oneshot::Sender<Response>) -> Self {
        Self { head: Some(head) }
    }
}

impl Reply for P3Reply {
    type Body = BodyWriter;

    async fn open(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        first: &[u8],
        whole: bool,
    ) -> Option<BodyWriter> {
        let head = self.head.take()?;
        let fields: Fields = fields(headers.iter().copied());
        let (stream, stream_rx) = wit_stream::new();
        // Dropped unwritten, the end is an error: the client sees a cut body, never a clean end.
        let (end, end_rx) = wit_future::new(|| Err(ErrorCode::InternalError(None)));
        let (response, _sent) = Response::new(fields, Some(stream_rx), end_rx);
        let _ = response.set_status_code(status);
        if head.send(response).is_err() {
            return None;
        }
        let mut writer = BodyWriter { stream, end };
        if whole {
            writer.finish_with(first).await;
            return None;
        }
        writer.write(first).await.ok()?;
        Some(writer)
    }
}

/// A response body being streamed to the client.
pub struct BodyWriter {
    stream: StreamWriter<u8>,
    end: FutureWriter<BodyEnd>,
}

impl BodyOut for BodyWriter {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), ClientGone> {
        if bytes.is_empty() {
            return Ok(());
        }
        let unwritten = self.stream.write_all(bytes.to_vec()).await;
        if unwritten.is_empty() {
            Ok(())
        } else {
            Err(ClientGone)
        }
    }

    async fn finish_with(mut self, last: &[u8]) {
        if self.write(last).await.is_ok() {
            drop(self.stream);
            let _ = self.end.write(Ok(None)).await;
        }
    }

    async fn abort(self) {
        drop(self.stream);
        let _ = self.end.write(Err(ErrorCode::InternalError(None))).await;
    }
}
