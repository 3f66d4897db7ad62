//! `GET /v1/models`: the live Codex catalog, cached in the store, with the built-in list as the
//! fallback (a model list never fails because of the backend); in `openai_api` mode, the
//! upstream's own list.

use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::responder::{json_header, Responder};
use super::upstream::{Failed, Handled, UpstreamMeta};
use crate::config::Mode;
use crate::error::GatewayError;
use crate::log::LogLevel;
use crate::openai::models::{self, CachedModels, ModelList, MODELS_CACHE_KEY};
use crate::ports::Kv;

const CATALOG_LIMIT: usize = 4 * 1024 * 1024;

/// Serve the model list.
pub fn handle<H: Host, R: Reply>(ctx: &Ctx<'_, H>, out: &mut Responder<R>) -> Handled {
    if ctx.settings.mode()? == Mode::OpenAiApi {
        return super::proxy::forward(ctx, "/v1/models", None, out);
    }
    // Settings are checked before the cache, so a bad one is an error, never a fallback.
    let ttl = ctx.settings.models_cache_ttl_secs()?;
    let url = ctx.settings.codex_models_url()?;
    let kv = ctx.host.kv().ok();
    let now = ctx.host.now_ms() / 1000;
    let (list, fetched) = catalog(kv.as_ref(), now, ttl, || fetch(ctx, url));
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
    out.full(200, &[json_header()], &list.to_json());
    Ok(upstream)
}

/// The list to serve: a fresh cached one, else a fetched one (then cached), else the stale
/// cache, else the built-in list; with how the fetch went, if there was one.
pub fn catalog<K: Kv>(
    kv: Option<&K>,
    now: i64,
    ttl: i64,
    fetch: impl FnOnce() -> Result<(ModelList, UpstreamMeta), Failed>,
) -> (ModelList, Option<Result<UpstreamMeta, Failed>>) {
    let cached = kv
        .and_then(|kv| kv.get(MODELS_CACHE_KEY).ok().flatten())
        .and_then(|bytes| serde_json::from_slice::<CachedModels>(&bytes).ok());
    let stale = match cached {
        Some(c) if c.is_fresh(now, ttl) => return (c.list, None),
        stale => stale,
    };
    match fetch() {
        Ok((list, meta)) => {
            let entry = CachedModels {
                fetched_at: now,
                list,
            };
            if let (Some(kv), Ok(bytes)) = (kv, serde_json::to_vec(&entry)) {
                let _ = kv.set(MODELS_CACHE_KEY, &bytes);
            }
            (entry.list, Some(Ok(meta)))
        }
        Err(failed) => {
            let list = stale.map_or_else(models::builtin, |c| c.list);
            (list, Some(Err(failed)))
        }
    }
}

fn fetch<H: Host>(ctx: &Ctx<'_, H>, url: String) -> Result<(ModelList, UpstreamMeta), Failed> {
    let request = CodexCall {
        method: Method::Get,
        url,
        body: None,
        session_id: None,
        stream: false,
        client: &[],
    };
    let mut upstream = call(ctx, &request)?;
    let meta = upstream.meta.clone();
    let unreadable = GatewayError::upstream_error("model catalog was empty or unreadable");
    match upstream.read_all(CATALOG_LIMIT) {
        Ok(body) => match models::from_backend_catalog(&body) {
            Some(list) => Ok((list, meta)),
            None => Err(Failed::after(unreadable, &meta)),
        },
        Err(err) => Err(Failed::after(err, &meta)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;

    fn listed(ids: &[&str]) -> ModelList {
        let mut list = models::builtin();
        list.data.retain(|m| ids.contains(&m.id.as_str()));
        list
    }

    #[test]
    fn fresh_cache_then_fetch_then_stale_then_builtin() {
        let kv = MemKv::default();
        let ok = |ids: &'static [&'static str]| move || Ok((listed(ids), UpstreamMeta::default()));
        let down = || Err(Failed::from(GatewayError::upstream_error("down")));
        const ONE: &[&str] = &["gpt-5.4"];
        let one = ONE;
        let (list, fetched) = catalog(Some(&kv), 1000, 60, ok(one));
        assert_eq!(
            (list, fetched.map(|f| f.is_ok())),
            (listed(one), Some(true))
        );
        let (list, fetched) = catalog(Some(&kv), 1059, 60, down);
        assert_eq!(
            (list, fetched.is_none()),
            (listed(one), true),
            "fresh: no fetch"
        );
        let (list, fetched) = catalog(Some(&kv), 1061, 60, down);
        assert_eq!(list, listed(one), "stale beats built-in");
        assert!(matches!(fetched, Some(Err(_))));
        let (list, _) = catalog(None::<&MemKv>, 1061, 60, down);
        assert_eq!(list, models::builtin(), "no store, no fetch: built-in");
    }
}
