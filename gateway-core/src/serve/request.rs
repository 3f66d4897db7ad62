//! One request as the routes see it: its id, settings, logger and headers, and its body read
//! within a limit.

use super::host::{Host, LineOut, RequestBody};
use crate::config::Settings;
use crate::error::GatewayError;
use crate::log::{format_line, Field, LogFormat, LogLevel};
use crate::ports::Clock;

/// Everything a route needs about this request. Nothing in it is written by a route: what a
/// route learns, it returns.
pub struct Ctx<'a, H: Host> {
    /// The runtime.
    pub host: &'a H,
    /// The request's id (echoed, logged, forwarded).
    pub request_id: String,
    /// Settings, read as the route uses them.
    pub settings: Settings<'a>,
    /// Per-request logger.
    pub log: Logger<'a>,
    /// The request's headers.
    pub headers: RequestHeaders,
}

/// The request's headers, fetched from the host once.
pub struct RequestHeaders(pub Vec<(String, Vec<u8>)>);

impl RequestHeaders {
    /// Every header, as the client (and the host) sent them.
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

/// Read the request body, refusing (413) anything over `limit` without reading the rest, and
/// decode it as its `content-encoding` says (still within `limit`).
pub async fn read_body(
    headers: &RequestHeaders,
    body: &mut impl RequestBody,
    limit: usize,
) -> Result<Vec<u8>, GatewayError> {
    let declared = headers
        .first("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    let unreadable = || GatewayError::bad_request("request body could not be read");
    let mut out = Vec::with_capacity(declared.map_or(0, |n| usize::try_from(n).unwrap_or(0)));
    while let Some(chunk) = body.next_chunk().await.map_err(|_| unreadable())? {
        out.extend_from_slice(&chunk);
        if out.len() > limit {
            return Err(GatewayError::PayloadTooLarge { limit });
        }
    }
    let encodings: Vec<String> = headers
        .values("content-encoding")
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    let encoding = (!encodings.is_empty()).then(|| encodings.join(", "));
    crate::content_encoding::decode(encoding.as_deref(), out, limit)
}

/// A per-request logger: every line carries the request id.
pub struct Logger<'a> {
    level: LogLevel,
    format: LogFormat,
    request_id: String,
    out: &'a dyn LineOut,
    clock: &'a dyn Clock,
}

impl<'a> Logger<'a> {
    /// A logger for one request, writing through `host`.
    pub fn new<H: Host>(level: LogLevel, format: LogFormat, request_id: &str, host: &'a H) -> Self {
        Self {
            level,
            format,
            request_id: request_id.to_owned(),
            out: host,
            clock: host,
        }
    }

    /// Write one event line if `level` passes the filter.
    pub fn emit(&self, level: LogLevel, event: &str, fields: &[(&str, Field)]) {
        if level < self.level {
            return;
        }
        let line = format_line(
            self.format,
            self.clock.now_ms(),
            level,
            event,
            &self.request_id,
            fields,
        );
        self.out.write_line(&line);
    }

    /// A stream that failed after it started is answered with an error event, not an error
    /// status, so the request log line alone would show a 200: say what happened.
    pub fn stream_failed(&self, err: &GatewayError) {
        self.emit(LogLevel::Warn, "gateway.stream.failed", &err.log_fields());
    }

    /// A line about `err`, at error level when it is the gateway's own fault.
    pub fn error(&self, event: &str, err: &GatewayError) {
        let level = if err.is_internal() {
            LogLevel::Error
        } else {
            LogLevel::Warn
        };
        self.emit(level, event, &err.log_fields());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::Now;
    use crate::serve::testkit::ChunkedRequest;

    #[test]
    fn a_body_over_the_limit_is_413_declared_or_not() {
        let headers = |len: &str| RequestHeaders(vec![("content-length".into(), len.into())]);
        let mut two = ChunkedRequest::new(&[b"abc", b"def"]);
        assert_eq!(
            read_body(&headers("6"), &mut two, 6).now().unwrap(),
            b"abcdef"
        );
        let mut never_read = ChunkedRequest::new(&[b"abc"]);
        let err = read_body(&headers("7"), &mut never_read, 6)
            .now()
            .unwrap_err();
        assert_eq!(err.status(), 413);
        assert_eq!(never_read.reads(), 0, "refused on the declared length");
        let mut lying = ChunkedRequest::new(&[b"abcd", b"efgh"]);
        assert_eq!(
            read_body(&headers("2"), &mut lying, 6)
                .now()
                .unwrap_err()
                .status(),
            413
        );
        let mut broken = ChunkedRequest::failing();
        assert_eq!(
            read_body(&RequestHeaders(Vec::new()), &mut broken, 6)
                .now()
                .unwrap_err()
                .status(),
            400
        );
    }
}
