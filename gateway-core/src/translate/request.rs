//! Chat Completions request → Codex Responses request.
