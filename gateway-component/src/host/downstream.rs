//! The client side of a request: reading its body with a limit, and answering exactly once.
//!
//! Spin serves without `TCP_NODELAY`, so every answer is shaped to leave in as few TCP writes
//! as possible: a complete answer carries `content-length` and is handed over with its head,
//! a stream's first bytes are queued before its head is released, and a stream's last bytes
//! are followed at once by the end of the body. A second small write behind unacknowledged
//! data waits for the client's delayed ACK (40 ms on Linux).

use gateway_core::error::GatewayError;
use spin_sdk::http::{IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::wit::wasi::http0_2_0::types::{self, OutgoingBody};
use wasi::io::streams::{OutputStream, StreamError};

use super::fields::fields;
use super::streams::write_all;

/// The request's headers, fetched from the host once (each lookup would be a host call).
pub struct RequestHeaders(Vec<(String, Vec<u8>)>);

impl RequestHeaders {
    /// Every header of `req`.
    pub fn of(req: &IncomingRequest) -> Self {
        Self(req.headers().entries())
    }

    /// Every header, as the client (and Spin) sent them.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// All values of `name` (case-insensitive).
    pub fn values(&self, name: &str) -> Vec<&[u8]> {
        self.entries()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .collect()
    }

    /// The first value of `name` as text.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.values(name)
            .first()
            .and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// Read the request body, refusing (413) anything over `limit` without reading the rest.
pub fn read_body(
    req: &IncomingRequest,
    headers: &RequestHeaders,
    limit: usize,
) -> Result<Vec<u8>, GatewayError> {
    let declared = headers
        .first("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    let unreadable = || GatewayError::bad_request("request body could not be read");
    let body = req.consume().map_err(|()| unreadable())?;
    let stream = body.stream().map_err(|()| unreadable())?;
    let mut out = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                out.extend_from_slice(&chunk);
                if out.len() > limit {
                    return Err(GatewayError::PayloadTooLarge { limit });
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err(unreadable()),
        }
    }
    drop(stream);
    Ok(out)
}

/// Answers the client exactly once; remembers the status for the access log.
pub struct Responder {
    out: Option<ResponseOutparam>,
    request_id: String,
    /// Status sent (0 while unanswered).
    pub status: u16,
    /// Headers every answer to this request carries (ignored params, relayed rate limits).
    pub extra: Vec<(String, String)>,
}

impl Responder {
    /// Wrap the outparam of this request. A `HEAD` answer is written like a `GET` one: the
    /// host's HTTP server sends its head (with the `content-length`) and drops the body.
    pub fn new(out: ResponseOutparam, request_id: String) -> Self {
        Self {
            out: Some(out),
            request_id,
            status: 0,
            extra: Vec::new(),
        }
    }

    /// Whether a response was already started.
    pub fn answered(&self) -> bool {
        self.out.is_none()
    }

    /// Send a complete response: `content-length`, head and body handed over together.
    pub fn full<H: AsRef<str>>(&mut self, status: u16, headers: &[(H, String)], body: &[u8]) {
        self.open(status, headers, Some(body.len() as u64), body, true);
    }

    /// Send an error envelope (with `Retry-After`/`Allow`/`WWW-Authenticate` as the error needs).
    pub fn error(&mut self, err: &GatewayError) {
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if let Some(secs) = err.retry_after() {
            // Ours is computed from the failure itself; an upstream copy would contradict it.
            self.extra
                .retain(|(name, _)| !name.eq_ignore_ascii_case("retry-after"));
            headers.push(("retry-after", secs.to_string()));
        }
        match err {
            GatewayError::MethodNotAllowed { allow } => headers.push(("allow", (*allow).into())),
            GatewayError::Unauthorized(_) => headers.push(("www-authenticate", "Bearer".into())),
            _ => {}
        }
        self.full(err.status(), &headers, &err.envelope_json());
    }

    /// Start a body of unknown length whose first bytes leave together with the head.
    pub fn stream<H: AsRef<str>>(
        &mut self,
        status: u16,
        headers: &[(H, String)],
        first: &[u8],
    ) -> Option<BodyWriter> {
        self.relay(status, headers, None, first)
    }

    /// A stream whose every byte is known before anything left: head, body and end are all
    /// handed over at once.
    pub fn whole_stream<H: AsRef<str>>(
        &mut self,
        status: u16,
        headers: &[(H, String)],
        body: &[u8],
    ) {
        self.open(status, headers, None, body, true);
    }

    /// Start a relayed body of `length` bytes (when the upstream said) with its first bytes.
    pub fn relay<H: AsRef<str>>(
        &mut self,
        status: u16,
        headers: &[(H, String)],
        length: Option<u64>,
        first: &[u8],
    ) -> Option<BodyWriter> {
        self.open(status, headers, length, first, false)
    }

    /// Answer with `first` as the start of the body, or as all of it when `whole`.
    fn open<H: AsRef<str>>(
        &mut self,
        status: u16,
        headers: &[(H, String)],
        length: Option<u64>,
        first: &[u8],
        whole: bool,
    ) -> Option<BodyWriter> {
        let out = self.out.take()?;
        let length = length.map(|n| n.to_string());
        let named = headers.iter().map(|(n, v)| (n.as_ref(), v.as_bytes()));
        let extra = self.extra.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
        let own = [("x-request-id", Some(self.request_id.as_bytes()))]
            .into_iter()
            .chain([("content-length", length.as_deref().map(str::as_bytes))])
            .filter_map(|(n, v)| Some((n, v?)));
        let response = OutgoingResponse::new(fields(named.chain(extra).chain(own)));
        let _ = response.set_status_code(status);
        self.status = status;
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
            writer.finish();
            return None;
        }
        Some(writer)
    }
}

/// The client went away; stop producing.
#[derive(Debug)]
pub struct ClientGone;

/// A response body being streamed to the client.
pub struct BodyWriter {
    stream: Option<OutputStream>,
    body: Option<OutgoingBody>,
}

impl BodyWriter {
    /// Hand `bytes` to the host now (the client sees them before we read more upstream).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), ClientGone> {
        if bytes.is_empty() {
            return Ok(());
        }
        let stream = self.stream.as_ref().ok_or(ClientGone)?;
        write_all(stream, bytes)
            .and_then(|()| stream.flush())
            .map_err(|_| ClientGone)
    }

    /// End the body cleanly.
    pub fn finish(self) {
        self.finish_with(&[]);
    }

    /// Write the last bytes and end the body at once, so both can leave in one write.
    pub fn finish_with(mut self, last: &[u8]) {
        if let Some(stream) = self.stream.take() {
            let _ = write_all(&stream, last);
        }
        if let Some(body) = self.body.take() {
            let _ = OutgoingBody::finish(body, None);
        }
    }

    /// End the body as failed: the client sees a cut connection, never a clean end.
    pub fn abort(mut self) {
        drop(self.stream.take());
        // Dropping an unfinished outgoing body aborts it on the host.
        drop(self.body.take());
    }
}
