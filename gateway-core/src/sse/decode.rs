//! Incremental SSE decoder: bytes in, complete events out, bounded buffer.
