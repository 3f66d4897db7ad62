//! The Responses request body sent to the Codex backend.
