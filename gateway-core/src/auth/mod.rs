//! Downstream key checks, OAuth token records, JWT claims and the refresh lease.
pub mod api_key;
pub mod codex_auth;
pub mod health;
pub mod install;
pub mod jwt;
pub mod lease;
pub mod mem_kv;
pub mod oauth;
pub mod refresh;
#[cfg(test)]
pub(crate) mod testkit;
pub mod token;
