//! `wasi:keyvalue` store + atomics over Spin's SQLite layout (kv-sqlite), quirks included.

use std::sync::{Arc, Mutex};

use kv_sqlite::{SqliteKv, DEFAULT_STORE};
use wasmtime::component::Resource;

use crate::bindings::wasi::keyvalue::{atomics, store};
use crate::server::HostState;

/// An open bucket: Spin only grants stores listed in `key_value_stores`.
pub struct Bucket;

/// A compare-and-swap handle: remembers what `current()` saw.
pub struct Cas {
    key: String,
    seen: Option<Option<Vec<u8>>>,
}

/// The shared SQLite connection of one test host.
pub type SharedKv = Arc<Mutex<SqliteKv>>;

fn other(e: impl std::fmt::Display) -> store::Error {
    store::Error::Other(e.to_string())
}

impl HostState {
    fn with_kv<T>(
        &self,
        f: impl FnOnce(&mut SqliteKv) -> Result<T, kv_sqlite::KvError>,
    ) -> Result<T, store::Error> {
        let mut kv = self.kv.lock().map_err(|_| other("store lock poisoned"))?;
        f(&mut kv).map_err(other)
    }
}

impl store::Host for HostState {
    fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, store::Error>> {
        if identifier != DEFAULT_STORE {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(Bucket)?))
    }
}

impl store::HostBucket for HostState {
    fn get(
        &mut self,
        _b: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(self.with_kv(|kv| kv.get(&key)))
    }
    fn set(
        &mut self,
        _b: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.with_kv(|kv| kv.set(&key, &value)))
    }
    fn delete(
        &mut self,
        _b: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.with_kv(|kv| kv.delete(&key)))
    }
    fn exists(
        &mut self,
        _b: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        Ok(self.with_kv(|kv| kv.exists(&key)))
    }
    fn list_keys(
        &mut self,
        _b: Resource<Bucket>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        Ok(self
            .with_kv(|kv| kv.keys())
            .map(|keys| store::KeyResponse { keys, cursor: None }))
    }
    fn drop(&mut self, b: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(b)?;
        Ok(())
    }
}

impl atomics::Host for HostState {
    fn increment(
        &mut self,
        _b: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        Ok(self.with_kv(|kv| kv.increment(&key, delta)))
    }

    fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let cas = self.table.delete(cas)?;
        // Spin: a swap whose current() saw nothing (or was never asked) is a plain upsert.
        let seen = cas.seen.flatten();
        let result = self.with_kv(|kv| kv.swap(&cas.key, seen.as_deref(), &value));
        Ok(match result {
            Ok(()) => Ok(()),
            Err(store::Error::Other(msg)) if msg.contains("compare-and-swap failed") => {
                let fresh = self.table.push(Cas {
                    key: cas.key,
                    seen: None,
                })?;
                Err(atomics::CasError::CasFailed(fresh))
            }
            Err(e) => Err(atomics::CasError::StoreError(e)),
        })
    }
}

impl atomics::HostCas for HostState {
    fn new(
        &mut self,
        _b: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        Ok(Ok(self.table.push(Cas { key, seen: None })?))
    }
    fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let key = self.table.get(&cas)?.key.clone();
        let value = match self.with_kv(|kv| kv.get(&key)) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        self.table.get_mut(&cas)?.seen = Some(value.clone());
        Ok(Ok(value))
    }
    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
