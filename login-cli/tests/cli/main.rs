//! login-cli's end-to-end tests: the real binary against the fake issuer on 127.0.0.1, and the
//! gateway component (served by the test host) reading what it stored.
// Test code: a panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod accounts;
mod cli;
mod codex_config;
mod failures;
mod headless;
mod keys;
mod login;
mod manage;
mod proxy;
mod push;
mod support;
