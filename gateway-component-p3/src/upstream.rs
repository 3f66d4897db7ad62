//! Outgoing HTTP through WASIp3's `wasi:http/client`: awaiting the answer and each piece of its
//! body lets the instance serve its other requests meanwhile. The connect and first-byte
//! timeouts bound a dead upstream, the between-bytes timeout is a stream's idle timeout; there
//! is deliberately no total timeout, as long reasoning streams must survive.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use gateway_core::error::GatewayError;
use gateway_core::serve::host::{Method, Outgoing, Received, UpstreamBody};
use gateway_core::url::Url;
use spin_sdk::wasip3::clocks::monotonic_clock;
use spin_sdk::wasip3::http::client;
use spin_sdk::wasip3::http::types::{
    ErrorCode, Fields, Method as WasiMethod, Request, RequestOptions, Response, Scheme, Trailers,
};
use spin_sdk::wasip3::wit_bindgen::{FutureReader, FutureWriter, StreamReader, StreamResult};
use spin_sdk::wasip3::{wit_future, wit_stream};

use crate::p2::fields::fields;

const CONNECT_TIMEOUT_NS: u64 = 30 * 1_000_000_000;
const READ_SIZE: usize = 16 * 1024;
/// How long a stream waits for the rest of a burst before it writes what it has: far below the
/// spacing of model tokens, far above the time the host takes to hand over a chunk it holds.
const BURST_GAP_NS: u64 = 250_000;

error_code_mapping!(ErrorCode);

/// An upstream response body, read as it arrives.
pub struct P3Body {
    /// Told, when dropped, that the body was taken; kept as long as the body is read.
    _done: FutureWriter<Result<(), ErrorCode>>,
    stream: Option<StreamReader<u8>>,
    trailers: Option<FutureReader<Result<Option<Trailers>, ErrorCode>>>,
    idle_secs: u64,
}

impl UpstreamBody for P3Body {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        if let Some(stream) = self.stream.as_mut() {
            let (result, chunk) = stream.read(Vec::with_capacity(READ_SIZE)).await;
            if let StreamResult::Complete(_) = result {
                return Ok(Some(chunk));
            }
            self.stream = None;
        }
        // The stream closed: the trailers say whether the body ended or broke.
        let Some(trailers) = self.trailers.take() else {
            return Ok(None);
        };
        match trailers.await {
            Ok(_) => Ok(None),
            Err(code) => Err(stream_error(&code, self.idle_secs)),
        }
    }

    async fn chunk_if_ready(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        // What the host hands over within a moment: Spin passes one HTTP chunk per read and
        // fetches the next only then, so the rest of a burst that has arrived still reads as
        // "nothing" at first. Waiting a little keeps the burst in one write to the client,
        // which on Spin (Nagle on) saves the next small write a delayed ACK of up to 40 ms.
        // The wait is awaited: the instance's other requests go on meanwhile.
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        let (result, chunk) = {
            let mut read = pin!(stream.read(Vec::with_capacity(READ_SIZE)));
            let mut gap = pin!(monotonic_clock::wait_for(BURST_GAP_NS));
            let done = std::future::poll_fn(|cx| match read.as_mut().poll(cx) {
                Poll::Ready(done) => Poll::Ready(Some(done)),
                Poll::Pending => gap.as_mut().poll(cx).map(|()| None),
            })
            .await;
            // A cancelled read still returns what it copied.
            done.unwrap_or_else(|| read.as_mut().cancel())
        };
        if let StreamResult::Dropped = result {
            // Whether it ended or broke is for next_chunk to tell, from the trailers.
            self.stream = None;
        }
        Ok(Some(chunk).filter(|c| !c.is_empty()))
    }

    fn ended(&self) -> bool {
        self.stream.is_none() && self.trailers.is_none()
    }
}

fn stream_error(code: &ErrorCode, idle_secs: u64) -> GatewayError {
    if matches!(
        code,
        ErrorCode::HttpResponseTimeout | ErrorCode::ConnectionReadTimeout
    ) {
        GatewayError::UpstreamTimeout { idle_secs }
    } else {
        GatewayError::upstream_error("upstream connection failed mid-response")
    }
}

/// Send a request and wait for the response head.
pub async fn send(req: &Outgoing<'_>) -> Result<Received<P3Body>, GatewayError> {
    let bad_url = || GatewayError::Internal(format!("bad upstream URL {}", req.url));
    let url = Url::parse(req.url).ok_or_else(bad_url)?;
    // A sized body, as the Codex CLI and the Go gateway send it, not a chunked one.
    let length = req.body.map(|b| b.len().to_string());
    let named = req.headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    let sized = length.as_deref().map(|n| ("content-length", n.as_bytes()));
    let headers: Fields = fields(named.chain(sized));
    let (mut body_tx, body_rx) = wit_stream::new();
    let (end_tx, end_rx) = wit_future::new(|| Ok(None));
    let (request, _sent) = Request::new(headers, Some(body_rx), end_rx, Some(options(req)));
    let method = match req.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
    };
    let scheme = if url.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let setup = [
        request.set_method(&method),
        request.set_scheme(Some(&scheme)),
        request.set_authority(Some(url.authority)),
        request.set_path_with_query(Some(url.path_and_query)),
    ];
    if setup.iter().any(Result::is_err) {
        return Err(bad_url());
    }
    // The host reads the body once the request is sent, so it is written beside the send.
    let bytes = req.body.unwrap_or_default().to_vec();
    crate::spawn::spawn(async move {
        if body_tx.write_all(bytes).await.is_empty() {
            drop(body_tx);
            let _ = end_tx.write(Ok(None)).await;
        }
    })
    .await;
    let response = client::send(request).await.map_err(|code| match code {
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            GatewayError::UpstreamTimeout {
                idle_secs: req.idle_secs,
            }
        }
        code => map_error_code(code),
    })?;
    Ok(into_upstream(response, req.idle_secs))
}

fn options(req: &Outgoing<'_>) -> RequestOptions {
    let idle_ns = req.idle_secs.saturating_mul(1_000_000_000);
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(idle_ns));
    let _ = options.set_between_bytes_timeout(Some(idle_ns));
    options
}

fn into_upstream(response: Response, idle_secs: u64) -> Received<P3Body> {
    let status = response.get_status_code();
    let headers = response.get_headers().copy_all();
    let (done, done_rx) = wit_future::new(|| Ok(()));
    let (stream, trailers) = Response::consume_body(response, done_rx);
    Received {
        status,
        headers,
        body: P3Body {
            _done: done,
            stream: Some(stream),
            trailers: Some(trailers),
            idle_secs,
        },
    }
}
