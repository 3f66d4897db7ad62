//! The backend's model catalog (`GET …/codex/models?client_version=X`), read once when it is
//! fetched: which models a client at the gateway's version may use, in the backend's own shape
//! and mapped to OpenAI's, and which of them the backend wants in the Responses Lite shape.
//!
//! The backend already lists only the models whose `minimal_client_version` is at most the
//! version asked for (since 2026-05); the same rule is applied here again, so a catalog from a
//! backend or cache that did not filter never offers a model the backend would then refuse.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::version::version_at_least;
use crate::openai::models::{Model, ModelList};

/// What a fetched catalog gives the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Listed models, by priority, in OpenAI's shape.
    pub list: ModelList,
    /// The backend's `models` array as raw JSON, without the entries above the version.
    pub codex: String,
    /// Slugs the backend marks `use_responses_lite`.
    pub lite: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Entry {
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
    #[serde(default)]
    minimal_client_version: Option<String>,
    #[serde(default)]
    use_responses_lite: bool,
}

#[derive(Debug, Deserialize)]
struct ReasoningLevel {
    effort: String,
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    models: Vec<&'a RawValue>,
}

/// Read a catalog body for a client at `client_version`. `None` when the body is not a catalog
/// or offers nothing that version may use, so the caller falls back.
pub fn read_catalog(body: &[u8], client_version: &str) -> Option<Catalog> {
    let raw: Raw<'_> = serde_json::from_slice(body).ok()?;
    read_models(raw.models, client_version)
}

/// The backend's `models` array (raw JSON) without the entries above `client_version`; an
/// unreadable array gives an empty one.
pub fn models_for_version(models: &str, client_version: &str) -> String {
    serde_json::from_str::<Vec<&RawValue>>(models)
        .ok()
        .and_then(|models| read_models(models, client_version))
        .map_or_else(|| "[]".to_owned(), |catalog| catalog.codex)
}

fn read_models(models: Vec<&RawValue>, client_version: &str) -> Option<Catalog> {
    let mut usable: Vec<(Entry, &RawValue)> = models
        .into_iter()
        .filter_map(|value| Some((serde_json::from_str::<Entry>(value.get()).ok()?, value)))
        .filter(|(entry, _)| {
            !entry.slug.is_empty()
                && entry
                    .minimal_client_version
                    .as_deref()
                    .is_none_or(|need| version_at_least(client_version, need))
        })
        .collect();
    let codex = format!(
        "[{}]",
        usable
            .iter()
            .map(|(_, value)| value.get())
            .collect::<Vec<_>>()
            .join(",")
    );
    let lite = usable
        .iter()
        .filter(|(entry, _)| entry.use_responses_lite)
        .map(|(entry, _)| entry.slug.clone())
        .collect();
    usable.retain(|(entry, _)| entry.visibility.as_deref().is_none_or(|v| v == "list"));
    usable.sort_by_key(|(entry, _)| entry.priority.unwrap_or(i64::MAX));
    let data: Vec<Model> = usable
        .into_iter()
        .map(|(entry, _)| model_of(entry))
        .collect();
    (!data.is_empty()).then(|| Catalog {
        list: ModelList::of(data),
        codex,
        lite,
    })
}

fn model_of(entry: Entry) -> Model {
    Model {
        display_name: entry.display_name,
        context_window: entry.context_window,
        supported_reasoning_efforts: entry
            .supported_reasoning_levels
            .into_iter()
            .map(|l| l.effort)
            .collect(),
        default_reasoning_effort: entry.default_reasoning_level,
        ..Model::plain(&entry.slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_offers_only_what_the_version_may_use() {
        let body = br#"{"models":[
            {"slug":"b","priority":2,"visibility":"list","context_window":272000,
             "supported_reasoning_levels":[{"effort":"low","description":"x"},{"effort":"high"}],
             "default_reasoning_level":"low","minimal_client_version":"0.144.0"},
            {"slug":"gpt-6-sol","priority":0,"minimal_client_version":"0.155.0","use_responses_lite":true},
            {"slug":"hidden","priority":0,"visibility":"hide","use_responses_lite":true},
            {"slug":"a","priority":1,"display_name":"A"}],"etag":"W/1"}"#;
        let at_new = read_catalog(body, "0.171.0").unwrap();
        let ids: Vec<&str> = at_new.list.data.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["gpt-6-sol", "a", "b"]);
        assert_eq!(at_new.lite, ["gpt-6-sol", "hidden"]);
        let b = &at_new.list.data[2];
        assert_eq!(b.context_window, Some(272_000));
        assert_eq!(b.supported_reasoning_efforts, ["low", "high"]);
        assert_eq!(b.default_reasoning_effort.as_deref(), Some("low"));
        let codex: serde_json::Value = serde_json::from_str(&at_new.codex).unwrap();
        assert_eq!(
            codex.as_array().unwrap().len(),
            4,
            "hidden entries kept, as sent"
        );

        let at_old = read_catalog(body, "0.150.0").unwrap();
        let ids: Vec<&str> = at_old.list.data.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"], "gpt-6-sol needs 0.155.0");
        assert!(!at_old.codex.contains("gpt-6-sol"));
        assert_eq!(at_old.lite, ["hidden"]);

        assert!(read_catalog(b"{\"models\":[]}", "0.171.0").is_none());
        assert!(read_catalog(b"<html>", "0.171.0").is_none());
    }
}
