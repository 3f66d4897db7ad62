//! Adapters from the core's ports to Spin/WASI: the only code that touches the host.
pub mod clock;
pub mod codex;
pub mod downstream;
pub mod fields;
pub mod kv;
pub mod log;
pub mod pump;
pub mod stream_out;
pub mod streams;
pub mod tokens;
pub mod upstream;
pub mod vars;
