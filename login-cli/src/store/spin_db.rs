//! Spin's SQLite key-value file behind the core's `Kv` port, so login-cli keeps the account
//! index and each account's state with the very functions the gateway runs
//! (`accounts::index`, `accounts::state`) instead of a second copy of their rules.

use std::cell::RefCell;
use std::path::Path;

use anyhow::Context as _;
use gateway_core::ports::{Kv, KvError};
use kv_sqlite::{SqliteKv, DEFAULT_STORE};

/// The `default` store of one SQLite file.
pub struct SpinDb {
    // `SqliteKv::increment` needs `&mut` for its transaction while the port takes `&self`; a
    // `RefCell` bridges the two in this single-threaded use.
    kv: RefCell<SqliteKv>,
}

impl SpinDb {
    /// Open (creating the file and table if needed, as Spin does) the store in `path`.
    pub fn open(path: &Path) -> anyhow::Result<SpinDb> {
        let kv = SqliteKv::open(path, DEFAULT_STORE)
            .with_context(|| format!("open the Spin key-value store {}", path.display()))?;
        Ok(SpinDb {
            kv: RefCell::new(kv),
        })
    }

    fn with<T>(
        &self,
        op: impl FnOnce(&SqliteKv) -> Result<T, kv_sqlite::KvError>,
    ) -> Result<T, KvError> {
        let kv = self.kv.try_borrow().map_err(|e| KvError(e.to_string()))?;
        op(&kv).map_err(|e| KvError(e.to_string()))
    }
}

impl Kv for SpinDb {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(|kv| kv.get(key))
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(|kv| kv.set(key, value))
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.with(|kv| kv.delete(key))
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut kv = self
            .kv
            .try_borrow_mut()
            .map_err(|e| KvError(e.to_string()))?;
        kv.increment(key, delta).map_err(|e| KvError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_reads_and_writes_the_spin_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".spin/sqlite_key_value.db");
        let db = SpinDb::open(&path).unwrap();
        db.set("k", b"v").unwrap();
        assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(db.increment("n", 2).unwrap(), 2);
        assert_eq!(db.increment("n", 3).unwrap(), 5);
        db.delete("k").unwrap();
        assert_eq!(db.get("k").unwrap(), None);
        let raw = SqliteKv::open(&path, DEFAULT_STORE).unwrap();
        assert_eq!(raw.get("n").unwrap(), Some(5_i64.to_le_bytes().to_vec()));
    }
}
