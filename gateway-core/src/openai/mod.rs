//! OpenAI Chat Completions wire types (requests, responses, stream chunks, model lists).
pub mod chat_request;
pub mod chat_response;
pub mod chunk;
pub mod images;
pub mod models;
pub mod multipart;
