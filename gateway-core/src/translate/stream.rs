//! `ChatStream`: Codex SSE events → `chat.completion.chunk` frames, a state machine.
