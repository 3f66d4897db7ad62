//! The Chat Completions request as clients send it.
