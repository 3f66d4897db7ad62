//! Small synchronous traits for the few things the core needs from a host.
//!
//! The component implements them with Spin's key-value store and WASI clocks; tests use the
//! in-memory fakes next to the code that needs them.

/// A key-value store failure (never a bug: the store was unreachable or refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KvError(pub String);

/// The key-value store as Spin offers it: plain get/set/delete plus atomic `increment`.
///
/// Compare-and-swap is deliberately absent: on Spin's SQLite store a swap on an absent key is an
/// unconditional upsert, and Redis may report an aborted swap as success. `increment` is atomic
/// on both, so coordination is built on it.
pub trait Kv {
    /// The value under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Store `value` under `key` (upsert).
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Remove `key`; absent keys are not an error.
    fn delete(&self, key: &str) -> Result<(), KvError>;
    /// Atomically add `delta` to the counter at `key` (absent = 0) and return the new value.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;
}

/// Wall-clock time and bounded waiting.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Block this request for `ms` milliseconds (other instances keep running).
    fn sleep_ms(&self, ms: u64);
}
