//! End-to-end tests: real HTTP against the built gateway `.wasm` served by the test host, with
//! fake Codex and OAuth servers on 127.0.0.1.

mod accounts;
mod admin;
mod agents;
mod backend_2026;
mod chat;
mod dashboard;
mod foundation;
mod framing;
mod hardening;
mod images;
mod keys;
mod messages;
mod responses;
mod runtime;
mod store_loss;
mod support;
mod tokens;
