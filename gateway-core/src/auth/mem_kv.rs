//! `MemKv`: an in-memory [`Kv`] with Spin's quirks, for tests of anything built on the store.
//!
//! Like Spin's stores: an absent counter starts at 0, counters are stored as 8 little-endian
//! bytes, `set` is an upsert and deleting an absent key is fine. It also counts operations (so a
//! test can assert "the hot path does not write") and can be told to fail. It never interprets
//! or prints the values it holds.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::ports::{Kv, KvError};

/// How many operations of each kind a [`MemKv`] has served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// `get` calls.
    pub gets: usize,
    /// `set` calls.
    pub sets: usize,
    /// `delete` calls.
    pub deletes: usize,
    /// `increment` calls.
    pub increments: usize,
}

impl OpCounts {
    /// Calls that change the store.
    pub fn writes(&self) -> usize {
        self.sets + self.deletes + self.increments
    }
}

/// A thread-safe in-memory key-value store (share it between threads with `Arc`).
#[derive(Debug, Default)]
pub struct MemKv {
    map: Mutex<BTreeMap<String, Vec<u8>>>,
    gets: AtomicUsize,
    sets: AtomicUsize,
    deletes: AtomicUsize,
    increments: AtomicUsize,
    failing: AtomicBool,
}

impl MemKv {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Operation counts so far.
    pub fn op_counts(&self) -> OpCounts {
        OpCounts {
            gets: self.gets.load(Ordering::SeqCst),
            sets: self.sets.load(Ordering::SeqCst),
            deletes: self.deletes.load(Ordering::SeqCst),
            increments: self.increments.load(Ordering::SeqCst),
        }
    }

    /// Make every later operation fail (`true`) or succeed again (`false`).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// All keys currently present, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check(&self, counter: &AtomicUsize) -> Result<(), KvError> {
        counter.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            Err(KvError("store unavailable (MemKv told to fail)".into()))
        } else {
            Ok(())
        }
    }
}

impl Kv for MemKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.check(&self.gets)?;
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.check(&self.sets)?;
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.check(&self.deletes)?;
        self.lock().remove(key);
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.check(&self.increments)?;
        let mut map = self.lock();
        let current = match map.get(key) {
            None => 0,
            Some(bytes) => {
                let raw: [u8; 8] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| KvError(format!("value of {key} is not a counter")))?;
                i64::from_le_bytes(raw)
            }
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| KvError(format!("counter {key} overflows")))?;
        map.insert(key.to_owned(), next.to_le_bytes().to_vec());
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_zero_and_are_8_le_bytes() {
        let kv = MemKv::new();
        assert_eq!(kv.increment("c", 1).unwrap(), 1);
        assert_eq!(kv.increment("c", 2).unwrap(), 3);
        assert_eq!(kv.get("c").unwrap(), Some(3i64.to_le_bytes().to_vec()));
        kv.set("t", b"text").unwrap();
        assert!(kv.increment("t", 1).is_err());
        kv.delete("c").unwrap();
        kv.delete("absent").unwrap();
        assert_eq!(kv.increment("c", 1).unwrap(), 1);
        assert_eq!(kv.op_counts().writes(), 7);
    }

    #[test]
    fn failing_store_fails_every_call() {
        let kv = MemKv::new();
        kv.set_failing(true);
        assert!(kv.get("k").is_err());
        assert!(kv.set("k", b"v").is_err());
        kv.set_failing(false);
        assert_eq!(kv.get("k").unwrap(), None);
    }
}
