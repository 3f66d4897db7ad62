//! Spin as the core's [`Host`]: the only code that touches the runtime.

#[macro_use]
mod fields;
pub mod downstream;
pub mod kv;
mod streams;
pub mod upstream;

use std::io::Write;

use gateway_core::config::LookupError;
use gateway_core::error::GatewayError;
use gateway_core::ports::{Clock, KvError};
use gateway_core::serve::host::{Host, LineOut, Outgoing, Received, Whole};
use wasi::clocks::{monotonic_clock, wall_clock};

/// The Spin runtime serving this request.
#[derive(Default)]
pub struct Spin {
    /// The store, once opened: on Spin each open is a blocking host call.
    store: std::cell::OnceCell<Result<kv::SpinKv, KvError>>,
}

impl LineOut for Spin {
    fn write_line(&self, line: &str) {
        // Spin captures stdout into the log. One write per line: stdout is line-buffered, so
        // the newline hands it to the host, and an explicit flush would be another host call.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

impl Clock for Spin {
    fn now_ms(&self) -> i64 {
        let now = wall_clock::now();
        i64::try_from(now.seconds)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000)
            .saturating_add(i64::from(now.nanoseconds / 1_000_000))
    }

    fn sleep_ms(&self, ms: u64) {
        monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }
}

impl Host for Spin {
    type Kv = kv::SpinKv;
    type Body = upstream::WasiBody;

    fn kv(&self) -> Result<kv::SpinKv, KvError> {
        self.store.get_or_init(kv::SpinKv::open_default).clone()
    }

    async fn send(&self, req: &Outgoing<'_>) -> Result<Received<upstream::WasiBody>, GatewayError> {
        upstream::send(req)
    }

    fn send_whole(&self, req: &Outgoing<'_>, limit: usize) -> Result<Whole, GatewayError> {
        // Every call on this host blocks until done: the future is ready when polled.
        gateway_core::ready::block_on(gateway_core::serve::upstream::send_whole(self, req, limit))
    }

    fn monotonic_ns(&self) -> u64 {
        monotonic_clock::now()
    }

    fn random_16(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        let random = wasi::random::random::get_random_bytes(16);
        for (dst, src) in out.iter_mut().zip(random) {
            *dst = src;
        }
        out
    }

    fn random_u64(&self) -> u64 {
        wasi::random::random::get_random_u64()
    }

    fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(path).ok()
    }

    fn variable(&self, name: &str) -> Result<Option<String>, LookupError> {
        use spin_sdk::variables::Error;
        match spin_sdk::variables::get(name) {
            Ok(value) => Ok(Some(value)),
            Err(Error::Undefined(_)) => Ok(None),
            Err(Error::InvalidName(_) | Error::Provider(_) | Error::Other(_)) => {
                Err(LookupError::Provider)
            }
        }
    }
}
