//! SSE encoder: data frames, comments (keep-alive) and the `[DONE]` terminator.
