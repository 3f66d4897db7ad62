//! `GET /healthz`: liveness plus readiness facts that leak no secret. It reads the store on
//! every call, so a store that hangs shows as a probe that gets no answer.

use super::host::{Host, Reply};
use super::request::Ctx;
use super::responder::{json_header, Responder};
use super::upstream::Handled;
use crate::accounts::health::AccountHealth;
use crate::accounts::index::AccountIndex;
use crate::auth::health::token_health_from_store;
use crate::auth::token::TOKEN_KEY;
use crate::ports::{Kv, KvError};
use serde_json::json;

/// Always 200 while the component runs with valid settings; the body says whether requests
/// can succeed. With several accounts, `accounts` has each one's state.
pub async fn handle<H: Host, R: Reply>(ctx: &Ctx<'_, H>, out: &mut Responder<R>) -> Handled {
    let kv = ctx.host.kv();
    let stored = kv
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|kv| kv.get(TOKEN_KEY));
    let now = ctx.host.now_ms() / 1000;
    let token = match &stored {
        Ok(bytes) => serde_json::to_value(token_health_from_store(bytes.as_deref(), now)).ok(),
        Err(_) => None,
    };
    let accounts = match &kv {
        Ok(kv) => accounts(kv, now),
        Err(_) => Ok(None),
    };
    // A weak admin key is a broken deployment: the probe says so, as a start-up check would.
    ctx.settings.admin_api_key()?;
    let mut body = json!({
        "status": "ok",
        "mode": ctx.settings.mode()?.name(),
        "store": if stored.is_ok() && accounts.is_ok() { "ok" } else { "unavailable" },
        "token": token,
    });
    if let (Ok(Some(accounts)), Some(fields)) = (accounts, body.as_object_mut()) {
        fields.insert(
            "accounts".into(),
            serde_json::to_value(accounts).unwrap_or_default(),
        );
    }
    let mut bytes = body.to_string().into_bytes();
    bytes.push(b'\n');
    out.full(200, &[json_header()], &bytes).await;
    Ok(None)
}

/// Every indexed account's state; `None` for a single-account store.
fn accounts(kv: &dyn Kv, now: i64) -> Result<Option<Vec<AccountHealth>>, KvError> {
    let Some(index) = AccountIndex::load(kv)? else {
        return Ok(None);
    };
    AccountHealth::read_all(kv, &index.accounts, now).map(Some)
}
