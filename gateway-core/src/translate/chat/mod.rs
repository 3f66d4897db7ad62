//! Chat Completions ⇄ Responses: the request (`request`, `messages`), the stream back
//! (`stream`, `tool_calls`) and the non-stream answer folded from it (`completion`).
pub mod cache_key;
pub mod completion;
mod messages;
pub mod request;
pub mod stream;
pub mod tool_calls;
