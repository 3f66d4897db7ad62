//! Codex backend (Responses API) wire types: requests, SSE events, response objects, errors.
pub mod catalog;
pub mod error_map;
pub mod event;
pub mod lite;
pub mod request;
pub mod response;
pub mod version;
