//! OpenAI-shaped model list, the built-in Codex catalog and mapping of the backend catalog.
