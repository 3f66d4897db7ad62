//! Host bindings generated from the repository's `wit/` (the one contract), world `host-extras`:
//! the key-value and variables interfaces that wasmtime's stock WASI crates do not provide.
#![allow(missing_docs, clippy::all)]

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "host-extras",
    imports: { default: trappable },
    with: {
        "wasi:keyvalue/store.bucket": crate::kv::Bucket,
        "wasi:keyvalue/atomics.cas": crate::kv::Cas,
    },
});
