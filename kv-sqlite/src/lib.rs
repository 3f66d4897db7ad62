//! Spin's SQLite key-value store, reproduced: same file, same table, same quirks.
//!
//! `spin up` keeps the default store in `<app dir>/.spin/sqlite_key_value.db`, table
//! `spin_key_value(store, key, value BLOB)`. login-cli writes the token record here and the test
//! host serves the component's `wasi:keyvalue` calls from it, so both behave exactly as they would
//! beside a real Spin. Quirks kept on purpose (tests must see them):
//! - values are BLOBs (a TEXT value makes Spin's `get` fail);
//! - `increment` stores the counter as 8 little-endian bytes and is atomic;
//! - a compare-and-swap whose `current()` saw no value is an unconditional upsert.
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// The store name Spin uses for `key_value_stores = ["default"]`.
pub const DEFAULT_STORE: &str = "default";

/// Where `spin up` keeps the default store, relative to the directory holding `spin.toml`.
pub const SPIN_DEFAULT_DB: &str = ".spin/sqlite_key_value.db";

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The stored counter is not 8 bytes.
    #[error("value under {0:?} is not an 8-byte counter")]
    NotACounter(String),
    /// A compare-and-swap found a different value than it read.
    #[error("compare-and-swap failed: value changed")]
    CasFailed,
}

/// One store (`store` column) in one SQLite file.
pub struct SqliteKv {
    conn: Connection,
    store: String,
}

impl SqliteKv {
    /// Open (creating if needed) the database file and the table, as Spin does.
    pub fn open(path: &Path, store: &str) -> Result<Self, KvError> {
        if let Some(dir) = path.parent() {
            // Spin creates `.spin/` itself; do the same so login-cli works before the first `spin up`.
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path)?;
        // Several processes (Spin, login-cli, two test hosts) share the file.
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            );",
        )?;
        Ok(Self {
            conn,
            store: store.to_owned(),
        })
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        // Cached statements, as Spin's store keeps them: a read is then one B-tree lookup.
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
            .query_row(params![self.store, key], |row| row.get::<_, Vec<u8>>(0))
            .optional()?)
    }

    /// Upsert `value` (always as a BLOB).
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.conn
            .prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![self.store, key, value])?;
        Ok(())
    }

    /// Remove `key` (absent is fine).
    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        self.conn.execute(
            "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
            params![self.store, key],
        )?;
        Ok(())
    }

    /// Whether `key` exists.
    pub fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.get(key)?.is_some())
    }

    /// All keys of this store, sorted.
    pub fn keys(&self) -> Result<Vec<String>, KvError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?;
        let keys = stmt
            .query_map(params![self.store], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    }

    /// Atomic add on an 8-byte little-endian counter (absent = 0), as Spin's SQLite store does.
    pub fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<Vec<u8>> = tx
            .query_row(
                "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                params![self.store, key],
                |row| row.get(0),
            )
            .optional()?;
        let value = match current {
            None => 0,
            Some(bytes) => {
                let arr: [u8; 8] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| KvError::NotACounter(key.to_owned()))?;
                i64::from_le_bytes(arr)
            }
        };
        let new = value.wrapping_add(delta);
        tx.execute(
            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            params![self.store, key, new.to_le_bytes().to_vec()],
        )?;
        tx.commit()?;
        Ok(new)
    }

    /// Compare-and-swap as Spin's SQLite store implements it: `current` is what the guest's
    /// `cas.current()` saw. When it saw a value, the swap only happens if the row still holds
    /// it. When it saw nothing, the swap is an unconditional upsert (Spin's quirk).
    pub fn swap(&mut self, key: &str, current: Option<&[u8]>, value: &[u8]) -> Result<(), KvError> {
        let Some(expected) = current else {
            return self.set(key, value);
        };
        let changed = self.conn.execute(
            "UPDATE spin_key_value SET value = ?4 WHERE store = ?1 AND key = ?2 AND value = ?3",
            params![self.store, key, expected, value],
        )?;
        if changed == 1 {
            Ok(())
        } else {
            Err(KvError::CasFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database path in a fresh directory that is removed when the guard drops.
    fn temp_db(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::Builder::new()
            .prefix(&format!("kv-sqlite-{name}-"))
            .tempdir()
            .unwrap();
        let path = dir.path().join(SPIN_DEFAULT_DB);
        (dir, path)
    }

    #[test]
    fn increment_is_eight_le_bytes_and_counts() {
        let (_dir, path) = temp_db("inc");
        let mut kv = SqliteKv::open(&path, DEFAULT_STORE).unwrap();
        assert_eq!(kv.increment("c", 1).unwrap(), 1);
        assert_eq!(kv.increment("c", 1).unwrap(), 2);
        assert_eq!(kv.get("c").unwrap().unwrap(), 2i64.to_le_bytes().to_vec());
    }

    #[test]
    fn values_are_blobs() {
        let (_dir, path) = temp_db("blob");
        let kv = SqliteKv::open(&path, DEFAULT_STORE).unwrap();
        kv.set("k", b"{\"a\":1}").unwrap();
        let ty: String = kv
            .conn
            .query_row("SELECT typeof(value) FROM spin_key_value", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ty, "blob");
    }

    #[test]
    fn swap_on_absent_key_is_an_unconditional_upsert() {
        let (_dir, path) = temp_db("cas");
        let mut kv = SqliteKv::open(&path, DEFAULT_STORE).unwrap();
        kv.swap("k", None, b"first").unwrap();
        // A second instance that also saw "absent" still wins: the quirk.
        kv.swap("k", None, b"second").unwrap();
        assert_eq!(kv.get("k").unwrap().unwrap(), b"second");
        assert!(matches!(
            kv.swap("k", Some(b"first"), b"third"),
            Err(KvError::CasFailed)
        ));
        kv.swap("k", Some(b"second"), b"third").unwrap();
        assert_eq!(kv.get("k").unwrap().unwrap(), b"third");
    }

    #[test]
    fn two_connections_share_one_file() {
        let (_dir, path) = temp_db("shared");
        let mut a = SqliteKv::open(&path, DEFAULT_STORE).unwrap();
        let mut b = SqliteKv::open(&path, DEFAULT_STORE).unwrap();
        assert_eq!(a.increment("lease", 1).unwrap(), 1);
        assert_eq!(b.increment("lease", 1).unwrap(), 2);
    }
}
