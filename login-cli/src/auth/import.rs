//! `auth import`: copy the official Codex CLI's `auth.json` (or a login-cli token file) into the
//! selected stores.

use std::path::PathBuf;

use anyhow::Context as _;
use gateway_core::auth::token::TokenRecord;

use crate::cli::ImportArgs;
use crate::exit::{fail, ExitKind};
use crate::login::{identity, save_everywhere};
use crate::store::locations;
use crate::ui::{self, now_unix};
use crate::Ctx;

/// Run `auth import`.
pub fn run(ctx: &Ctx, args: &ImportArgs) -> anyhow::Result<()> {
    let source = match &args.from {
        Some(path) => path.clone(),
        None => default_source().ok_or_else(|| {
            fail(
                ExitKind::Usage,
                "cannot locate ~/.codex/auth.json (no HOME); pass --from FILE",
            )
        })?,
    };
    let bytes = std::fs::read(&source).with_context(|| format!("read {}", source.display()))?;
    let record = parse(&bytes).with_context(|| format!("import {}", source.display()))?;
    let targets = locations(&ctx.paths, &args.target);
    save_everywhere(&record, &targets)?;
    tracing::debug!(stores = targets.len(), "login_cli.auth.import done");
    ui::say(&format!(
        "Imported {} from {}.",
        identity(&record),
        source.display()
    ));
    ui::say("Token saved to:");
    for t in &targets {
        ui::say(&format!("  - {t}"));
    }
    ui::warn(
        "the Codex CLI and the gateway now share one refresh token; refresh tokens are single-use, \
         so whichever refreshes second is logged out. Prefer `login-cli auth login` for the gateway.",
    );
    Ok(())
}

/// A Codex CLI `auth.json`, or a record login-cli wrote (it has a `version`).
fn parse(bytes: &[u8]) -> anyhow::Result<TokenRecord> {
    #[derive(serde::Deserialize)]
    struct Probe {
        version: Option<serde_json::Value>,
    }
    let is_record = serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.version.is_some());
    let parsed = if is_record {
        TokenRecord::from_json(bytes)
    } else {
        TokenRecord::from_codex_auth_json(bytes, now_unix())
    };
    parsed.map_err(|e| fail(ExitKind::Error, e.to_string()))
}

/// `$CODEX_HOME/auth.json`, else `~/.codex/auth.json`.
fn default_source() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CODEX_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home).join("auth.json"));
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".codex").join("auth.json"))
}
