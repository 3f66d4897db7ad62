//! Translation between the client's API and the Codex backend, one folder per pipeline:
//! `chat/` turns Chat Completions into a Responses call and its stream back into chunks;
//! `responses/` normalises a `/v1/responses` body and observes its pass-through stream. What
//! both use sits here: how a stream ended, the ignored-parameter report, tool-name shortening
//! and the fold budget.
pub mod chat;
pub mod end;
pub mod fold_limit;
pub mod ignored;
pub mod images;
pub mod messages;
pub mod responses;
pub mod tool_names;
