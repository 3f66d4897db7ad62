//! The non-stream `chat.completion` object.
