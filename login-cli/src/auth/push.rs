//! `auth push`: install the stored token into a deployed gateway with `PUT <url>/admin/token`
//! (bearer `admin_api_key`). The gateway answers 404 when its admin endpoint is off and 401 for
//! a wrong key; both are reported with what to do.

use gateway_core::accounts::DEFAULT_ACCOUNT;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use url::Url;

use super::{load_all, login_command, newest};
use crate::cli::PushArgs;
use crate::exit::{fail, ExitKind};
use crate::http::transport_reason;
use crate::login::identity;
use crate::store::locations;
use crate::ui;
use crate::Ctx;

/// Run `auth push`.
pub async fn run(ctx: &Ctx, args: &PushArgs) -> anyhow::Result<()> {
    let account = &args.target.account;
    let endpoint = admin_url(&args.url, args.insecure_http, account)?;
    let stored = load_all(locations(&ctx.paths, &args.target));
    let record = newest(&stored).ok_or_else(|| {
        fail(
            ExitKind::NoToken,
            format!(
                "no readable token is stored here: run {} first",
                login_command(account)
            ),
        )
    })?;
    if account != DEFAULT_ACCOUNT {
        ensure_accounts_known(ctx, &endpoint, &args.admin_key, account).await?;
    }
    let res = ctx
        .http
        .put(endpoint.clone())
        .header(AUTHORIZATION, format!("Bearer {}", args.admin_key.trim()))
        .header(CONTENT_TYPE, "application/json")
        .body(record.to_json()?)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("push to {endpoint} failed: {}", transport_reason(&e)))?;
    let status = res.status().as_u16();
    let refused = |why: String| {
        fail(
            ExitKind::Rejected,
            format!("the gateway at {endpoint} refused the token: {why}"),
        )
    };
    match status {
        200..=299 => {}
        404 => return Err(refused(
            "HTTP 404: its admin endpoint is off. Set the secret Spin variable admin_api_key on the \
             deployment (e.g. SPIN_VARIABLE_ADMIN_API_KEY) and redeploy".into(),
        )),
        401 | 403 => return Err(refused(format!(
            "HTTP {status}: wrong admin key (pass the deployment's admin_api_key with --admin-key or CODEX_GATEWAY_ADMIN_KEY)"
        ))),
        other => {
            let body = res.text().await.unwrap_or_default();
            let excerpt: String = body.chars().take(300).collect();
            return Err(refused(format!("HTTP {other}: {}", excerpt.trim())));
        }
    }
    tracing::debug!(endpoint = %endpoint, "login_cli.auth.push done");
    ui::say(&format!(
        "Pushed the token of {} to {endpoint}.",
        identity(record)
    ));
    ui::say(
        "The deployed gateway now refreshes this token itself; a local gateway holding the same \
         refresh token will be logged out at its next refresh.",
    );
    Ok(())
}

/// A gateway from before several accounts ignores `?account=` and would install the token as
/// its only one, logging that account out: ask first, and go on only if it answers for
/// `account`. Refusals (404, 401) are left to the push itself, which explains them.
async fn ensure_accounts_known(
    ctx: &Ctx,
    endpoint: &Url,
    admin_key: &str,
    account: &str,
) -> anyhow::Result<()> {
    let res = ctx
        .http
        .get(endpoint.clone())
        .header(AUTHORIZATION, format!("Bearer {}", admin_key.trim()))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("push to {endpoint} failed: {}", transport_reason(&e)))?;
    if !res.status().is_success() {
        return Ok(());
    }
    let answer: serde_json::Value = res.json().await.unwrap_or_default();
    if answer.get("account").and_then(|a| a.as_str()) == Some(account) {
        return Ok(());
    }
    Err(fail(
        ExitKind::Rejected,
        format!(
            "the gateway at {endpoint} does not know several accounts (it predates them): \
             pushing --account {account} would replace its only token. Upgrade the gateway first"
        ),
    ))
}

/// `<url>/admin/token`, with `?account=<name>` for any account but `default` (so a push of the
/// default account still works with gateways that predate accounts); plain http only for
/// loopback unless allowed.
fn admin_url(base: &str, insecure_http: bool, account: &str) -> anyhow::Result<Url> {
    let mut url = crate::gateway_url::endpoint(base, "/admin/token", insecure_http, "the token")?;
    if account != DEFAULT_ACCOUNT {
        url.query_pairs_mut().append_pair("account", account);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_urls() {
        let ok = |b: &str| admin_url(b, false, "default").unwrap().to_string();
        assert_eq!(ok("https://gw.example"), "https://gw.example/admin/token");
        assert_eq!(
            ok("https://gw.example/base/"),
            "https://gw.example/base/admin/token"
        );
        assert_eq!(
            ok("http://127.0.0.1:3000"),
            "http://127.0.0.1:3000/admin/token"
        );
        assert!(admin_url("http://gw.example", false, "default").is_err());
        assert!(admin_url("http://gw.example", true, "default").is_ok());
        assert!(admin_url("gw.example", false, "default").is_err());
        assert_eq!(
            admin_url("https://gw.example/base/", false, "work")
                .unwrap()
                .to_string(),
            "https://gw.example/base/admin/token?account=work"
        );
    }
}
