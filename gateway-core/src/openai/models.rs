//! OpenAI-shaped model list: the built-in Codex catalog, the backend catalog mapped to it, and
//! the cache entry kept in the key-value store.
//!
//! A model list must never fail because of the backend: callers fall back to [`builtin`].

use serde::{Deserialize, Serialize};

/// Key of the cached live catalog in the `default` store.
pub const MODELS_CACHE_KEY: &str = "codex-gateway/models";

/// Models the Codex backend serves to a current client, with their base context windows;
/// served when the live catalog is unavailable (the live catalog, when it answers, wins).
pub const BUILTIN_MODELS: &[(&str, u64)] = &[
    ("gpt-6-sol", 272_000),
    ("gpt-6-astra", 272_000),
    ("gpt-6-luna", 272_000),
    ("gpt-5.6-sol", 272_000),
    ("gpt-5.6-terra", 272_000),
    ("gpt-5.6-luna", 272_000),
    ("gpt-5.5", 272_000),
    ("gpt-5.4", 272_000),
    ("gpt-5.4-mini", 272_000),
    ("gpt-5.3-codex", 272_000),
    ("gpt-5.3-codex-spark", 128_000),
    ("gpt-5.2-codex", 272_000),
    ("gpt-5.2", 272_000),
];

/// One entry of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// Model id clients send.
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Unix seconds; the backend publishes none, so 0.
    pub created: i64,
    /// Always `openai`.
    pub owned_by: String,
    /// Human name from the backend catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Context window in tokens, when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Reasoning efforts the model accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_reasoning_efforts: Vec<String>,
    /// Effort used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_reasoning_effort: Option<String>,
}

impl Model {
    /// An entry with nothing but its id.
    pub fn plain(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            object: "model".into(),
            created: 0,
            owned_by: "openai".into(),
            display_name: None,
            context_window: None,
            supported_reasoning_efforts: Vec::new(),
            default_reasoning_effort: None,
        }
    }
}

/// `{"object":"list","data":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    /// The models.
    pub data: Vec<Model>,
}

impl ModelList {
    /// `{"object":"list","data":data}`.
    pub fn of(data: Vec<Model>) -> Self {
        Self {
            object: "list".into(),
            data,
        }
    }

    /// JSON body, newline-terminated.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec(self).unwrap_or_default();
        body.push(b'\n');
        body
    }
}

/// The lowest client version the backend serves each gated model of the built-in list to.
const BUILTIN_MINIMAL_VERSIONS: [(&str, &str); 3] = [
    ("gpt-6-astra", "0.153.0"),
    ("gpt-6-sol", "0.155.0"),
    ("gpt-6-luna", "0.155.0"),
];

/// The built-in list as a client at `client_version` may use it.
pub fn builtin_for(client_version: &str) -> ModelList {
    let mut list = builtin();
    list.data.retain(|m| {
        BUILTIN_MINIMAL_VERSIONS
            .iter()
            .find(|(id, _)| *id == m.id)
            .is_none_or(|(_, need)| crate::codex::version::version_at_least(client_version, need))
    });
    list
}

/// The built-in list.
pub fn builtin() -> ModelList {
    let model = |&(id, window): &(&str, u64)| Model {
        context_window: Some(window),
        ..Model::plain(id)
    };
    ModelList::of(BUILTIN_MODELS.iter().map(model).collect())
}

/// The cached catalog as stored in the key-value store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedModels {
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
    /// The mapped list.
    pub list: ModelList,
    /// The backend's own `models` array, as it sent it (for Codex clients, which read the
    /// backend's shape); absent in caches written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex: Option<String>,
    /// The models the backend wants in the Responses Lite shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lite: Vec<String>,
}

/// The catalog in the backend's own shape (`{"models":[…]}`), as the Codex CLI reads it from a
/// provider it treats as OpenAI's. Without the backend's list it is empty: a built-in entry
/// would need each model's system prompt (`base_instructions`), which only the backend has, and
/// an empty list leaves the Codex CLI its own bundled metadata.
pub fn codex_catalog_json(models: Option<&str>) -> Vec<u8> {
    format!("{{\"models\":{}}}\n", models.unwrap_or("[]")).into_bytes()
}

impl CachedModels {
    /// Whether the entry is still fresh for `ttl_secs`.
    pub fn is_fresh(&self, now: i64, ttl_secs: i64) -> bool {
        now >= self.fetched_at && now - self.fetched_at < ttl_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_current_models_with_their_windows() {
        let list = builtin();
        for id in [
            "gpt-6-sol",
            "gpt-6-astra",
            "gpt-5.6-luna",
            "gpt-5.5",
            "gpt-5.3-codex",
        ] {
            let model = list.data.iter().find(|m| m.id == id);
            assert!(model.is_some_and(|m| m.context_window.is_some()), "{id}");
        }
        assert_eq!(codex_catalog_json(None), b"{\"models\":[]}\n");
        let old: Vec<String> = builtin_for("0.150.0")
            .data
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert!(!old.iter().any(|id| id.starts_with("gpt-6")), "{old:?}");
        assert_eq!(builtin_for("0.171.0"), list);
    }

    #[test]
    fn cache_freshness() {
        let c = CachedModels {
            fetched_at: 100,
            list: builtin(),
            codex: None,
            lite: Vec::new(),
        };
        assert!(c.is_fresh(150, 60));
        assert!(!c.is_fresh(160, 60));
        assert!(!c.is_fresh(50, 60));
    }
}
