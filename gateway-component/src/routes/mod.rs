//! Route handlers: parse, call the core, write the result. No JSON indexing or SSE bytes here.
pub mod admin;
pub mod chat;
pub mod health;
pub mod models;
pub mod responses;
