//! Test-only Spin stand-in and fakes for codex-gateway's end-to-end tests.
//!
//! Never shipped. `server` serves the built `.wasm` as Spin would (see README.md for the parity
//! checklist); `fake_codex` and `fake_oauth` play chatgpt.com and auth.openai.com on 127.0.0.1.
#![allow(missing_docs)]

pub mod bindings;
pub mod fake_codex;
pub mod fake_oauth;
pub mod kv;
pub mod manifest;
mod outbound;
pub mod server;
pub mod variables;

pub use server::{GuestLogs, HostConfig, TestHost};

/// The gateway component built by `build.rs` (release, wasm32-wasip2).
pub const GATEWAY_WASM: &str = env!("GATEWAY_WASM");

/// The WASIp3 gateway component built by `build.rs`, which only Spin 4 serves.
pub const GATEWAY_P3_WASM: &str = env!("GATEWAY_P3_WASM");

/// A path inside the repository.
pub fn repo_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("REPO_ROOT")).join(rel)
}
