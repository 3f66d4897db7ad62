//! `chat.completion.chunk` stream frames.
