//! The client side of a request over WASI HTTP: its body in pieces, and the answer's head and
//! body. Which bytes go out, and when, is decided by `gateway_core::serve::responder`.

use gateway_core::serve::host::{BodyOut, ClientGone, Reply, RequestBody, Unreadable};
use spin_sdk::http::{IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::wit::wasi::http0_2_0::types::{self, IncomingBody, OutgoingBody};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

use super::fields::{fields, FieldsResource};
use super::streams::write_all;

fields_resource!(spin_sdk::http::Fields);

/// The request body, opened on the first read.
pub struct RequestStream {
    request: Option<IncomingRequest>,
    /// The stream before its body: a child resource is dropped before its parent.
    body: Option<(InputStream, IncomingBody)>,
}

impl RequestStream {
    /// The body of `request`, unread.
    pub fn of(request: IncomingRequest) -> Self {
        Self {
            request: Some(request),
            body: None,
        }
    }
}

impl RequestBody for RequestStream {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Unreadable> {
        if let Some(request) = self.request.take() {
            let body = request.consume().map_err(|()| Unreadable)?;
            self.body = Some((body.stream().map_err(|()| Unreadable)?, body));
        }
        let Some((stream, _)) = &self.body else {
            return Ok(None);
        };
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => Ok(Some(chunk)),
            Err(StreamError::Closed) => {
                self.body = None;
                Ok(None)
            }
            Err(StreamError::LastOperationFailed(_)) => Err(Unreadable),
        }
    }
}

/// The answer, through Spin's response outparam.
pub struct SpinReply(Option<ResponseOutparam>);

impl SpinReply {
    /// Answer through `out`.
    pub fn new(out: ResponseOutparam) -> Self {
        Self(Some(out))
    }
}

impl Reply for SpinReply {
    type Body = BodyWriter;

    async fn open(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        first: &[u8],
        whole: bool,
    ) -> Option<BodyWriter> {
        let out = self.0.take()?;
        let response = OutgoingResponse::new(fields(headers.iter().copied()));
        let _ = response.set_status_code(status);
        let body = response.body().ok();
        let stream = body.as_ref().and_then(|b| b.write().ok());
        // Bytes queued before the head is released go out in the head's own write; the host
        // buffers one write of up to its budget before anyone reads.
        let early = stream.as_ref().is_some_and(|s| {
            s.check_write()
                .is_ok_and(|budget| budget >= first.len() as u64)
                && (first.is_empty() || s.write(first).is_ok())
        });
        if early && whole {
            // Finished before the head is released: head, body and end leave in one write.
            drop(stream);
            if let Some(body) = body {
                let _ = OutgoingBody::finish(body, None);
            }
            types::ResponseOutparam::set(out.into_inner(), Ok(response));
            return None;
        }
        types::ResponseOutparam::set(out.into_inner(), Ok(response));
        let (stream, body) = (stream?, body?);
        if !early && write_all(&stream, first).is_err() {
            return None;
        }
        let writer = BodyWriter {
            stream: Some(stream),
            body: Some(body),
        };
        if whole {
            writer.finish_with(&[]).await;
            return None;
        }
        Some(writer)
    }
}

/// A response body being streamed to the client.
pub struct BodyWriter {
    stream: Option<OutputStream>,
    body: Option<OutgoingBody>,
}

impl BodyOut for BodyWriter {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), ClientGone> {
        if bytes.is_empty() {
            return Ok(());
        }
        let stream = self.stream.as_ref().ok_or(ClientGone)?;
        write_all(stream, bytes)
            .and_then(|()| stream.flush())
            .map_err(|_| ClientGone)
    }

    async fn finish_with(mut self, last: &[u8]) {
        if let Some(stream) = self.stream.take() {
            let _ = write_all(&stream, last);
        }
        if let Some(body) = self.body.take() {
            let _ = OutgoingBody::finish(body, None);
        }
    }

    async fn abort(mut self) {
        drop(self.stream.take());
        // Dropping an unfinished outgoing body aborts it on the host.
        drop(self.body.take());
    }
}
