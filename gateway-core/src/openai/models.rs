//! OpenAI-shaped model list: the built-in Codex catalog, the backend catalog mapped to it, and
//! the cache entry kept in the key-value store.
//!
//! A model list must never fail because of the backend: callers fall back to [`builtin`].

use serde::{Deserialize, Serialize};

/// Key of the cached live catalog in the `default` store.
pub const MODELS_CACHE_KEY: &str = "codex-gateway/models";

/// Models known to work on the Codex backend; served when the live catalog is unavailable.
pub const BUILTIN_MODELS: &[&str] = &[
    "gpt-5.5",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-5.6-luna",
    "gpt-5.3-codex",
    "gpt-5.3-codex-spark",
    "gpt-5.2-codex",
    "gpt-5.2",
    "gpt-5.1-codex",
    "gpt-5.1-codex-mini",
    "gpt-5.1-codex-max",
    "gpt-5.1",
    "gpt-5-codex",
    "gpt-5",
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
    fn plain(id: &str) -> Self {
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
    fn of(data: Vec<Model>) -> Self {
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

/// The built-in list.
pub fn builtin() -> ModelList {
    ModelList::of(BUILTIN_MODELS.iter().map(|id| Model::plain(id)).collect())
}

/// The part of the backend's `/codex/models` answer we use.
#[derive(Debug, Deserialize)]
struct Catalog {
    models: Vec<CatalogModel>,
}

#[derive(Debug, Deserialize)]
struct CatalogModel {
    slug: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    context_window: Option<u64>,
    #[serde(default)]
    supported_reasoning_levels: Vec<ReasoningLevel>,
    #[serde(default)]
    default_reasoning_level: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReasoningLevel {
    effort: String,
}

/// Map the backend catalog to an OpenAI list: listed models only, by priority.
///
/// Returns `None` when the body is not a catalog or lists nothing, so the caller falls back.
pub fn from_backend_catalog(body: &[u8]) -> Option<ModelList> {
    let catalog: Catalog = serde_json::from_slice(body).ok()?;
    let mut listed: Vec<CatalogModel> = catalog
        .models
        .into_iter()
        .filter(|m| m.visibility.as_deref().is_none_or(|v| v == "list") && !m.slug.is_empty())
        .collect();
    listed.sort_by_key(|m| m.priority.unwrap_or(i64::MAX));
    let data: Vec<Model> = listed
        .into_iter()
        .map(|m| Model {
            display_name: m.display_name,
            context_window: m.context_window,
            supported_reasoning_efforts: m
                .supported_reasoning_levels
                .into_iter()
                .map(|l| l.effort)
                .collect(),
            default_reasoning_effort: m.default_reasoning_level,
            ..Model::plain(&m.slug)
        })
        .collect();
    (!data.is_empty()).then(|| ModelList::of(data))
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
}

/// The `models` array of a backend catalog, as raw JSON text.
pub fn raw_catalog_models(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        models: &'a serde_json::value::RawValue,
    }
    let raw: Raw<'_> = serde_json::from_slice(body).ok()?;
    raw.models
        .get()
        .starts_with('[')
        .then(|| raw.models.get().to_owned())
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
    fn builtin_has_the_originals_and_newer_models() {
        let ids: Vec<String> = builtin().data.into_iter().map(|m| m.id).collect();
        for id in [
            "gpt-5.3-codex",
            "gpt-5.2-codex",
            "gpt-5.1-codex",
            "gpt-5.1-codex-mini",
            "gpt-5.1-codex-max",
            "gpt-5.5",
            "gpt-5.4",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id}");
        }
    }

    #[test]
    fn backend_catalog_is_filtered_sorted_and_mapped() {
        let body = br#"{"models":[
            {"slug":"b","priority":2,"visibility":"list","context_window":272000,
             "supported_reasoning_levels":[{"effort":"low","description":"x"},{"effort":"high"}],
             "default_reasoning_level":"low"},
            {"slug":"hidden","priority":0,"visibility":"hide"},
            {"slug":"a","priority":1,"display_name":"A"}],"etag":"W/1"}"#;
        let list = from_backend_catalog(body).unwrap();
        let ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let b = &list.data[1];
        assert_eq!(b.context_window, Some(272_000));
        assert_eq!(b.supported_reasoning_efforts, ["low", "high"]);
        assert_eq!(b.default_reasoning_effort.as_deref(), Some("low"));
        assert!(from_backend_catalog(b"{\"models\":[]}").is_none());
        let raw = raw_catalog_models(body).unwrap();
        assert!(
            raw.starts_with('[') && raw.contains("\"hidden\""),
            "kept as sent"
        );
        let codex: serde_json::Value =
            serde_json::from_slice(&codex_catalog_json(Some(&raw))).unwrap();
        assert_eq!(codex["models"].as_array().unwrap().len(), 3);
        assert_eq!(codex_catalog_json(None), b"{\"models\":[]}\n");
        assert!(from_backend_catalog(b"<html>").is_none());
    }

    #[test]
    fn cache_freshness() {
        let c = CachedModels {
            fetched_at: 100,
            list: builtin(),
            codex: None,
        };
        assert!(c.is_fresh(150, 60));
        assert!(!c.is_fresh(160, 60));
        assert!(!c.is_fresh(50, 60));
    }
}
