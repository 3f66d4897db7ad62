//! Spin as the core's [`Host`]: the only code that touches the runtime.

#[macro_use]
mod facts;
#[macro_use]
mod fields;
pub mod downstream;
mod keyvalue;
pub mod kv;
mod streams;
#[macro_use]
pub mod upstream;

use gateway_core::config::LookupError;
use gateway_core::error::GatewayError;
use gateway_core::ports::KvError;
use gateway_core::serve::host::{Host, Outgoing, Received, Whole};

/// The Spin runtime serving this request.
#[derive(Default)]
pub struct Spin {
    /// The store, once opened: on Spin each open is a blocking host call.
    store: std::cell::OnceCell<Result<kv::SpinKv, KvError>>,
}

log_and_clock!(Spin);

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
