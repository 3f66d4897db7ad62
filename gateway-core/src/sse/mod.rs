//! Server-sent events: an incremental decoder and an encoder. No JSON knowledge here.
pub mod decode;
pub mod encode;
