//! `codex-config`: the Codex CLI's settings for this gateway. The gateway answers its live
//! catalog in the backend's own shape (`GET /v1/models?client_version=…`); that is exactly what
//! the CLI's `model_catalog_json` file holds, so the CLI gets each model's real metadata.

use std::path::{Path, PathBuf};

use reqwest::header::AUTHORIZATION;

use crate::cli::CodexConfigArgs;
use crate::exit::{fail, ExitKind};
use crate::http::transport_reason;
use crate::ui;
use crate::Ctx;

/// The Codex CLI release this catalog request names (the backend needs some version).
const CLIENT_VERSION: &str = "0.171.0";
/// File name of the catalog, in the CLI's home.
const CATALOG_FILE: &str = "codex-gateway-models.json";

/// Run `codex-config`.
pub async fn run(ctx: &Ctx, args: &CodexConfigArgs) -> anyhow::Result<()> {
    let mut endpoint =
        crate::gateway_url::endpoint(&args.url, "/v1/models", args.insecure_http, "the API key")?;
    endpoint.set_query(Some(&format!("client_version={CLIENT_VERSION}")));
    let res = ctx
        .http
        .get(endpoint.clone())
        .header(AUTHORIZATION, format!("Bearer {}", args.api_key.trim()))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("GET {endpoint} failed: {}", transport_reason(&e)))?;
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    if status != 200 {
        let excerpt: String = body.chars().take(300).collect();
        return Err(fail(
            ExitKind::Rejected,
            format!(
                "the gateway at {endpoint} answered HTTP {status}: {}",
                excerpt.trim()
            ),
        ));
    }
    let slugs = listed_slugs(&body).ok_or_else(|| {
        fail(
            ExitKind::Rejected,
            format!(
                "the gateway at {endpoint} has no live model catalog yet (is it logged in, and \
                 can it reach the backend?); try again once a model request works"
            ),
        )
    })?;
    let out = args.out.clone().unwrap_or_else(codex_home);
    std::fs::create_dir_all(&out)?;
    // Absolute, so the CLI finds the catalog from wherever it runs.
    let out = std::fs::canonicalize(&out)?;
    let catalog = out.join(CATALOG_FILE);
    std::fs::write(&catalog, &body)?;
    let base = crate::gateway_url::endpoint(&args.url, "/v1", args.insecure_http, "the API key")?;
    let block = provider_block(base.as_str(), &catalog, slugs.first().map(String::as_str));
    let config = out.join("config.toml");
    let written = if config.exists() {
        let aside = out.join("codex-gateway.config.toml");
        std::fs::write(&aside, &block)?;
        ui::say(&format!(
            "{} exists: merge {} into it.",
            config.display(),
            aside.display()
        ));
        aside
    } else {
        std::fs::write(&config, &block)?;
        config
    };
    ui::say(&format!(
        "Wrote {} ({} models: {}) and {}.",
        catalog.display(),
        slugs.len(),
        slugs.join(", "),
        written.display()
    ));
    ui::say("Export CODEX_GATEWAY_API_KEY (the gateway's key) where you run codex.");
    Ok(())
}

/// The listed (`visibility: list`) slugs of a catalog by the backend's priority (the default
/// model first, as the gateway's own list orders them), or `None` when it lists nothing.
fn listed_slugs(body: &str) -> Option<Vec<String>> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let text =
        |m: &serde_json::Value, key: &str| m.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let mut listed: Vec<&serde_json::Value> = value
        .get("models")?
        .as_array()?
        .iter()
        .filter(|m| text(m, "visibility").is_none_or(|v| v == "list"))
        .collect();
    listed.sort_by_key(|m| {
        m.get("priority")
            .and_then(|p| p.as_i64())
            .unwrap_or(i64::MAX)
    });
    let slugs: Vec<String> = listed.into_iter().filter_map(|m| text(m, "slug")).collect();
    (!slugs.is_empty()).then_some(slugs)
}

fn codex_home() -> PathBuf {
    std::env::var_os("CODEX_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".codex")))
        .unwrap_or_else(|| PathBuf::from(".codex"))
}

/// The provider block for `base` (the gateway's `/v1`).
fn provider_block(base: &str, catalog: &Path, model: Option<&str>) -> String {
    let quote = |s: &str| toml_string(s);
    let model = model
        .map(|m| format!("model = {}\n", quote(m)))
        .unwrap_or_default();
    format!(
        "# codex-gateway for the Codex CLI (written by `login-cli codex-config`).\n\
         {model}model_provider = \"codex-gateway\"\n\
         model_catalog_json = {}\n\n\
         [model_providers.codex-gateway]\n\
         name = \"codex-gateway\"\n\
         base_url = {}\n\
         env_key = \"CODEX_GATEWAY_API_KEY\"\n\
         wire_api = \"responses\"\n",
        quote(&catalog.display().to_string()),
        quote(base),
    )
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_names_the_gateway_and_the_catalog() {
        let block = provider_block(
            "http://127.0.0.1:3000/v1",
            Path::new("/home/me/.codex/codex-gateway-models.json"),
            Some("gpt-5.4"),
        );
        let parsed: toml::Value = toml::from_str(&block).unwrap();
        assert_eq!(parsed["model"].as_str(), Some("gpt-5.4"));
        assert_eq!(
            parsed["model_catalog_json"].as_str(),
            Some("/home/me/.codex/codex-gateway-models.json")
        );
        let provider = &parsed["model_providers"]["codex-gateway"];
        assert_eq!(
            provider["base_url"].as_str(),
            Some("http://127.0.0.1:3000/v1")
        );
        assert_eq!(provider["wire_api"].as_str(), Some("responses"));
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn only_listed_models_count() {
        let body = r#"{"models":[{"slug":"a","visibility":"list","priority":5},{"slug":"h","visibility":"hide","priority":0},{"slug":"b","priority":1}]}"#;
        assert_eq!(
            listed_slugs(body),
            Some(vec!["b".to_owned(), "a".to_owned()]),
            "by priority"
        );
        assert_eq!(listed_slugs(r#"{"models":[]}"#), None);
        assert_eq!(listed_slugs("<html>"), None);
    }
}
