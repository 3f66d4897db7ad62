//! The WASI 0.2 edge's modules that a WASIp3 component uses as they are: Spin 4 links WASI 0.2
//! beside WASIp3, so the calls that must finish before the flow goes on (the store, the token
//! refresh's whole answer, clocks, randomness, stdout) are the same code in both builds.

/// The store's bindings under the name kv.rs uses.
mod keyvalue {
    pub use spin_sdk::experimental::wasi::keyvalue::*;
}

#[macro_use]
#[path = "../../gateway-component/src/host/fields.rs"]
pub mod fields;
#[macro_use]
#[path = "../../gateway-component/src/host/facts.rs"]
pub mod facts;
#[path = "../../gateway-component/src/host/kv.rs"]
pub mod kv;
#[path = "../../gateway-component/src/host/streams.rs"]
mod streams;
#[macro_use]
#[path = "../../gateway-component/src/host/upstream.rs"]
pub mod upstream;

use fields::FieldsResource;

fields_resource!(spin_sdk::wasip3::http::types::Fields);
