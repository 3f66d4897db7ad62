//! Spin 4 (WASIp3) as the core's [`Host`]. Sending upstream and reading bodies are awaited;
//! the store, the token refresh, clocks and randomness are short WASI 0.2 calls that finish
//! before the flow goes on (they pause this instance's other requests for that long), and the
//! instance keeps its recent store reads for a moment (`gateway_core::memo`).

use std::cell::OnceCell;
use std::rc::Rc;

use gateway_core::config::LookupError;
use gateway_core::error::GatewayError;
use gateway_core::memo::Memo;
use gateway_core::ports::KvError;
use gateway_core::serve::host::{Host, Outgoing, Received, Whole};

use crate::p2::{facts, kv::SpinKv};
use crate::settings::Settings;
use crate::upstream::{self, P3Body};

thread_local! {
    /// The store, opened once per instance: a bucket outlives the request that opened it.
    static STORE: OnceCell<SpinKv> = const { OnceCell::new() };
    /// The store reads this instance's requests share for a moment (`gateway_core::memo`).
    static MEMO: Rc<Memo> = Rc::new(Memo::default());
}

/// The Spin 4 runtime under one request.
pub struct Spin4 {
    settings: Result<Settings, LookupError>,
    memo: Rc<Memo>,
}

impl Spin4 {
    /// A request's view of the runtime, with this instance's settings.
    pub fn new(settings: Result<Settings, LookupError>) -> Self {
        Self {
            settings,
            memo: MEMO.with(Rc::clone),
        }
    }
}

log_and_clock!(Spin4);

impl Host for Spin4 {
    type Kv = SpinKv;
    type Body = P3Body;

    fn kv(&self) -> Result<SpinKv, KvError> {
        if let Some(store) = STORE.with(|cell| cell.get().cloned()) {
            return Ok(store);
        }
        // A failed open is not kept: the next request tries again.
        let store = SpinKv::open_default()?;
        Ok(STORE.with(|cell| cell.get_or_init(|| store).clone()))
    }

    async fn send(&self, req: &Outgoing<'_>) -> Result<Received<P3Body>, GatewayError> {
        upstream::send(req).await
    }

    fn send_whole(&self, req: &Outgoing<'_>, limit: usize) -> Result<Whole, GatewayError> {
        // Inside the refresh's lease, through WASI 0.2's HTTP, whose calls finish before they
        // return: the future is ready when polled.
        let received = crate::p2::upstream::send(req)?;
        gateway_core::ready::block_on(gateway_core::serve::upstream::read_whole(received, limit))
    }

    fn monotonic_ns(&self) -> u64 {
        facts::monotonic_ns()
    }

    fn random_16(&self) -> [u8; 16] {
        facts::random_16()
    }

    fn random_u64(&self) -> u64 {
        facts::random_u64()
    }

    fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        facts::read_file(path)
    }

    fn memo(&self) -> Option<&Memo> {
        Some(&self.memo)
    }

    fn variable(&self, name: &str) -> Result<Option<String>, LookupError> {
        let settings = self.settings.as_ref().map_err(|_| LookupError::Provider)?;
        Ok(settings.get(name).cloned().flatten())
    }
}
