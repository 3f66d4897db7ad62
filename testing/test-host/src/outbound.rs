//! Outbound HTTP with a connection pool, as Spin's outbound-http has: a guest request reuses an
//! idle keep-alive connection to the same origin instead of opening a new one. wasmtime-wasi-http's
//! `default_send_request` opens a connection per request, which would charge the gateway for a TCP
//! handshake Spin does not pay. The request-option timeouts apply as in a pooled client (Spin's):
//! connect bounds a new connection's TCP connect; first byte runs from the request (taking a
//! pooled connection or opening one included) to the response head; between-bytes bounds each
//! wait for a body frame (the guest's idle timeout).

use std::collections::HashMap;
use std::error::Error as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// wasmtime-wasi-http's default for every timeout the guest leaves unset.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// How long an idle pooled connection is kept (hyper's default).
const POOL_IDLE: Duration = Duration::from_secs(90);

type Pool = Client<HttpConnector, WasiBody>;

/// One pool per connect timeout: the connect timeout is a property of the connector, so requests
/// asking for different ones cannot share a pool (the gateway always asks for the same one).
#[derive(Clone, Default)]
pub struct Outbound {
    pools: Arc<Mutex<HashMap<Duration, Pool>>>,
}

impl Outbound {
    fn pool(&self, connect_timeout: Duration) -> Pool {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        pools
            .entry(connect_timeout)
            .or_insert_with(|| {
                let mut connector = HttpConnector::new();
                connector.set_connect_timeout(Some(connect_timeout));
                Client::builder(TokioExecutor::new())
                    .pool_timer(TokioTimer::new())
                    .pool_idle_timeout(POOL_IDLE)
                    .build(connector)
            })
            .clone()
    }

    /// Send one guest request; plain `http` goes through the pool, `https` (never used by the
    /// tests, whose fakes listen on 127.0.0.1) falls back to wasmtime's unpooled sender.
    pub async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        if request.uri().scheme() != Some(&http::uri::Scheme::HTTP) {
            let (res, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            // `io` drives the connection that feeds the body: it must outlive this call.
            tokio::spawn(io);
            return Ok(res.map(BodyExt::boxed_unsync));
        }
        let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| {
            options.as_ref().and_then(pick).unwrap_or(DEFAULT_TIMEOUT)
        };
        let connect = timeout(|o| o.connect_timeout);
        let first_byte = timeout(|o| o.first_byte_timeout);
        // Tokio panics on a zero interval; wasmtime clamps the same way.
        let between_bytes = timeout(|o| o.between_bytes_timeout).max(Duration::from_nanos(1));

        let response = tokio::time::timeout(first_byte, self.pool(connect).request(request))
            .await
            .map_err(|_| Error::ConnectionReadTimeout)?
            .map_err(classify)?;
        let mut idle = tokio::time::interval(between_bytes);
        idle.reset();
        Ok(response.map(|incoming| IdleTimed { incoming, idle }.boxed_unsync()))
    }
}

/// The wasi-http error wasmtime's own sender would give for the same failure.
fn classify(err: hyper_util::client::legacy::Error) -> Error {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if err.is_connect() {
                // hyper-util's own connect timer is a TimedOut error with no OS code; an OS
                // ETIMEDOUT is a failed connect, as wasmtime's sender reports it.
                if io.kind() == std::io::ErrorKind::TimedOut && io.raw_os_error().is_none() {
                    return Error::ConnectionTimeout;
                }
                return Error::Connect(std::io::Error::new(io.kind(), io.to_string()));
            }
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_timeout() {
                return Error::HttpResponseTimeout;
            }
        }
        source = cause.source();
    }
    if err.is_connect() {
        return Error::ConnectionRefused;
    }
    Error::HttpProtocolError
}

/// A response body whose read fails after `idle` without a frame.
struct IdleTimed {
    incoming: hyper::body::Incoming,
    idle: tokio::time::Interval,
}

impl http_body::Body for IdleTimed {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.idle.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) if err.is_timeout() => {
                Poll::Ready(Some(Err(Error::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(Error::from(err)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                ready!(self.idle.poll_tick(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
