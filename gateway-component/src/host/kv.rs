//! The core's `Kv` port over `wasi:keyvalue` (store + atomics), Spin's `default` store.

use std::rc::Rc;

use super::keyvalue::{atomics, store};
use gateway_core::ports::{Kv, KvError};

/// The `default` store, opened once per request and shared by every use in it.
#[derive(Clone)]
pub struct SpinKv {
    bucket: Rc<store::Bucket>,
}

impl SpinKv {
    /// Open the store named in `spin.toml` (`key_value_stores = ["default"]`).
    pub fn open_default() -> Result<Self, KvError> {
        store::open("default")
            .map(|bucket| Self {
                bucket: Rc::new(bucket),
            })
            .map_err(describe)
    }
}

fn describe(e: store::Error) -> KvError {
    KvError(match e {
        store::Error::NoSuchStore => "no such store: default (check key_value_stores)".into(),
        store::Error::AccessDenied => "access to the default store denied".into(),
        store::Error::Other(msg) => msg,
    })
}

impl Kv for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.bucket.get(key).map_err(describe)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.bucket.set(key, value).map_err(describe)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.bucket.delete(key).map_err(describe)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        atomics::increment(&self.bucket, key, delta).map_err(describe)
    }
}
