//! The headless device-code login: show the URL and the user code, poll at the issuer's
//! interval, exchange the approved code.

use std::time::Duration;

use gateway_core::auth::token::TokenRecord;

use super::wait::bounded;
use crate::cli::LoginArgs;
use crate::oauth::device;
use crate::oauth::token::{exchange_code, CodeExchange};
use crate::ui;
use crate::Ctx;

/// Device codes live 15 minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Run the device login and return the new record.
pub async fn login(ctx: &Ctx, args: &LoginArgs) -> anyhow::Result<TokenRecord> {
    let oauth = &ctx.config.oauth;
    let code = device::request(&ctx.http, oauth).await?;
    ui::say("To log in, open this URL on any device and sign in with your ChatGPT account:");
    ui::say("");
    ui::say(&format!("  {}", code.verification_url));
    ui::say("");
    ui::say("Then enter this one-time code:");
    ui::say("");
    ui::say(&format!("  {}", code.user_code));
    ui::say("");
    ui::say("Device codes are a common phishing target: never share this one.");
    tracing::debug!(
        interval_secs = code.interval.as_secs(),
        "login_cli.auth.device polling"
    );
    let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
    bounded("waiting for the device login", timeout, async {
        let grant = device::poll(&ctx.http, oauth, &code).await?;
        let redirect_uri = device::redirect_uri(oauth);
        let exchange = CodeExchange {
            code: &grant.authorization_code,
            redirect_uri: &redirect_uri,
            verifier: &grant.code_verifier,
        };
        exchange_code(&ctx.http, oauth, exchange).await
    })
    .await
}
