//! `GET /healthz`: liveness plus readiness facts that leak no secret. It reads the store on
//! every call, so a store that hangs shows as a probe that gets no answer.

use super::host::{Host, Reply};
use super::request::Ctx;
use super::responder::{json_header, Responder};
use super::upstream::Handled;
use crate::auth::health::token_health_from_store;
use crate::auth::token::TOKEN_KEY;
use crate::ports::Kv;
use serde_json::json;

/// Always 200 while the component runs with valid settings; the body says whether requests
/// can succeed.
pub fn handle<H: Host, R: Reply>(ctx: &Ctx<'_, H>, out: &mut Responder<R>) -> Handled {
    let stored = ctx.host.kv().and_then(|kv| kv.get(TOKEN_KEY));
    let now = ctx.host.now_ms() / 1000;
    let token = match &stored {
        Ok(bytes) => serde_json::to_value(token_health_from_store(bytes.as_deref(), now)).ok(),
        Err(_) => None,
    };
    let body = json!({
        "status": "ok",
        "mode": ctx.settings.mode()?.name(),
        "store": if stored.is_ok() { "ok" } else { "unavailable" },
        "token": token,
    });
    let mut bytes = body.to_string().into_bytes();
    bytes.push(b'\n');
    out.full(200, &[json_header()], &bytes);
    Ok(None)
}
