//! Typed Responses SSE events, with unknown event types kept as `Unknown`.
