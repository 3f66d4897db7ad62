//! `/admin/token`: install, inspect or remove the stored token on a deployed gateway
//! (`login-cli auth push`). It exists only when the secret `admin_api_key` is set, and checks
//! that key (not the downstream one) in constant time.

use super::host::{Host, Reply, RequestBody};
use super::request::{read_body, Ctx};
use super::responder::{json_header, Responder};
use super::tokens;
use super::upstream::Handled;
use crate::auth::api_key::check_bearer;
use crate::auth::health::token_health_from_store;
use crate::auth::token::{TokenRecord, TOKEN_KEY};
use crate::error::GatewayError;
use crate::log::LogLevel;
use crate::ports::Kv;

/// A token record is a few KiB at most.
const RECORD_LIMIT: usize = 64 * 1024;

/// Serve `method` (`GET`, `PUT` or `DELETE`) on the admin token endpoint.
pub fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    method: &str,
    body: &mut impl RequestBody,
    out: &mut Responder<R>,
) -> Handled {
    let Some(admin_key) = ctx.settings.admin_api_key()? else {
        return Err(GatewayError::NotFound("/admin/token".into()).into());
    };
    check_bearer(&ctx.headers.values("authorization"), &admin_key)?;
    let kv = ctx.host.kv()?;
    match method {
        "PUT" => {
            let body = read_body(&ctx.headers, body, RECORD_LIMIT)?;
            let record = TokenRecord::from_json(&body)
                .map_err(|e| GatewayError::bad_request(format!("not a token record: {e}")))?;
            tokens::install(ctx, &record)?;
            ctx.log
                .emit(LogLevel::Info, "gateway.admin.token_stored", &[]);
        }
        "DELETE" => {
            kv.delete(TOKEN_KEY)?;
            ctx.log
                .emit(LogLevel::Info, "gateway.admin.token_deleted", &[]);
        }
        _ => {}
    }
    let stored = kv.get(TOKEN_KEY)?;
    let health = token_health_from_store(stored.as_deref(), ctx.host.now_ms() / 1000);
    let mut json =
        serde_json::to_vec(&health).map_err(|e| GatewayError::Internal(e.to_string()))?;
    json.push(b'\n');
    out.full(200, &[json_header()], &json);
    Ok(None)
}
