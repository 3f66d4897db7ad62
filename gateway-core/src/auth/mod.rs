//! Downstream key checks, OAuth token records, JWT claims and the refresh lease.
pub mod api_key;
pub mod jwt;
pub mod lease;
pub mod token;
