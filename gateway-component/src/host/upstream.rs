//! Outgoing HTTP through `wasi:http/outgoing-handler` with request options set: the connect and
//! first-byte timeouts bound a dead upstream, the between-bytes timeout is the idle timeout of a
//! stream. There is deliberately no total timeout: long reasoning streams must survive.

use gateway_core::error::GatewayError;
use gateway_core::serve::host::{Method, Outgoing, Received, UpstreamBody};
use gateway_core::url::Url;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    http_error_code, ErrorCode, IncomingBody, IncomingResponse, Method as WasiMethod, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::poll;
use wasi::io::streams::{InputStream, StreamError};

use super::fields::fields;
use super::streams::write_all;

const CONNECT_TIMEOUT_NS: u64 = 30 * 1_000_000_000;
const READ_SIZE: u64 = 16 * 1024;
/// How long a stream waits for the rest of a burst before it writes what it has: far below the
/// spacing of model tokens, far above the time the host takes to hand over a chunk it holds.
/// wasmtime's timers run on tokio's 1 ms ticks, so the wait really ends within about 1.25 ms.
const BURST_GAP_NS: u64 = 250_000;

/// An upstream response body, read as it arrives.
pub struct WasiBody {
    /// The stream before its body: a child resource is dropped before its parent.
    body: Option<(InputStream, IncomingBody)>,
    idle_secs: u64,
}

impl UpstreamBody for WasiBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        let Some((stream, _)) = self.body.as_ref() else {
            return Ok(None);
        };
        let read = stream.blocking_read(READ_SIZE);
        self.settle(read)
    }

    async fn chunk_if_ready(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        let Some((stream, _)) = self.body.as_ref() else {
            return Ok(None);
        };
        let read = match stream.read(READ_SIZE) {
            // wasmtime hands over one HTTP chunk per read and asks its connection task for the
            // next only then, so a burst that fully arrived still reads as "nothing ready" for a
            // moment. Waiting a little for it keeps a burst in one write to the client, which
            // on Spin (no TCP_NODELAY) saves the second write a delayed ACK of up to 40 ms.
            Ok(bytes) if bytes.is_empty() => {
                let ready = stream.subscribe();
                let gap = monotonic_clock::subscribe_duration(BURST_GAP_NS);
                if !poll::poll(&[&ready, &gap]).contains(&0) {
                    return Ok(None);
                }
                stream.read(READ_SIZE)
            }
            read => read,
        };
        self.settle(read).map(|c| c.filter(|c| !c.is_empty()))
    }

    fn ended(&self) -> bool {
        self.body.is_none()
    }
}

impl WasiBody {
    fn settle(
        &mut self,
        read: Result<Vec<u8>, StreamError>,
    ) -> Result<Option<Vec<u8>>, GatewayError> {
        match read {
            Ok(bytes) => Ok(Some(bytes)),
            Err(StreamError::Closed) => {
                self.body = None;
                Ok(None)
            }
            Err(StreamError::LastOperationFailed(e)) => {
                let timed_out = match http_error_code(&e) {
                    Some(code) => matches!(
                        code,
                        ErrorCode::HttpResponseTimeout | ErrorCode::ConnectionReadTimeout
                    ),
                    // wasmtime-wasi-http reports a body timeout as its own error type, which
                    // `http-error-code` cannot name; its description still says "timeout".
                    None => e.to_debug_string().to_ascii_lowercase().contains("timeout"),
                };
                self.body = None;
                Err(stream_error(timed_out, self.idle_secs))
            }
        }
    }
}

/// A body read that timed out is the idle timeout; anything else is a broken upstream.
fn stream_error(timed_out: bool, idle_secs: u64) -> GatewayError {
    if timed_out {
        GatewayError::UpstreamTimeout { idle_secs }
    } else {
        GatewayError::upstream_error("upstream connection failed mid-response")
    }
}

/// Send a request and wait for the response head.
pub fn send(req: &Outgoing<'_>) -> Result<Received<WasiBody>, GatewayError> {
    let url = Url::parse(req.url)
        .ok_or_else(|| GatewayError::Internal(format!("bad upstream URL {}", req.url)))?;
    // A sized body, as the Codex CLI and the Go gateway send it, not a chunked one.
    let length = req.body.map(|b| b.len().to_string());
    let named = req.headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    let sized = length.as_deref().map(|n| ("content-length", n.as_bytes()));
    let outgoing = OutgoingRequest::new(fields(named.chain(sized)));
    let scheme = if url.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let method = match req.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
    };
    let setup = [
        outgoing.set_method(&method),
        outgoing.set_scheme(Some(&scheme)),
        outgoing.set_authority(Some(url.authority)),
        outgoing.set_path_with_query(Some(url.path_and_query)),
    ];
    if setup.iter().any(Result::is_err) {
        return Err(GatewayError::Internal(format!(
            "bad upstream URL {}",
            req.url
        )));
    }
    let body = outgoing
        .body()
        .map_err(|()| GatewayError::Internal("outgoing body taken twice".into()))?;
    let stream = body
        .write()
        .map_err(|()| GatewayError::Internal("outgoing body stream taken twice".into()))?;
    let bytes = req.body.unwrap_or_default();
    // A body within the host's write budget is queued before the request is handed over, so
    // head and body leave together; a larger one is written once the host reads it.
    let early = stream
        .check_write()
        .is_ok_and(|budget| budget >= bytes.len() as u64)
        && (bytes.is_empty() || stream.write(bytes).is_ok());
    let idle_ns = req.idle_secs.saturating_mul(1_000_000_000);
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(idle_ns));
    let _ = options.set_between_bytes_timeout(Some(idle_ns));
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(map_error_code)?;
    if !early {
        write_all(&stream, bytes).map_err(|_| {
            GatewayError::UpstreamUnavailable("upstream refused the request body".into())
        })?;
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(map_error_code)?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(ErrorCode::ConnectionReadTimeout))) => {
            return Err(GatewayError::UpstreamTimeout {
                idle_secs: req.idle_secs,
            })
        }
        Some(Ok(Err(code))) => return Err(map_error_code(code)),
        Some(Err(())) | None => {
            return Err(GatewayError::Internal(
                "upstream response polled twice".into(),
            ))
        }
    };
    into_upstream(response, req.idle_secs)
}

fn into_upstream(
    response: IncomingResponse,
    idle_secs: u64,
) -> Result<Received<WasiBody>, GatewayError> {
    let status = response.status();
    let headers = response.headers().entries();
    let body = response
        .consume()
        .map_err(|()| GatewayError::Internal("upstream body consumed twice".into()))?;
    let stream = body
        .stream()
        .map_err(|()| GatewayError::Internal("upstream body stream taken twice".into()))?;
    Ok(Received {
        status,
        headers,
        body: WasiBody {
            body: Some((stream, body)),
            idle_secs,
        },
    })
}

/// Why a request never got an answer, as the client is told: a macro, because the WASI 0.2
/// and WASIp3 bindings name `error-code` as two Rust types (`$code` must be in scope).
macro_rules! error_code_mapping {
    ($code:ident) => {
        fn map_error_code(code: $code) -> GatewayError {
            match code {
                $code::ConnectionTimeout => {
                    GatewayError::UpstreamUnavailable("upstream did not answer in time".into())
                }
                $code::HttpRequestDenied => GatewayError::UpstreamUnavailable(
                    "upstream host is not in allowed_outbound_hosts".into(),
                ),
                $code::DnsTimeout | $code::DnsError(_) => GatewayError::UpstreamUnavailable(
                    "upstream host name could not be resolved".into(),
                ),
                $code::ConnectionRefused => {
                    GatewayError::UpstreamUnavailable("upstream refused the connection".into())
                }
                _ => GatewayError::UpstreamUnavailable("upstream request failed".into()),
            }
        }
    };
}

error_code_mapping!(ErrorCode);
