//! Answering the client exactly once, in as few TCP writes as possible.
//!
//! Spin serves without `TCP_NODELAY`: a second small write behind unacknowledged data waits for
//! the client's delayed ACK (40 ms on Linux). So a complete answer carries `content-length` and
//! leaves with its head, a stream's first bytes leave with the head, and a stream's last bytes
//! leave with the end of the body.

use super::host::Reply;
use crate::error::GatewayError;

/// Header naming the client parameters that had no effect upstream.
pub const IGNORED_PARAMS_HEADER: &str = "x-codex-gateway-ignored-params";

/// A header list as the routes build it.
pub type Headers = Vec<(String, String)>;

/// Whose error shape the answer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// `{"error":{"message","type","param","code"}}`.
    #[default]
    OpenAi,
    /// `{"type":"error","error":{"type","message"}}` (the Anthropic routes).
    Anthropic,
}

/// Answers the client exactly once; remembers the status for the access log.
pub struct Responder<R: Reply> {
    /// The error shape of this route.
    pub dialect: Dialect,
    reply: Option<R>,
    request_id: String,
    /// Status sent (0 while unanswered).
    pub status: u16,
    /// Headers every answer to this request carries (ignored params, relayed rate limits).
    pub extra: Headers,
    /// Keep the owner's upstream to the owner: no relayed `x-codex-*` header (the account's
    /// quota windows, the account that served) reaches a client-key holder.
    pub private_upstream: bool,
}

impl<R: Reply> Responder<R> {
    /// Answer through `reply`. A `HEAD` answer is written like a `GET` one: the host's HTTP
    /// server sends its head (with the `content-length`) and drops the body.
    pub fn new(reply: R, request_id: String) -> Self {
        Self {
            dialect: Dialect::OpenAi,
            reply: Some(reply),
            request_id,
            status: 0,
            extra: Vec::new(),
            private_upstream: false,
        }
    }

    /// Report client parameters that had no effect, on every answer to this request.
    pub fn report_ignored(&mut self, ignored: &[String]) {
        if !ignored.is_empty() {
            self.extra
                .push((IGNORED_PARAMS_HEADER.into(), ignored.join(", ")));
        }
    }

    /// Whether a response was already started.
    pub fn answered(&self) -> bool {
        self.reply.is_none()
    }

    /// A complete response: `content-length`, head and body handed over together.
    pub async fn full(&mut self, status: u16, headers: &[(String, String)], body: &[u8]) {
        self.open(status, headers, Some(body.len() as u64), body, true)
            .await;
    }

    /// An error envelope, with `Retry-After`/`Allow`/`WWW-Authenticate` as the error needs.
    pub async fn error(&mut self, err: &GatewayError) {
        let mut headers = vec![json_header()];
        if let Some(secs) = err.retry_after() {
            // Ours is computed from the failure itself; an upstream copy would contradict it.
            self.extra
                .retain(|(name, _)| !name.eq_ignore_ascii_case("retry-after"));
            headers.push(("retry-after".into(), secs.to_string()));
        }
        match err {
            GatewayError::MethodNotAllowed { allow } => {
                headers.push(("allow".into(), (*allow).into()));
            }
            GatewayError::Unauthorized(_) => {
                headers.push(("www-authenticate".into(), "Bearer".into()));
            }
            _ => {}
        }
        let body = match self.dialect {
            Dialect::OpenAi => err.envelope_json(),
            Dialect::Anthropic => crate::anthropic::error::envelope_json(err),
        };
        self.full(err.status(), &headers, &body).await;
    }

    /// A stream whose every byte is known before anything left: head, body and end at once.
    pub async fn whole_stream(&mut self, status: u16, headers: &[(String, String)], body: &[u8]) {
        self.open(status, headers, None, body, true).await;
    }

    /// A relayed body that ended before anything left: head, body and end at once, with the
    /// upstream's `length` when it gave one.
    pub async fn relay_whole(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        length: Option<u64>,
        body: &[u8],
    ) {
        self.open(status, headers, length, body, true).await;
    }

    /// Start a body of `length` bytes (unknown: `None`) whose first bytes leave with the head.
    pub async fn relay(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        length: Option<u64>,
        first: &[u8],
    ) -> Option<R::Body> {
        self.open(status, headers, length, first, false).await
    }

    async fn open(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        length: Option<u64>,
        first: &[u8],
        whole: bool,
    ) -> Option<R::Body> {
        let mut reply = self.reply.take()?;
        let length = length.map(|n| n.to_string());
        let own = [("x-request-id", Some(self.request_id.as_str()))]
            .into_iter()
            .chain([("content-length", length.as_deref())])
            .filter_map(|(n, v)| Some((n, v?.as_bytes())));
        let private = self.private_upstream;
        let all: Vec<(&str, &[u8])> = headers
            .iter()
            .chain(&self.extra)
            .filter(|(n, _)| !(private && is_upstream_private(n)))
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .chain(own)
            .collect();
        self.status = status;
        reply.open(status, &all, first, whole).await
    }
}

/// A relayed header about the owner's accounts (`x-codex-*`, and the gateway's own account
/// header), as opposed to one about the request (`x-codex-gateway-ignored-params`).
fn is_upstream_private(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("x-codex-") && name != IGNORED_PARAMS_HEADER
}

/// `content-type: application/json`.
pub fn json_header() -> (String, String) {
    ("content-type".into(), "application/json".into())
}

/// Headers of an SSE answer.
pub fn sse_headers() -> [(String, String); 2] {
    [
        ("content-type".into(), "text/event-stream".into()),
        ("cache-control".into(), "no-cache".into()),
    ]
}

#[cfg(test)]
mod tests {
    use crate::ready::Now;
    use std::cell::RefCell;

    use super::*;
    use crate::serve::testkit::{RecordingReply, Sent};

    #[test]
    fn a_complete_answer_is_one_write_with_its_length_and_id() {
        let sent = RefCell::new(Sent::default());
        let mut out = Responder::new(RecordingReply(&sent), "req-1".into());
        out.extra.push(("x-extra".into(), "1".into()));
        out.full(200, &[json_header()], b"{}\n").now();
        out.full(500, &[], b"second answer").now();
        assert_eq!(out.status, 200, "answered once");
        drop(out);
        let sent = sent.into_inner();
        assert_eq!(sent.writes, [b"{}\n".to_vec()]);
        assert_eq!(sent.ended, Some(true));
        assert_eq!(sent.header("content-length"), Some("3"));
        assert_eq!(sent.header("x-request-id"), Some("req-1"));
        assert_eq!(sent.header("x-extra"), Some("1"));
    }

    #[test]
    fn error_answers_carry_the_headers_their_status_needs() {
        let answer = |err: GatewayError, extra: &[(&str, &str)]| {
            let sent = RefCell::new(Sent::default());
            let mut out = Responder::new(RecordingReply(&sent), "r".into());
            out.extra = extra
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            out.error(&err).now();
            drop(out);
            sent.into_inner()
        };
        let allow = answer(GatewayError::MethodNotAllowed { allow: "GET" }, &[]);
        assert_eq!(allow.head.as_ref().map(|h| h.0), Some(405));
        assert_eq!(allow.header("allow"), Some("GET"));
        let key = answer(GatewayError::Unauthorized("no".into()), &[]);
        assert_eq!(key.header("www-authenticate"), Some("Bearer"));
        let retry = answer(
            GatewayError::oauth_refresh_failed("later", Some(9)),
            &[
                ("retry-after", "300"),
                ("x-codex-primary-used-percent", "99"),
            ],
        );
        assert_eq!(
            retry.header("retry-after"),
            Some("9"),
            "ours, not upstream's"
        );
        assert_eq!(retry.header("x-codex-primary-used-percent"), Some("99"));
        let count = retry
            .head
            .iter()
            .flat_map(|h| &h.1)
            .filter(|(n, _)| n == "retry-after");
        assert_eq!(count.count(), 1);
    }

    #[test]
    fn a_client_key_holder_sees_nothing_of_the_owners_accounts() {
        let sent = RefCell::new(Sent::default());
        let mut out = Responder::new(RecordingReply(&sent), "r".into());
        out.private_upstream = true;
        out.report_ignored(&["temperature".into()]);
        out.extra
            .push(("x-codex-primary-used-percent".into(), "99".into()));
        out.extra
            .push(("x-codex-gateway-account".into(), "work".into()));
        out.extra.push(("retry-after".into(), "5".into()));
        out.full(200, &[json_header()], b"{}").now();
        drop(out);
        let sent = sent.into_inner();
        assert_eq!(sent.header("x-codex-primary-used-percent"), None);
        assert_eq!(sent.header("x-codex-gateway-account"), None);
        assert_eq!(sent.header(IGNORED_PARAMS_HEADER), Some("temperature"));
        assert_eq!(sent.header("retry-after"), Some("5"));
    }
}
