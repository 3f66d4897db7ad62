//! The browser login: authorize URL with PKCE and state, the local callback (or a pasted
//! redirect), the state check, the code exchange. The browser's page reports the final outcome,
//! exchange included.

use std::time::Duration;

use gateway_core::auth::token::TokenRecord;

use super::callback::{validate, CallbackParams, CallbackServer, Hit};
use super::page::Page;
use super::paste::{parse_pasted, stdin_lines};
use super::wait::bounded;
use crate::cli::LoginArgs;
use crate::oauth::authorize::AuthorizeRequest;
use crate::oauth::token::{exchange_code, CodeExchange};
use crate::ui;
use crate::Ctx;

/// How long the browser login waits by default (the original gateway's 5 minutes).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Run the browser (or paste) login and return the new record.
pub async fn login(ctx: &Ctx, args: &LoginArgs) -> anyhow::Result<TokenRecord> {
    let oauth = &ctx.config.oauth;
    let mut server = if args.paste {
        None
    } else {
        Some(CallbackServer::start(oauth, args.port).await?)
    };
    let redirect_uri = match &server {
        Some(s) => s.redirect_uri.clone(),
        // Nothing listens: "any free port" means nothing, so 0 names the registered port.
        None => {
            let port = match args.port.unwrap_or(oauth.redirect_port) {
                0 => crate::config::DEFAULT_REDIRECT_PORT,
                port => port,
            };
            super::callback::redirect_uri(oauth, port)
        }
    };
    let request = AuthorizeRequest::new(oauth, &redirect_uri)?;
    tell(&request, args);
    if !args.no_browser && !args.paste {
        open_browser(request.url.as_str());
    }
    tracing::debug!(redirect_uri = %redirect_uri, "login_cli.auth.login waiting for the callback");
    let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let what = if args.paste {
        "waiting for the pasted redirect"
    } else {
        "waiting for the browser login"
    };
    let result = bounded(what, timeout, receive(ctx, &request, server.as_mut())).await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    result
}

fn tell(request: &AuthorizeRequest, args: &LoginArgs) {
    ui::say("Open this URL in a browser and log in with your ChatGPT account:");
    ui::say("");
    ui::say(&format!("  {}", request.url));
    ui::say("");
    if args.paste {
        ui::say(&format!(
            "After the login the browser goes to {}?code=… (that page will not load). \
             Copy the whole address from the address bar, paste it here and press Enter:",
            request.redirect_uri
        ));
    } else {
        ui::say(&format!(
            "Waiting for the OAuth callback at {}",
            request.redirect_uri
        ));
        ui::say(
            "If the browser runs on another machine and cannot reach this one, paste the address \
             it ends up on here and press Enter.",
        );
    }
}

fn open_browser(url: &str) {
    if let Err(e) = open::that_detached(url) {
        ui::warn(&format!(
            "could not open a browser ({e}); open the URL above yourself"
        ));
    }
}

enum Event {
    Hit(Hit),
    Pasted(String),
    StdinClosed,
}

async fn receive(
    ctx: &Ctx,
    request: &AuthorizeRequest,
    mut server: Option<&mut CallbackServer>,
) -> anyhow::Result<TokenRecord> {
    let mut pasted = stdin_lines();
    let mut stdin_open = true;
    loop {
        let event = tokio::select! {
            hit = next_hit(server.as_deref_mut()) => Event::Hit(hit),
            line = pasted.recv(), if stdin_open => line.map_or(Event::StdinClosed, Event::Pasted),
        };
        match event {
            Event::Hit(hit) => {
                let result = complete(ctx, request, &hit.params).await;
                hit.reply(match &result {
                    Ok(_) => Page::success(),
                    Err(e) => Page::failure(&format!("{e:#}")),
                });
                return result;
            }
            Event::Pasted(line) => match parse_pasted(&line) {
                Some(params) => return complete(ctx, request, &params).await,
                None if line.trim().is_empty() => {}
                None => ui::warn("that is not the redirect address: paste the whole URL, including ?code=…&state=…"),
            },
            Event::StdinClosed => stdin_open = false,
        }
    }
}

async fn next_hit(server: Option<&mut CallbackServer>) -> Hit {
    match server {
        Some(server) => server.next().await,
        None => std::future::pending().await,
    }
}

async fn complete(
    ctx: &Ctx,
    request: &AuthorizeRequest,
    params: &CallbackParams,
) -> anyhow::Result<TokenRecord> {
    let code = validate(params, |s| request.state_matches(s))?;
    let exchange = CodeExchange {
        code: &code,
        redirect_uri: &request.redirect_uri,
        verifier: request.verifier(),
    };
    exchange_code(&ctx.http, &ctx.config.oauth, exchange).await
}
