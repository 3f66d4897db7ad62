//! `GET /healthz`: liveness plus readiness facts that leak no secret.

use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use gateway_core::config::Mode;
use gateway_core::error::GatewayError;
use gateway_core::ports::Kv;
use serde_json::json;

use crate::host::downstream::Responder;
use crate::host::kv::SpinKv;
use crate::Ctx;

/// Always 200 while the component runs; the body says whether requests can succeed.
pub fn handle(ctx: &mut Ctx, out: &mut Responder) -> Result<(), GatewayError> {
    let (store_ok, record) = match SpinKv::open_default().and_then(|kv| kv.get(TOKEN_KEY)) {
        Ok(bytes) => (
            true,
            bytes.and_then(|b| serde_json::from_slice::<TokenRecord>(&b).ok()),
        ),
        Err(_) => (false, None),
    };
    let mode = match ctx.settings.mode {
        Mode::CodexOauth => "codex_oauth",
        Mode::OpenAiApi => "openai_api",
    };
    let body = json!({
        "status": "ok",
        "mode": mode,
        "store": if store_ok { "ok" } else { "unavailable" },
        "token": { "present": record.is_some() },
    });
    let mut bytes = body.to_string().into_bytes();
    bytes.push(b'\n');
    out.full(200, &[("content-type", "application/json".into())], &bytes);
    Ok(())
}
