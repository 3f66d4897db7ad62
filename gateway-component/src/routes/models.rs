//! `GET /v1/models`: the live Codex catalog, cached in the store, with the built-in list as the
//! fallback (a model list never fails because of the backend); in `openai_api` mode, the
//! upstream's own list.

use gateway_core::config::Mode;
use gateway_core::error::GatewayError;
use gateway_core::openai::models::{self, CachedModels, ModelList, MODELS_CACHE_KEY};
use gateway_core::ports::{Clock, Kv};
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use super::{json_header, proxy};
use crate::host::clock::WasiClock;
use crate::host::codex::{call, CodexCall};
use crate::host::downstream::Responder;
use crate::host::kv::SpinKv;
use crate::Ctx;

const CATALOG_LIMIT: usize = 4 * 1024 * 1024;

/// Serve the model list.
pub fn handle(ctx: &mut Ctx<'_>, out: &mut Responder) -> Result<(), GatewayError> {
    if ctx.settings.mode()? == Mode::OpenAiApi {
        return proxy::forward(ctx, "/v1/models", None, out);
    }
    // Settings are checked before the cache, so a bad one is an error, never a fallback.
    let ttl = ctx.settings.models_cache_ttl_secs()?;
    let url = ctx.settings.codex_models_url()?;
    let now = WasiClock.now_ms() / 1000;
    let kv = SpinKv::open_default().ok();
    let cached = kv
        .as_ref()
        .and_then(|kv| kv.get(MODELS_CACHE_KEY).ok().flatten())
        .and_then(|bytes| serde_json::from_slice::<CachedModels>(&bytes).ok());
    let list = match cached {
        Some(c) if c.is_fresh(now, ttl) => c.list,
        stale => match fetch(ctx, url) {
            Ok(list) => {
                let entry = CachedModels {
                    fetched_at: now,
                    list,
                };
                if let (Some(kv), Ok(bytes)) = (&kv, serde_json::to_vec(&entry)) {
                    let _ = kv.set(MODELS_CACHE_KEY, &bytes);
                }
                entry.list
            }
            Err(err) => {
                ctx.log.emit(
                    gateway_core::log::LogLevel::Warn,
                    "gateway.models.fallback",
                    &err.log_fields(),
                );
                stale.map_or_else(models::builtin, |c| c.list)
            }
        },
    };
    out.full(200, &[json_header()], &list.to_json());
    Ok(())
}

fn fetch(ctx: &mut Ctx<'_>, url: String) -> Result<ModelList, GatewayError> {
    let mut upstream = call(
        ctx,
        &CodexCall {
            method: Method::Get,
            url,
            body: None,
            session_id: None,
        },
    )?;
    let body = upstream.read_all(CATALOG_LIMIT)?;
    models::from_backend_catalog(&body)
        .ok_or_else(|| GatewayError::upstream_error("model catalog was empty or unreadable"))
}
