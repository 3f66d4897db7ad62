//! Upstream calls: sent through the host, timed, and reported with the headers the client may
//! see; one renewal and retry on 401; a refusal read and mapped to the client's envelope.

use super::host::{Host, Outgoing, Received, UpstreamBody, Whole};
use super::responder::Headers;
use crate::error::GatewayError;
use crate::headers::relay_response_header;

/// What an upstream answer told us, for the access log and every answer to this request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamMeta {
    /// HTTP status.
    pub status: u16,
    /// Time to the response head, milliseconds (a `u32` keeps an error result small).
    pub ms: u32,
    /// Headers worth relaying to the client (rate limits, model hints).
    pub relayed: Headers,
    /// The account that answered, when several are configured.
    pub account: Option<String>,
    /// The tokens the backend reported, once the answer was read (boxed: an error result
    /// carries this struct, and stays small).
    pub tokens: Option<Box<crate::usage::Tokens>>,
}

/// An upstream response whose body is read as it arrives.
pub struct Upstream<B> {
    /// Response headers.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, unread.
    pub body: B,
    /// Status, time and relayable headers.
    pub meta: UpstreamMeta,
}

impl<B: UpstreamBody> Upstream<B> {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        self.meta.status
    }

    /// First value of a header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The whole body, refusing more than `limit` bytes (error bodies, catalogs, tokens).
    pub async fn read_all(&mut self, limit: usize) -> Result<Vec<u8>, GatewayError> {
        read_body(&mut self.body, limit).await
    }
}

/// Send `req` and wait for the head, timing it.
pub async fn send<H: Host>(
    host: &H,
    req: &Outgoing<'_>,
) -> Result<Upstream<H::Body>, GatewayError> {
    let started = host.monotonic_ns();
    let received = host.send(req).await?;
    let ms = host.monotonic_ns().saturating_sub(started) / 1_000_000;
    let ms = u32::try_from(ms).unwrap_or(u32::MAX);
    let relayed = relayed_headers(&received.headers);
    Ok(Upstream {
        headers: received.headers,
        body: received.body,
        meta: UpstreamMeta {
            status: received.status,
            ms,
            relayed,
            account: None,
            tokens: None,
        },
    })
}

/// Send `req` and read the whole answer, at most `limit` bytes: what a host whose calls block
/// gives as [`Host::send_whole`].
pub async fn send_whole<H: Host>(
    host: &H,
    req: &Outgoing<'_>,
    limit: usize,
) -> Result<Whole, GatewayError> {
    read_whole(host.send(req).await?, limit).await
}

/// The whole of a received answer, refusing more than `limit` bytes of body.
pub async fn read_whole<B: UpstreamBody>(
    received: Received<B>,
    limit: usize,
) -> Result<Whole, GatewayError> {
    let mut body = received.body;
    Ok(Whole {
        status: received.status,
        body: read_body(&mut body, limit).await?,
        headers: received.headers,
    })
}

async fn read_body<B: UpstreamBody>(body: &mut B, limit: usize) -> Result<Vec<u8>, GatewayError> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next_chunk().await? {
        out.extend_from_slice(&chunk);
        if out.len() > limit {
            return Err(GatewayError::upstream_error("upstream body too large"));
        }
    }
    Ok(out)
}

/// Upstream headers worth relaying to the client (rate limits, model etag); the content type
/// is each route's own.
pub fn relayed_headers(headers: &[(String, Vec<u8>)]) -> Headers {
    headers
        .iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("content-type") && relay_response_header(name)
        })
        .filter_map(|(name, value)| {
            Some((
                name.to_ascii_lowercase(),
                String::from_utf8(value.clone()).ok()?,
            ))
        })
        .collect()
}

/// Send with `credential`; on a 401, once more with the replacement `renew` gives (`None`: a
/// credential that cannot be renewed, and the 401 stands). A renewal or a retry that fails
/// keeps what the 401 said, for the access log and the error answer.
pub async fn with_renewal<C, B: UpstreamBody>(
    credential: C,
    send: impl AsyncFn(&C) -> Result<Upstream<B>, GatewayError>,
    renew: impl FnOnce(&C) -> Result<Option<C>, GatewayError>,
) -> Result<Upstream<B>, Failed> {
    let first = send(&credential).await?;
    if first.status() != 401 {
        return Ok(first);
    }
    let meta = first.meta.clone();
    match renew(&credential) {
        Ok(Some(fresh)) => {
            drop(first);
            send(&fresh).await.map_err(|err| Failed::after(err, &meta))
        }
        Ok(None) => Ok(first),
        Err(err) => Err(Failed::after(err, &meta)),
    }
}

/// Why a route failed, with what the upstream said if it was called.
#[derive(Debug)]
pub struct Failed {
    /// The error the client sees.
    pub err: GatewayError,
    /// The upstream answer, if there was one.
    pub upstream: Option<UpstreamMeta>,
}

impl From<GatewayError> for Failed {
    fn from(err: GatewayError) -> Self {
        Self {
            err,
            upstream: None,
        }
    }
}

impl From<crate::ports::KvError> for Failed {
    fn from(err: crate::ports::KvError) -> Self {
        GatewayError::from(err).into()
    }
}

impl Failed {
    /// `err`, after the upstream answered with `meta`.
    pub fn after(err: GatewayError, meta: &UpstreamMeta) -> Self {
        Self {
            err,
            upstream: Some(meta.clone()),
        }
    }
}

/// What a route returns: the upstream answer it used, if any, or why it failed.
pub type Handled = Result<Option<UpstreamMeta>, Failed>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::Now;
    use crate::serve::testkit::{body, upstream};
    use std::cell::Cell;

    #[test]
    fn a_401_is_retried_once_with_the_renewed_credential() {
        let sent = Cell::new(Vec::new());
        let send = async |c: &&str| {
            let mut seen = sent.take();
            seen.push(c.to_string());
            sent.set(seen);
            Ok(upstream(if *c == "old" { 401 } else { 200 }, body(&[])))
        };
        let done = with_renewal("old", send, |_| Ok(Some("new")))
            .now()
            .unwrap();
        assert_eq!(done.status(), 200);
        assert_eq!(sent.take(), ["old", "new"]);

        let kept = with_renewal(
            "static",
            async |_| Ok(upstream(401, body(&[]))),
            |_| Ok(None),
        )
        .now()
        .unwrap();
        assert_eq!(kept.status(), 401, "a credential that cannot be renewed");

        let calls = Cell::new(0);
        let again = with_renewal(
            "old",
            async |_| {
                calls.set(calls.get() + 1);
                Ok(upstream(401, body(&[])))
            },
            |_| Ok(Some("new")),
        )
        .now()
        .unwrap();
        assert_eq!((again.status(), calls.get()), (401, 2), "one retry only");

        let failed = with_renewal(
            "old",
            async |_| Ok(upstream(401, body(&[]))),
            |_| Err(GatewayError::oauth_unavailable("login again")),
        )
        .now()
        .err()
        .unwrap();
        assert_eq!(failed.err.code(), "oauth_unavailable");
        assert_eq!(
            failed.upstream.map(|m| m.status),
            Some(401),
            "the 401 is kept"
        );
    }

    #[test]
    fn only_relayable_headers_are_kept() {
        let headers = [
            ("X-Codex-Primary-Used-Percent", "12"),
            ("content-type", "text/event-stream"),
            ("set-cookie", "a=b"),
            ("retry-after", "7"),
        ]
        .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()));
        assert_eq!(
            relayed_headers(&headers),
            [
                ("x-codex-primary-used-percent".to_owned(), "12".to_owned()),
                ("retry-after".to_owned(), "7".to_owned()),
            ]
        );
    }
}
