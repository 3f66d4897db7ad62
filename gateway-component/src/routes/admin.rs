//! `/admin/token`: install, inspect or remove the stored token on a deployed gateway
//! (`login-cli auth push`). It exists only when the secret `admin_api_key` is set, and checks
//! that key (not the downstream one) in constant time.

use gateway_core::auth::api_key::check_bearer;
use gateway_core::auth::health::token_health_from_store;
use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use gateway_core::error::GatewayError;
use gateway_core::ports::{Clock, Kv};
use spin_sdk::http::{IncomingRequest, Method};

use super::json_header;
use crate::host::clock::WasiClock;
use crate::host::downstream::{read_body, Responder};
use crate::host::kv::SpinKv;
use crate::Ctx;

/// A token record is a few KiB at most.
const RECORD_LIMIT: usize = 64 * 1024;

/// Serve the admin token endpoint.
pub fn handle(
    ctx: &mut Ctx<'_>,
    req: &IncomingRequest,
    out: &mut Responder,
) -> Result<(), GatewayError> {
    let Some(admin_key) = ctx.settings.admin_api_key()? else {
        return Err(GatewayError::NotFound("/admin/token".into()));
    };
    check_bearer(&ctx.headers.values("authorization"), &admin_key)?;
    let kv = SpinKv::open_default().map_err(|e| GatewayError::Kv(e.0))?;
    let kv_err = |e: gateway_core::ports::KvError| GatewayError::Kv(e.0);
    match req.method() {
        Method::Put => {
            let body = read_body(req, &ctx.headers, RECORD_LIMIT)?;
            let record = TokenRecord::from_json(&body)
                .map_err(|e| GatewayError::bad_request(format!("not a token record: {e}")))?;
            crate::host::tokens::install(&ctx.settings, &record)?;
            ctx.log.emit(
                gateway_core::log::LogLevel::Info,
                "gateway.admin.token_stored",
                &[],
            );
        }
        Method::Delete => {
            kv.delete(TOKEN_KEY).map_err(kv_err)?;
            ctx.log.emit(
                gateway_core::log::LogLevel::Info,
                "gateway.admin.token_deleted",
                &[],
            );
        }
        _ => {}
    }
    let stored = kv.get(TOKEN_KEY).map_err(kv_err)?;
    let health = token_health_from_store(stored.as_deref(), WasiClock.now_ms() / 1000);
    let mut body =
        serde_json::to_vec(&health).map_err(|e| GatewayError::Internal(e.to_string()))?;
    body.push(b'\n');
    out.full(200, &[json_header()], &body);
    Ok(())
}
