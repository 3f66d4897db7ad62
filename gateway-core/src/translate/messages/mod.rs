//! Anthropic Messages ⇄ Codex Responses: the request ([`request`]), the answer as Anthropic
//! stream events ([`stream`]), the non-stream answer as their fold ([`fold`]), the thinking
//! signatures ([`signature`]) and the token estimate of `count_tokens` ([`count`]).
pub mod count;
pub mod fold;
pub mod request;
pub mod signature;
pub mod stream;
