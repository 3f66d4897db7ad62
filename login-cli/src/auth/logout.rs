//! `auth logout`: revoke the stored refresh token(s) at the issuer (best effort: a failure is a
//! warning), then remove the record from every selected store.

use super::load_all;
use crate::cli::LogoutArgs;
use crate::oauth::token::revoke;
use crate::store::locations;
use crate::ui;
use crate::Ctx;

/// Run `auth logout`.
pub async fn run(ctx: &Ctx, args: &LogoutArgs) -> anyhow::Result<()> {
    let stored = load_all(locations(&ctx.paths, &args.target));
    let mut tokens: Vec<String> = Vec::new();
    for s in &stored {
        if let Ok(Some(record)) = &s.record {
            let token = record.refresh_token.expose().to_owned();
            if !token.is_empty() && !tokens.contains(&token) {
                tokens.push(token);
            }
        }
    }
    if !args.no_revoke {
        for token in &tokens {
            match revoke(&ctx.http, &ctx.config.oauth, token).await {
                Ok(()) => ui::say(&format!(
                    "Revoked the refresh token at {}.",
                    ctx.config.oauth.issuer
                )),
                Err(e) => ui::warn(&format!(
                    "could not revoke the refresh token at {} ({e:#}); removing it locally anyway",
                    ctx.config.oauth.issuer
                )),
            }
        }
    }
    let mut removed = Vec::new();
    for s in &stored {
        if s.location.remove()? {
            removed.push(s.location.to_string());
        }
    }
    tracing::debug!(
        removed = removed.len(),
        revoked = !args.no_revoke,
        "login_cli.auth.logout done"
    );
    if removed.is_empty() {
        ui::say("No token was stored; nothing to remove.");
    } else {
        ui::say("Removed the token from:");
        for r in &removed {
            ui::say(&format!("  - {r}"));
        }
    }
    Ok(())
}
