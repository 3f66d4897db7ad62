//! `auth login`: obtain a token (browser, paste or device flow), then store it in every selected
//! store. Nothing is written unless the whole login succeeded.

mod browser;
mod callback;
mod device;
mod page;
mod paste;
mod wait;

use gateway_core::auth::token::TokenRecord;

use crate::cli::{LoginArgs, StoreChoice};
use crate::store::{locations, Location};
use crate::ui;
use crate::Ctx;

/// Run `auth login`.
pub async fn run(ctx: &Ctx, args: &LoginArgs) -> anyhow::Result<()> {
    let targets = locations(&ctx.paths, &args.target);
    let stores = &args.target.stores;
    if stores.store != StoreChoice::File && stores.spin_db.is_none() {
        warn_without_spin_toml(ctx);
    }
    let mode = if args.device {
        "device"
    } else if args.paste {
        "paste"
    } else {
        "browser"
    };
    tracing::debug!(mode, "login_cli.auth.login started");
    let record = if args.device {
        device::login(ctx, args).await?
    } else {
        browser::login(ctx, args).await?
    };
    save_everywhere(&record, &targets)?;
    tracing::debug!(
        mode,
        stores = targets.len(),
        "login_cli.auth.login succeeded"
    );
    ui::say(&format!("Login successful: {}.", identity(&record)));
    ui::say("Token saved to:");
    for target in &targets {
        ui::say(&format!("  - {target}"));
    }
    Ok(())
}

/// Write `record` to every target, all or report which failed.
pub fn save_everywhere(record: &TokenRecord, targets: &[Location]) -> anyhow::Result<()> {
    for (i, target) in targets.iter().enumerate() {
        if let Err(e) = target.save(record) {
            let done: Vec<String> = targets.iter().take(i).map(ToString::to_string).collect();
            if !done.is_empty() {
                ui::warn(&format!(
                    "the token was already saved to: {}",
                    done.join(", ")
                ));
            }
            return Err(e);
        }
    }
    Ok(())
}

/// `dev@example.com (plus plan, account acct-1)`, with what is known.
pub fn identity(record: &TokenRecord) -> String {
    let who = record
        .email
        .clone()
        .unwrap_or_else(|| "unknown email".into());
    let mut facts = Vec::new();
    if let Some(plan) = &record.plan_type {
        facts.push(format!("{plan} plan"));
    }
    if let Some(account) = &record.account_id {
        facts.push(format!("account {account}"));
    }
    if facts.is_empty() {
        who
    } else {
        format!("{who} ({})", facts.join(", "))
    }
}

fn warn_without_spin_toml(ctx: &Ctx) {
    if !ctx.paths.workdir.join("spin.toml").exists() {
        ui::warn(&format!(
            "no spin.toml in {}: `spin up` reads .spin/sqlite_key_value.db next to its spin.toml \
             (use --workdir or --spin-db to point there)",
            ctx.paths.workdir.display()
        ));
    }
}
