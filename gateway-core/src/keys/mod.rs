//! Client keys: named keys the owner hands out instead of the one `downstream_api_key`, each
//! with an optional model list, limits and expiry, kept in the shared store so that every
//! instance honours the same keys and counters. `record` is one key, `limit` its windows,
//! `store` where keys live, `admit` the decision on each request.
pub mod admit;
pub mod limit;
pub mod record;
pub mod store;
