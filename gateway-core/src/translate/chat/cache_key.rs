//! A prompt-cache key for chat clients that send none: the backend's prompt cache keys on
//! `prompt_cache_key`, and most chat clients never set it, so every turn would start cold.
//! The key is derived from what stays the same across the turns of one conversation: the
//! instructions, the first user message and the tool names. Two conversations that start
//! alike share a key, which only shares a cache on the same account.

use crate::codex::request::{InputItem, MessageRole, ResponsesRequest, Tool};
use crate::fnv::fnv1a64;

/// Prefix that marks a derived key (a client's own key never needs it).
pub const DERIVED_PREFIX: &str = "cgw-";

/// The key for `request`'s conversation (its `prompt_cache_key` not yet set).
pub fn derived_cache_key(request: &ResponsesRequest) -> String {
    let first_user = request.input.iter().find(|item| {
        matches!(
            item,
            InputItem::Message {
                role: MessageRole::User,
                ..
            }
        )
    });
    let tools: Vec<&str> = request
        .tools
        .iter()
        .filter_map(|tool| match tool {
            Tool::Function(f) => Some(f.name.as_str()),
            Tool::Other(_) => None,
        })
        .collect();
    let seed = serde_json::to_vec(&(&request.model, &request.instructions, first_user, tools))
        .unwrap_or_default();
    // Two salted FNV-1a 64 hashes: 128 bits, plenty for a cache key.
    let half = |salt: u8| fnv1a64(std::iter::once(salt).chain(seed.iter().copied()));
    format!("{DERIVED_PREFIX}{:016x}{:016x}", half(0), half(1))
}

#[cfg(test)]
mod tests {
    use crate::config::CacheKeyFallback;
    use crate::translate::chat::request::{chat_to_responses, chat_to_responses_with};

    fn key(body: serde_json::Value) -> Option<String> {
        let bytes = serde_json::to_vec(&body).unwrap();
        chat_to_responses_with(&bytes, || Ok(CacheKeyFallback::Derived))
            .unwrap()
            .session_id
    }

    fn chat(messages: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"model": "gpt-5.4", "messages": messages,
            "tools": [{"type": "function", "function": {"name": "read_file", "parameters": {}}}]})
    }

    #[test]
    fn the_turns_of_one_conversation_share_a_derived_key() {
        let first = serde_json::json!([
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Fix the bug."}]);
        let later = serde_json::json!([
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Fix the bug."},
            {"role": "assistant", "content": "Which one?"},
            {"role": "user", "content": "The parser."}]);
        let turn_one = key(chat(first)).unwrap();
        assert!(turn_one.starts_with(super::DERIVED_PREFIX), "{turn_one}");
        assert_eq!(key(chat(later)), Some(turn_one.clone()));
        let other = serde_json::json!([
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Write docs."}]);
        assert_ne!(
            key(chat(other)),
            Some(turn_one.clone()),
            "another conversation"
        );
        let instructions = serde_json::json!([
            {"role": "system", "content": "Be verbose."},
            {"role": "user", "content": "Fix the bug."}]);
        assert_ne!(
            key(chat(instructions)),
            Some(turn_one),
            "other instructions"
        );
    }

    #[test]
    fn the_setting_is_read_only_for_a_request_without_a_key() {
        let own = serde_json::json!({"model": "m", "prompt_cache_key": "k",
            "messages": [{"role": "user", "content": "hi"}]});
        let bytes = serde_json::to_vec(&own).unwrap();
        let read = std::cell::Cell::new(false);
        let fallback = || {
            read.set(true);
            Ok(CacheKeyFallback::Derived)
        };
        chat_to_responses_with(&bytes, fallback).unwrap();
        assert!(!read.get());
    }

    #[test]
    fn a_client_key_or_user_wins_and_the_fallback_can_be_off() {
        let messages = serde_json::json!([{"role": "user", "content": "hi"}]);
        let mut own = chat(messages.clone());
        own["prompt_cache_key"] = "conv-7".into();
        assert_eq!(key(own).as_deref(), Some("conv-7"));
        let mut user = chat(messages.clone());
        user["user"] = "u-1".into();
        assert_eq!(key(user).as_deref(), Some("u-1"));
        let plain = serde_json::to_vec(&chat(messages)).unwrap();
        assert_eq!(chat_to_responses(&plain).unwrap().session_id, None);
        let off = chat_to_responses_with(&plain, || Ok(CacheKeyFallback::None)).unwrap();
        assert_eq!(off.session_id, None);
        let upstream: serde_json::Value = serde_json::from_slice(&off.body).unwrap();
        assert!(upstream.get("prompt_cache_key").is_none());
    }
}
