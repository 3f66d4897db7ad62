//! Pure, host-independent logic of codex-gateway.
//!
//! Nothing in this crate talks to a host: no Spin, no WASI, no sockets, no clock, no randomness.
//! Everything that needs the outside world goes through the small traits in [`ports`], so the
//! whole gateway behaviour is unit-tested natively with `cargo test`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// An un-awaited answer is an answer never sent.
#![deny(unused_must_use)]

pub mod accounts;
pub mod aliases;
pub mod anthropic;
pub mod auth;
pub mod calendar;
pub mod codex;
pub mod config;
pub mod content_encoding;
pub mod error;
pub mod fnv;
pub mod forwarded;
pub mod headers;
pub mod json;
pub mod keys;
pub mod log;
pub mod memo;
pub mod openai;
pub mod passthrough;
pub mod patient_kv;
pub mod ports;
pub mod ready;
pub mod request_id;
pub mod router;
pub mod serve;
mod spelling;
pub mod sse;
pub mod translate;
pub mod url;
pub mod usage;
