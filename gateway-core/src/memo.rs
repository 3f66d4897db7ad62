//! Store reads kept for a moment, for a host whose instance serves many requests.
//!
//! A WASIp3 instance on Spin 4 lives for up to 128 requests, and each store read is a host call
//! that pauses the instance's other requests. A request's reads of the token, the account index,
//! account state and the Lite model list go through [`Reads`]: within [`MAX_AGE_MS`] of the
//! last read (or write) in this instance, the value in hand serves. What that can make stale,
//! and for how long, is bounded here:
//! - a token: at most [`MAX_AGE_MS`], and its expiry is still checked against the refresh margin
//!   on every use; a 401 forgets it, and every refresh reads and writes the store itself;
//! - a cooldown or usage window another instance wrote: seen at most [`MAX_AGE_MS`] late;
//! - this instance's own writes are seen at once, and an operator's change of logins or
//!   accounts through this instance (`/admin/token`) clears the memo.
//!
//! A WASI 0.2 host starts every request in a fresh instance and has no [`Memo`]: every read goes
//! to the store. Nothing here is held across an await: each call borrows the map and returns.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::ports::{Clock, Kv, KvError};

/// How long a value read in this instance serves later requests, milliseconds: far below any
/// refresh margin, and short enough that an operator's change is seen within a second.
pub const MAX_AGE_MS: i64 = 1000;

/// The values one instance read, by key, with when.
#[derive(Debug, Default)]
pub struct Memo {
    entries: RefCell<HashMap<String, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Option<Vec<u8>>,
    at_ms: i64,
}

impl Memo {
    fn fresh(&self, key: &str, now_ms: i64) -> Option<Option<Vec<u8>>> {
        let entries = self.entries.try_borrow().ok()?;
        let entry = entries.get(key)?;
        // A clock that stepped back counts as stale too.
        (0..MAX_AGE_MS)
            .contains(&now_ms.saturating_sub(entry.at_ms))
            .then(|| entry.value.clone())
    }

    fn put(&self, key: &str, value: Option<Vec<u8>>, at_ms: i64) {
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            entries.insert(key.to_owned(), Entry { value, at_ms });
        }
    }

    fn forget(&self, key: &str) {
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            entries.remove(key);
        }
    }

    /// Forget everything: the operator changed logins or accounts through this instance.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            entries.clear();
        }
    }
}

/// One request's view of the store: reads served from the instance's [`Memo`] while fresh,
/// writes through to the store and remembered. Without a memo, the store itself.
/// The clock is read at each use: a request lives across awaits (a failover reads the next
/// account's token after an upstream round trip), and an entry's age is its age then.
pub struct Reads<'a> {
    store: &'a dyn Kv,
    memo: Option<&'a Memo>,
    clock: &'a dyn Clock,
}

impl<'a> Reads<'a> {
    /// Reads of `store`, kept in `memo` when the host has one, aged by `clock`.
    pub fn new(store: &'a dyn Kv, memo: Option<&'a Memo>, clock: &'a dyn Clock) -> Self {
        Self { store, memo, clock }
    }

    /// The store itself, for what must see every other instance's writes (the refresh lease).
    pub fn store(&self) -> &'a dyn Kv {
        self.store
    }

    /// Keep `value` as `key`'s, read or written by the store's own protocol just now.
    pub fn remember(&self, key: &str, value: Vec<u8>) {
        if let Some(memo) = self.memo {
            memo.put(key, Some(value), self.clock.now_ms());
        }
    }

    /// Read `key` from the store next time (its value was refused upstream).
    pub fn forget(&self, key: &str) {
        if let Some(memo) = self.memo {
            memo.forget(key);
        }
    }
}

impl Kv for Reads<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let Some(memo) = self.memo else {
            return self.store.get(key);
        };
        if let Some(value) = memo.fresh(key, self.clock.now_ms()) {
            return Ok(value);
        }
        let value = self.store.get(key)?;
        memo.put(key, value.clone(), self.clock.now_ms());
        Ok(value)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.store.set(key, value)?;
        self.remember(key, value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.store.delete(key)?;
        if let Some(memo) = self.memo {
            memo.put(key, None, self.clock.now_ms());
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        // A counter is always the store's: every instance adds to it.
        self.forget(key);
        self.store.increment(key, delta)
    }
}

#[cfg(test)]
mod tests;
