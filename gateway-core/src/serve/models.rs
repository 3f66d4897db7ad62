//! `GET /v1/models`: the live Codex catalog, cached in the store, with the built-in list as the
//! fallback (a model list never fails because of the backend); in `openai_api` mode, the
//! upstream's own list.

use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::request::RequestHeaders;
use super::responder::{json_header, Dialect, Responder};
use super::upstream::{Failed, Handled, UpstreamMeta};
use crate::anthropic::models::anthropic_list_json;
use crate::codex::catalog::{models_for_version, read_catalog};
use crate::codex::lite::{LiteModels, LITE_MODELS_KEY};
use crate::config::Mode;
use crate::error::GatewayError;
use crate::log::LogLevel;
use crate::memo::Reads;
use crate::openai::models::{self, CachedModels, MODELS_CACHE_KEY};
use crate::ports::Kv;

const CATALOG_LIMIT: usize = 4 * 1024 * 1024;

/// Serve the model list: the OpenAI shape, Anthropic's for an Anthropic client, or with
/// `?client_version=` (how the Codex CLI asks a provider it treats as OpenAI's) the backend's
/// own `{"models":[…]}`.
pub async fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    path_and_query: &str,
    out: &mut Responder<R>,
) -> Handled {
    if ctx.settings.mode()? == Mode::OpenAiApi {
        return super::proxy::forward(ctx, "/v1/models", None, out).await;
    }
    // Settings are checked before the cache, so a bad one is an error, never a fallback.
    let ttl = ctx.settings.models_cache_ttl_secs()?;
    let url = ctx.settings.codex_models_url()?;
    let version = ctx.settings.codex_client_version()?;
    let store = ctx.host.kv().ok();
    // Through the instance's memo, so its next chat call sees a catalog written here at once.
    let kv = store
        .as_ref()
        .map(|store| Reads::new(store, ctx.host.memo(), ctx.host));
    let now = ctx.host.now_ms() / 1000;
    let codex_shape = wants_codex_shape(path_and_query);
    let fetch = async || fetch(ctx, url, &version).await;
    let (entry, fetched) = catalog(kv.as_ref(), now, ttl, codex_shape, &version, fetch).await;
    let upstream = match fetched {
        None => None,
        Some(Ok(meta)) => Some(meta),
        Some(Err(failed)) => {
            let fields = failed.err.log_fields();
            ctx.log
                .emit(LogLevel::Warn, "gateway.models.fallback", &fields);
            failed.upstream
        }
    };
    let body = if codex_shape {
        let asked = asked_version(path_and_query);
        let codex = entry.codex.as_deref().map(|c| for_version(c, asked));
        models::codex_catalog_json(codex.as_deref())
    } else if out.dialect == Dialect::Anthropic {
        anthropic_list_json(&entry.list)
    } else {
        entry.list.to_json()
    };
    out.full(200, &[json_header()], &body).await;
    Ok(upstream)
}

/// Whether an Anthropic client asks (Claude Code's gateway model discovery sends
/// `anthropic-version`; the Anthropic SDKs also send `x-api-key`).
pub fn wants_anthropic_shape(headers: &RequestHeaders) -> bool {
    headers.first("anthropic-version").is_some() || headers.first("x-api-key").is_some()
}

/// The `client_version` the query names, when it has a value.
fn asked_version(path_and_query: &str) -> Option<&str> {
    let (_, query) = path_and_query.split_once('?')?;
    query
        .split('&')
        .find_map(|p| p.strip_prefix("client_version="))
        .filter(|v| !v.is_empty())
}

/// The backend's `models` array as an older client may use it: a CLI below the gateway's
/// version is not offered models the backend would refuse to its own identity.
fn for_version(codex: &str, asked: Option<&str>) -> String {
    let Some(asked) = asked else {
        return codex.to_owned();
    };
    models_for_version(codex, asked)
}

/// Whether the query names a `client_version`, as the Codex CLI's catalog requests do.
fn wants_codex_shape(path_and_query: &str) -> bool {
    path_and_query.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|p| p.split('=').next() == Some("client_version"))
    })
}

/// What to serve: a fresh cached entry, else a fetched one (then cached), else the stale
/// cache, else the built-in list; with how the fetch went, if there was one. An entry without
/// the backend's own list (written by an older version) is stale to a `codex_shape` request.
pub async fn catalog<K: Kv>(
    kv: Option<&K>,
    now: i64,
    ttl: i64,
    codex_shape: bool,
    client_version: &str,
    fetch: impl AsyncFnOnce() -> Result<(CachedModels, UpstreamMeta), Failed>,
) -> (CachedModels, Option<Result<UpstreamMeta, Failed>>) {
    let cached = kv
        .and_then(|kv| kv.get(MODELS_CACHE_KEY).ok().flatten())
        .and_then(|bytes| serde_json::from_slice::<CachedModels>(&bytes).ok());
    let stale = match cached {
        Some(c) if c.is_fresh(now, ttl) && (c.codex.is_some() || !codex_shape) => return (c, None),
        stale => stale,
    };
    match fetch().await {
        Ok((mut entry, meta)) => {
            entry.fetched_at = now;
            if let (Some(kv), Ok(bytes)) = (kv, serde_json::to_vec(&entry)) {
                let _ = kv.set(MODELS_CACHE_KEY, &bytes);
            }
            // Beside it, small, for the generation calls that read it on every request.
            let lite = LiteModels {
                until: now.saturating_add(ttl),
                models: entry.lite.clone(),
            };
            if let (Some(kv), Ok(bytes)) = (kv, serde_json::to_vec(&lite)) {
                let _ = kv.set(LITE_MODELS_KEY, &bytes);
            }
            (entry, Some(Ok(meta)))
        }
        Err(failed) => {
            let entry = stale.unwrap_or_else(|| CachedModels {
                fetched_at: now,
                list: models::builtin_for(client_version),
                codex: None,
                lite: Vec::new(),
            });
            (entry, Some(Err(failed)))
        }
    }
}

async fn fetch<H: Host>(
    ctx: &Ctx<'_, H>,
    url: String,
    version: &str,
) -> Result<(CachedModels, UpstreamMeta), Failed> {
    let request = CodexCall {
        method: Method::Get,
        url,
        body: None,
        session_id: None,
        stream: false,
        client: &[],
        lite_model: None,
    };
    let mut upstream = call(ctx, &request).await?;
    let meta = upstream.meta.clone();
    let body = upstream
        .read_all(CATALOG_LIMIT)
        .await
        .map_err(|err| Failed::after(err, &meta))?;
    let Some(catalog) = read_catalog(&body, version) else {
        let unreadable = GatewayError::upstream_error("model catalog was empty or unreadable");
        return Err(Failed::after(unreadable, &meta));
    };
    let entry = CachedModels {
        fetched_at: 0,
        list: catalog.list,
        codex: Some(catalog.codex),
        lite: catalog.lite,
    };
    Ok((entry, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;
    use crate::ready::Now;

    fn listed(ids: &[&str]) -> CachedModels {
        let mut list = models::builtin();
        list.data.retain(|m| ids.contains(&m.id.as_str()));
        CachedModels {
            fetched_at: 0,
            list,
            codex: Some(format!("{ids:?}")),
            lite: Vec::new(),
        }
    }

    #[test]
    fn fresh_cache_then_fetch_then_stale_then_builtin() {
        let kv = MemKv::default();
        let ok =
            |ids: &'static [&'static str]| async move || Ok((listed(ids), UpstreamMeta::default()));
        let down = async || Err(Failed::from(GatewayError::upstream_error("down")));
        const ONE: &[&str] = &["gpt-5.4"];
        let (entry, fetched) = catalog(Some(&kv), 1000, 60, false, "0.171.0", ok(ONE)).now();
        assert_eq!(entry.list, listed(ONE).list);
        assert!(matches!(fetched, Some(Ok(_))));
        let (entry, fetched) = catalog(Some(&kv), 1059, 60, true, "0.171.0", down).now();
        assert_eq!(
            (entry.list, fetched.is_none()),
            (listed(ONE).list, true),
            "fresh: no fetch"
        );
        let (entry, fetched) = catalog(Some(&kv), 1061, 60, false, "0.171.0", down).now();
        assert_eq!(entry.list, listed(ONE).list, "stale beats built-in");
        assert_eq!(
            entry.codex,
            listed(ONE).codex,
            "the backend's shape is kept too"
        );
        assert!(matches!(fetched, Some(Err(_))));
        let (entry, _) = catalog(None::<&MemKv>, 1061, 60, false, "0.171.0", down).now();
        assert_eq!(
            (entry.list, entry.codex),
            (models::builtin(), None),
            "no store, no fetch"
        );

        // An entry from before the backend's own list was kept: fresh for the OpenAI shape,
        // fetched again for the Codex shape.
        let old = CachedModels {
            fetched_at: 2000,
            codex: None,
            ..listed(ONE)
        };
        kv.set(MODELS_CACHE_KEY, &serde_json::to_vec(&old).unwrap())
            .unwrap();
        assert!(catalog(Some(&kv), 2001, 60, false, "0.171.0", down)
            .now()
            .1
            .is_none());
        let (entry, fetched) = catalog(Some(&kv), 2001, 60, true, "0.171.0", ok(ONE)).now();
        assert!(matches!(fetched, Some(Ok(_))));
        assert!(entry.codex.is_some());
    }

    #[test]
    fn an_older_cli_is_offered_only_what_its_version_may_use() {
        let codex =
            r#"[{"slug":"gpt-5.4"},{"slug":"gpt-6-sol","minimal_client_version":"0.155.0"}]"#;
        let old = for_version(codex, asked_version("/v1/models?client_version=0.150.0"));
        assert!(
            !old.contains("gpt-6-sol") && old.contains("gpt-5.4"),
            "{old}"
        );
        let new = for_version(codex, asked_version("/v1/models?client_version=0.171.0"));
        assert!(new.contains("gpt-6-sol"), "{new}");
        assert_eq!(
            for_version(codex, asked_version("/v1/models?client_version")),
            codex
        );
    }

    #[test]
    fn the_codex_shape_is_asked_for_with_client_version() {
        assert!(wants_codex_shape("/v1/models?client_version=0.171.0"));
        assert!(wants_codex_shape("/v1/models?a=1&client_version"));
        assert!(!wants_codex_shape("/v1/models"));
        assert!(!wants_codex_shape("/v1/models?limit=2"));
    }
}
