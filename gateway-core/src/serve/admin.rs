//! `/admin/token`: install, inspect or remove the stored token on a deployed gateway
//! (`login-cli auth push`). It exists only when the secret `admin_api_key` is set, and checks
//! that key (not the downstream one) in constant time. `?account=<name>` picks the account
//! (default: `default`).

use super::host::{Host, Reply, RequestBody};
use super::request::{read_body, Ctx};
use super::responder::{json_header, Responder};
use super::tokens;
use super::upstream::Handled;
use crate::accounts::{check_name, index, state, token_key, DEFAULT_ACCOUNT};
use crate::auth::health::{token_health_from_store, TokenHealth};
use crate::auth::token::TokenRecord;
use crate::error::GatewayError;
use crate::log::{Field, LogLevel};
use crate::ports::Kv;

/// A token record is a few KiB at most.
const RECORD_LIMIT: usize = 64 * 1024;

/// Serve `method` (`GET`, `PUT` or `DELETE`) on the admin token endpoint.
pub async fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    method: &str,
    path: &str,
    body: &mut impl RequestBody,
    out: &mut Responder<R>,
) -> Handled {
    super::admin_keys::check_admin(ctx)?;
    let account = account_of(path)?;
    let key = token_key(&account);
    let logged = [("account", Field::from(account.as_str()))];
    let kv = ctx.host.kv()?;
    match method {
        "PUT" => {
            let body = read_body(&ctx.headers, body, RECORD_LIMIT).await?;
            let record = TokenRecord::from_json(&body)
                .map_err(|e| GatewayError::bad_request(format!("not a token record: {e}")))?;
            tokens::install(ctx, &account, &record)?;
            ctx.log
                .emit(LogLevel::Info, "gateway.admin.token_stored", &logged);
        }
        "DELETE" => {
            kv.delete(&key)?;
            index::unregister(&kv, &account)?;
            state::clear(&kv, &account)?;
            ctx.log
                .emit(LogLevel::Info, "gateway.admin.token_deleted", &logged);
        }
        _ => {}
    }
    // This instance's next requests see the change at once (other instances within a second).
    if let Some(memo) = ctx.host.memo() {
        memo.clear();
    }
    let stored = kv.get(&key)?;
    let answer = Answer {
        account: &account,
        token: token_health_from_store(stored.as_deref(), ctx.host.now_ms() / 1000),
    };
    let mut json =
        serde_json::to_vec(&answer).map_err(|e| GatewayError::Internal(e.to_string()))?;
    json.push(b'\n');
    out.full(200, &[json_header()], &json).await;
    Ok(None)
}

/// The answer: the account's token health, and the account it is about, so that a client can
/// tell a gateway that knows accounts from one that would ignore `?account=`.
#[derive(serde::Serialize)]
struct Answer<'a> {
    account: &'a str,
    #[serde(flatten)]
    token: TokenHealth,
}

/// The account named by the query's `account` parameter (default: `default`).
fn account_of(path: &str) -> Result<String, GatewayError> {
    let query = path.split_once('?').map_or("", |(_, q)| q);
    let named = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "account")
        .map(|(_, value)| value);
    let Some(account) = named else {
        return Ok(DEFAULT_ACCOUNT.to_owned());
    };
    check_name(account).map_err(|why| GatewayError::bad_param("account", why))?;
    Ok(account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::account_of;

    #[test]
    fn the_account_comes_from_the_query() {
        assert_eq!(account_of("/admin/token").unwrap(), "default");
        assert_eq!(account_of("/admin/token?x=1&account=work").unwrap(), "work");
        let bad = account_of("/admin/token?account=Work%2F").unwrap_err();
        assert_eq!(bad.param(), Some("account"));
    }
}
