//! Chat Completions ⇄ Responses translation and Responses pass-through normalisation.
pub mod aggregate;
pub mod fold_limit;
mod messages;
pub mod request;
pub mod responses_names;
pub mod responses_request;
pub mod stream;
pub mod tool_calls;
pub mod tool_names;
