//! Anthropic Messages API wire types (what Claude Code and the Anthropic SDKs speak): the
//! request, the answer and its stream events, the error envelope and the model list. No
//! policy: the mapping to and from the Codex backend lives in `translate::messages`.
pub mod error;
pub mod message;
pub mod models;
pub mod request;
