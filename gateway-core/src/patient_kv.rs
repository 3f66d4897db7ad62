//! A store whose failed operations are tried again a few times, briefly. Spin's SQLite store
//! refuses an `increment` at once (SQLITE_BUSY, the transaction rolled back) when another
//! process writes the same file at that moment, so with several `spin up` processes on one
//! file a counter write can fail for no lasting reason. A rolled-back write counted nothing, so
//! trying it again counts it once. The waits grow from 2 ms and are spread at random so that
//! contending processes do not retry in step; about a quarter second in all.

use crate::ports::{Clock, Kv, KvError};

/// Tries after the first.
const RETRIES: u32 = 7;

/// A store that tries again.
pub struct PatientKv<'a, K: Kv, C: Clock> {
    kv: &'a K,
    clock: &'a C,
    spread: u64,
}

impl<'a, K: Kv, C: Clock> PatientKv<'a, K, C> {
    /// `kv`, waiting on `clock`; `seed` spreads the waits.
    pub fn new(kv: &'a K, clock: &'a C, seed: u64) -> Self {
        Self {
            kv,
            clock,
            spread: seed,
        }
    }

    fn tried<T>(&self, op: impl Fn(&K) -> Result<T, KvError>) -> Result<T, KvError> {
        let mut attempt = 0;
        loop {
            match op(self.kv) {
                Ok(value) => return Ok(value),
                Err(err) if attempt >= RETRIES => return Err(err),
                Err(_) => {
                    let base = 2u64 << attempt;
                    let jitter = (self.spread >> (attempt * 3)) % base.max(1);
                    self.clock.sleep_ms(base + jitter);
                    attempt += 1;
                }
            }
        }
    }
}

impl<K: Kv, C: Clock> Kv for PatientKv<'_, K, C> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.tried(|kv| kv.get(key))
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.tried(|kv| kv.set(key, value))
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.tried(|kv| kv.delete(key))
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.tried(|kv| kv.increment(key, delta))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::auth::mem_kv::MemKv;

    struct Waits(Cell<u64>);

    impl Clock for Waits {
        fn now_ms(&self) -> i64 {
            0
        }
        fn sleep_ms(&self, ms: u64) {
            self.0.set(self.0.get() + ms);
        }
    }

    /// Fails its first `n` operations.
    struct Flaky {
        kv: MemKv,
        failures: Cell<u32>,
    }

    impl Kv for Flaky {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
            self.kv.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
            self.kv.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), KvError> {
            self.kv.delete(key)
        }
        fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
            if self.failures.get() > 0 {
                self.failures.set(self.failures.get() - 1);
                return Err(KvError("database is locked".into()));
            }
            self.kv.increment(key, delta)
        }
    }

    #[test]
    fn a_busy_store_is_tried_again_briefly_and_counts_once() {
        let flaky = Flaky {
            kv: MemKv::new(),
            failures: Cell::new(3),
        };
        let waits = Waits(Cell::new(0));
        let patient = PatientKv::new(&flaky, &waits, 12345);
        assert_eq!(patient.increment("n", 1), Ok(1));
        assert!((14..=28).contains(&waits.0.get()), "{}", waits.0.get());

        flaky.failures.set(100);
        waits.0.set(0);
        assert!(patient.increment("n", 1).is_err());
        assert!(
            waits.0.get() < 600,
            "gives up within a moment: {}",
            waits.0.get()
        );
        assert_eq!(flaky.kv.increment("n", 0), Ok(1));
    }
}
