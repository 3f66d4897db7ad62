//! The client side of a request: reading its body with a limit, answering exactly once, and
//! streaming a body out with one flush per write.

use gateway_core::error::GatewayError;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::wit::wasi::http0_2_0::types::{self, OutgoingBody};
use wasi::io::streams::{OutputStream, StreamError};

/// Largest single write WASI allows for `blocking-write-and-flush`.
const WRITE_CHUNK: usize = 4096;

/// Read the request body, refusing (413) anything over `limit` without reading the rest.
pub fn read_body(req: &IncomingRequest, limit: usize) -> Result<Vec<u8>, GatewayError> {
    let declared = header_values(req, "content-length")
        .first()
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    let body = req
        .consume()
        .map_err(|()| GatewayError::bad_request("request body could not be read"))?;
    let stream = body
        .stream()
        .map_err(|()| GatewayError::bad_request("request body could not be read"))?;
    let mut out = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                out.extend_from_slice(&chunk);
                if out.len() > limit {
                    return Err(GatewayError::PayloadTooLarge { limit });
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => {
                return Err(GatewayError::bad_request("request body could not be read"))
            }
        }
    }
    drop(stream);
    Ok(out)
}

/// All values of a request header.
pub fn header_values(req: &IncomingRequest, name: &str) -> Vec<Vec<u8>> {
    req.headers().get(name)
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
    /// Wrap the outparam of this request.
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

    /// Send a complete response.
    pub fn full<H: AsRef<str>>(&mut self, status: u16, headers: &[(H, String)], body: &[u8]) {
        if let Some(mut writer) = self.start(status, headers) {
            // A client that left mid-body is not an error worth reporting twice.
            let _ = writer.write(body);
            writer.finish();
        }
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

    /// Start a response whose body is written piece by piece.
    pub fn start<H: AsRef<str>>(
        &mut self,
        status: u16,
        headers: &[(H, String)],
    ) -> Option<BodyWriter> {
        let out = self.out.take()?;
        let fields = Fields::new();
        for (name, value) in headers {
            let _ = fields.append(name.as_ref(), value.as_bytes());
        }
        for (name, value) in &self.extra {
            let _ = fields.append(name, value.as_bytes());
        }
        let _ = fields.append("x-request-id", self.request_id.as_bytes());
        let response = OutgoingResponse::new(fields);
        let _ = response.set_status_code(status);
        let body = response.body().ok();
        types::ResponseOutparam::set(out.into_inner(), Ok(response));
        self.status = status;
        let body = body?;
        let stream = body.write().ok()?;
        Some(BodyWriter {
            stream: Some(stream),
            body: Some(body),
        })
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
    /// Write and flush `bytes` now (the client sees them before we read more upstream).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), ClientGone> {
        let stream = self.stream.as_ref().ok_or(ClientGone)?;
        for piece in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(piece)
                .map_err(|_| ClientGone)?;
        }
        Ok(())
    }

    /// End the body cleanly.
    pub fn finish(mut self) {
        drop(self.stream.take());
        if let Some(body) = self.body.take() {
            let _ = OutgoingBody::finish(body, None);
        }
    }
}
