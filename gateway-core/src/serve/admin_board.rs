//! `GET /admin/accounts` and `GET /admin/status`: what the dashboard shows of the accounts and
//! the deployment, behind `admin_api_key` like every admin route (and readable by any other
//! client of the admin API). Nothing secret: token health, usage windows and cooldowns by
//! account name; non-secret settings.

use serde::Serialize;

use super::admin_keys::{check_admin, to_json};
use super::dashboard::security_headers;
use super::host::{Host, Reply};
use super::request::Ctx;
use super::responder::{json_header, Responder};
use super::upstream::Handled;
use crate::accounts::health::AccountHealth;
use crate::accounts::index::AccountIndex;
use crate::accounts::DEFAULT_ACCOUNT;
use crate::keys::store::load_index;

/// One account as the dashboard shows it.
#[derive(Debug, Serialize)]
struct Account {
    #[serde(flatten)]
    health: AccountHealth,
    /// The command that gives it a token again, when it needs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

/// Serve `GET /admin/accounts`: every account (the `default` one alone without an index).
pub async fn accounts<H: Host, R: Reply>(ctx: &Ctx<'_, H>, out: &mut Responder<R>) -> Handled {
    check_admin(ctx)?;
    let kv = ctx.host.kv()?;
    let now = ctx.host.now_ms() / 1000;
    let names = match AccountIndex::load(&kv)? {
        Some(index) => index.accounts,
        None => vec![DEFAULT_ACCOUNT.to_owned()],
    };
    let health = AccountHealth::read_all(&kv, &names, now)?;
    let accounts: Vec<Account> = health
        .into_iter()
        .map(|health| {
            let fix = health.token.needs_login.then(|| {
                if health.name == DEFAULT_ACCOUNT {
                    "login-cli auth login (then login-cli auth push --url <this gateway>)".to_owned()
                } else {
                    format!(
                        "login-cli auth login --account {0} (then login-cli auth push --account {0} --url <this gateway>)",
                        health.name
                    )
                }
            });
            Account { health, fix }
        })
        .collect();
    answer(out, &serde_json::json!({ "accounts": accounts })).await
}

/// Serve `GET /admin/status`: mode, store, version, the number of client keys and every
/// setting that is not a secret.
pub async fn status<H: Host, R: Reply>(ctx: &Ctx<'_, H>, out: &mut Responder<R>) -> Handled {
    check_admin(ctx)?;
    let store = ctx.host.kv().ok();
    let keys = store
        .as_ref()
        .map(|kv| load_index(kv).map(|i| i.keys.len()));
    let store_state = match &keys {
        Some(Ok(_)) => "ok",
        _ => "unavailable",
    };
    let settings: serde_json::Map<String, serde_json::Value> = ctx
        .settings
        .public_values()?
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
    let status = serde_json::json!({
        "now": ctx.host.now_ms() / 1000,
        "mode": ctx.settings.mode()?.name(),
        "store": store_state,
        "version": env!("CARGO_PKG_VERSION"),
        "client_keys": keys.and_then(Result::ok),
        "settings": settings,
    });
    answer(out, &status).await
}

async fn answer<R: Reply>(out: &mut Responder<R>, value: &impl Serialize) -> Handled {
    let mut headers = security_headers().to_vec();
    headers.push(json_header());
    out.full(200, &headers, &to_json(value)?).await;
    Ok(None)
}
