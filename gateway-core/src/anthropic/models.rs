//! `GET /v1/models` in Anthropic's shape, for clients that send `anthropic-version` or
//! `x-api-key` (Claude Code's gateway model discovery): the same models as the OpenAI shape.

use serde::Serialize;

use crate::openai::models::ModelList;

/// The backend publishes no dates; Anthropic clients require one.
const CREATED_AT: &str = "1970-01-01T00:00:00Z";

#[derive(Serialize)]
struct Page<'a> {
    data: Vec<Entry<'a>>,
    has_more: bool,
    first_id: Option<&'a str>,
    last_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Entry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    display_name: &'a str,
    created_at: &'static str,
    /// Every listed model is one the backend serves now.
    lifecycle: &'static str,
}

/// `{"data":[{"type":"model","id","display_name","created_at","lifecycle"}],"has_more",
/// "first_id","last_id"}`.
pub fn anthropic_list_json(list: &ModelList) -> Vec<u8> {
    let data: Vec<Entry<'_>> = list
        .data
        .iter()
        .map(|m| Entry {
            kind: "model",
            id: &m.id,
            display_name: m.display_name.as_deref().unwrap_or(&m.id),
            created_at: CREATED_AT,
            lifecycle: "active",
        })
        .collect();
    let page = Page {
        first_id: data.first().map(|e| e.id),
        last_id: data.last().map(|e| e.id),
        has_more: false,
        data,
    };
    let mut body = serde_json::to_vec(&page).unwrap_or_default();
    body.push(b'\n');
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_every_field_claude_code_reads() {
        let body: serde_json::Value =
            serde_json::from_slice(&anthropic_list_json(&crate::openai::models::builtin()))
                .unwrap();
        let first = &body["data"][0];
        assert_eq!(first["type"], "model");
        assert_eq!(first["id"], "gpt-6-sol");
        assert_eq!(first["display_name"], "gpt-6-sol");
        assert!(first["created_at"].is_string());
        assert_eq!(first["lifecycle"], "active");
        assert_eq!(body["has_more"], false);
        assert_eq!(body["first_id"], "gpt-6-sol");
        assert_eq!(body["last_id"], "gpt-5.2");
    }
}
