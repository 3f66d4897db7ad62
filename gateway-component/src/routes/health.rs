//! `GET /healthz`: liveness plus readiness facts that leak no secret.

use gateway_core::auth::health::token_health_from_store;
use gateway_core::auth::token::TOKEN_KEY;
use gateway_core::error::GatewayError;
use gateway_core::ports::{Clock, Kv};
use serde_json::json;

use super::json_header;
use crate::host::clock::WasiClock;
use crate::host::downstream::Responder;
use crate::host::kv::SpinKv;
use crate::Ctx;

/// Always 200 while the component runs; the body says whether requests can succeed.
pub fn handle(ctx: &mut Ctx<'_>, out: &mut Responder) -> Result<(), GatewayError> {
    let stored = SpinKv::open_default().and_then(|kv| kv.get(TOKEN_KEY));
    let now = WasiClock.now_ms() / 1000;
    let token = match &stored {
        Ok(bytes) => serde_json::to_value(token_health_from_store(bytes.as_deref(), now)).ok(),
        Err(_) => None,
    };
    let mode = ctx.settings.mode()?.name();
    let body = json!({
        "status": "ok",
        "mode": mode,
        "store": if stored.is_ok() { "ok" } else { "unavailable" },
        "token": token,
    });
    let mut bytes = body.to_string().into_bytes();
    bytes.push(b'\n');
    out.full(200, &[json_header()], &bytes);
    Ok(())
}
