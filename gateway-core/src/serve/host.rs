//! What the request flow needs from the runtime, beyond the store and the clock of
//! [`crate::ports`]: outgoing HTTP, the request body, the answer, and a few host facts. The Spin
//! component implements these over WASI; the tests here implement them in memory.
//!
//! What may wait on the network is `async`: a WASI 0.3 host runs several requests in one
//! instance and switches between them there. The store, the clock and the settings stay
//! synchronous (short host calls; see `docs/en/performance.md` for what that costs a WASI 0.3
//! instance). A WASI 0.2 host's futures are ready when first polled: it drives them with
//! [`crate::ready::block_on`].

use crate::config::LookupError;
use crate::error::GatewayError;
use crate::ports::{Clock, Kv, KvError};

/// The methods the gateway sends upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// One outgoing request.
pub struct Outgoing<'a> {
    /// `GET` or `POST`.
    pub method: Method,
    /// Absolute URL.
    pub url: &'a str,
    /// Header pairs (the host adds `content-length` for a body).
    pub headers: &'a [(&'a str, String)],
    /// Request body, if any.
    pub body: Option<&'a [u8]>,
    /// Idle timeout (also the first-byte timeout), seconds.
    pub idle_secs: u64,
}

/// An upstream body, read as it arrives.
#[allow(
    async_fn_in_trait,
    reason = "single-threaded hosts: no Send bound is wanted"
)]
pub trait UpstreamBody {
    /// The next piece of body as soon as the upstream sends it; `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, GatewayError>;
    /// The next piece if it has arrived already, or arrives within a moment (the rest of a
    /// burst the host is still handing over; the host bounds the wait well below the spacing
    /// of model tokens): `None` when nothing is there yet (or at the end, which the next
    /// [`Self::next_chunk`] reports).
    async fn chunk_if_ready(&mut self) -> Result<Option<Vec<u8>>, GatewayError>;
    /// Whether the end of the body has been seen: the next [`Self::next_chunk`] returns `None`
    /// without waiting, so what is in hand can leave with the end of the answer.
    fn ended(&self) -> bool;
}

/// The response head and unread body that a host's `send` returns.
pub struct Received<B> {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, unread.
    pub body: B,
}

/// A complete upstream answer, read by [`Host::send_whole`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whole {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Writes one line of the log where the runtime collects it.
pub trait LineOut {
    /// Write `line` (no newline) as one line.
    fn write_line(&self, line: &str);
}

/// The runtime under one request.
#[allow(
    async_fn_in_trait,
    reason = "single-threaded hosts: no Send bound is wanted"
)]
pub trait Host: Clock + LineOut {
    /// The key-value store.
    type Kv: Kv;
    /// An upstream response body.
    type Body: UpstreamBody;
    /// Open the `default` store.
    fn kv(&self) -> Result<Self::Kv, KvError>;
    /// Send a request and wait for the response head.
    async fn send(&self, req: &Outgoing<'_>) -> Result<Received<Self::Body>, GatewayError>;
    /// Send a request and read its whole answer (at most `limit` bytes) without yielding: the
    /// token refresh runs inside the synchronous lease protocol of [`crate::auth::refresh`].
    fn send_whole(&self, req: &Outgoing<'_>, limit: usize) -> Result<Whole, GatewayError>;
    /// Monotonic nanoseconds, for durations.
    fn monotonic_ns(&self) -> u64;
    /// 16 bytes from a secure random source.
    fn random_16(&self) -> [u8; 16];
    /// A random `u64` (lease nonces).
    fn random_u64(&self) -> u64;
    /// A file of the component's mounted files, if it can be read.
    fn read_file(&self, path: &str) -> Option<Vec<u8>>;
    /// What this instance read from the store lately, when it serves many requests
    /// ([`crate::memo`]); `None`, every read goes to the store.
    fn memo(&self) -> Option<&crate::memo::Memo> {
        None
    }
    /// A setting: `None` only when it is not defined; a failing provider is an error, never
    /// "unset" (a fallback credential or default must not stand in for a value that exists).
    fn variable(&self, name: &str) -> Result<Option<String>, LookupError>;
}

/// The request body, read by the host in pieces.
#[allow(
    async_fn_in_trait,
    reason = "single-threaded hosts: no Send bound is wanted"
)]
pub trait RequestBody {
    /// The next piece; `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Unreadable>;
}

/// The request body could not be read (the client broke off, or the host refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// The client went away; stop producing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientGone;

/// The host's answer to the client, started once.
#[allow(
    async_fn_in_trait,
    reason = "single-threaded hosts: no Send bound is wanted"
)]
pub trait Reply {
    /// A body being written.
    type Body: BodyOut;
    /// Send the head with `first` as the start of the body, or as all of it when `whole`
    /// (then `None`). Returns `None` too when the client can no longer be written to.
    async fn open(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        first: &[u8],
        whole: bool,
    ) -> Option<Self::Body>;
}

/// A response body on its way to the client.
#[allow(
    async_fn_in_trait,
    reason = "single-threaded hosts: no Send bound is wanted"
)]
pub trait BodyOut {
    /// Hand `bytes` to the client now.
    async fn write(&mut self, bytes: &[u8]) -> Result<(), ClientGone>;
    /// Write the last bytes and end the body at once, so both can leave in one write.
    async fn finish_with(self, last: &[u8]);
    /// End the body as failed: the client sees a cut connection, never a clean end.
    async fn abort(self);
}
