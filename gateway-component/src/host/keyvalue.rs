//! The store's bindings (`wasi:keyvalue`), under the name `kv.rs` uses in both builds: spin-sdk
//! 5 and 6 generate them in different places.

pub use spin_sdk::wit::wasi::keyvalue::*;
