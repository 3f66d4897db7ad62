//! `auth list`: every account stored here (the Spin store's account index, or its `default`
//! token without one, plus the token files), each with its plan, token expiry, last usage and
//! cooldown as the gateway recorded them in the Spin store.
//!
//! Prints what `/healthz` would say about each account ([`AccountHealth`]): never a token, an
//! email or a ChatGPT account id, only the account's name. Always exits 0: listing is not a check.

use anyhow::Context as _;
use gateway_core::accounts::health::AccountHealth;
use gateway_core::accounts::index::AccountIndex;
use gateway_core::accounts::state::AccountView;
use gateway_core::accounts::usage::UsageWindow;
use gateway_core::accounts::{check_name, token_key, DEFAULT_ACCOUNT};
use gateway_core::auth::token::TokenRecord;
use gateway_core::ports::Kv as _;
use serde::Serialize;

use super::{expiry, login_command};
use crate::cli::{ListArgs, StoreArgs};
use crate::paths::token_file_account;
use crate::store::{account_locations, spin_db, uses_files, SpinDb};
use crate::ui::{self, now_unix, relative, timestamp};
use crate::Ctx;

/// One account as listed: its health, and which stores hold a token of it.
#[derive(Debug, Serialize)]
struct Listed {
    #[serde(flatten)]
    health: AccountHealth,
    /// `spin` and/or `file`; empty when the index names an account whose token is gone.
    stores: Vec<&'static str>,
}

/// Run `auth list`.
pub fn run(ctx: &Ctx, args: &ListArgs) -> anyhow::Result<()> {
    let now = now_unix();
    let listed = gather(ctx, &args.stores, now)?;
    if args.json {
        ui::say(&serde_json::to_string_pretty(&listed)?);
    } else if listed.is_empty() {
        ui::say(&format!(
            "No accounts are stored here: run {} (add --account NAME for each further account).",
            login_command(DEFAULT_ACCOUNT)
        ));
    } else {
        for account in &listed {
            print_account(account, now);
        }
    }
    Ok(())
}

/// Every account known to the selected stores, the index's order first, then the token files'.
fn gather(ctx: &Ctx, stores: &StoreArgs, now: i64) -> anyhow::Result<Vec<Listed>> {
    // Listing never creates the database `spin up` would create.
    let kv = spin_db(&ctx.paths, stores)
        .filter(|db| db.exists())
        .map(|db| SpinDb::open(&db))
        .transpose()?;
    let mut names = match &kv {
        Some(kv) => spin_accounts(kv)?,
        None => Vec::new(),
    };
    if uses_files(stores) {
        for name in file_accounts(ctx)? {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let view = match &kv {
                Some(kv) => AccountView::load(kv, &name)
                    .with_context(|| format!("read account {name} from the Spin store"))?,
                None => AccountView {
                    name: name.clone(),
                    cooldown: None,
                    usage: None,
                },
            };
            let (token, stores) = stored_token(ctx, stores, &name)?;
            Ok(Listed {
                health: AccountHealth::of(&view, token.as_deref(), now),
                stores,
            })
        })
        .collect()
}

/// The index's accounts; without an index, `default` when its token is stored. Names that are
/// not valid account names are skipped: they would not stay inside their keys and files.
fn spin_accounts(kv: &SpinDb) -> anyhow::Result<Vec<String>> {
    let read = "read the account index from the Spin store";
    let names = match AccountIndex::load(kv).context(read)? {
        Some(index) => index.accounts,
        None if kv.get(&token_key(DEFAULT_ACCOUNT)).context(read)?.is_some() => {
            vec![DEFAULT_ACCOUNT.to_owned()]
        }
        None => Vec::new(),
    };
    Ok(names
        .into_iter()
        .filter(|name| check_name(name).is_ok())
        .collect())
}

/// The accounts with a token file in the workdir, `default` first, then by name.
fn file_accounts(ctx: &Ctx) -> anyhow::Result<Vec<String>> {
    let dir = &ctx.paths.workdir;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("list {}", dir.display()))?
        .filter_map(Result::ok)
        .filter_map(|entry| token_file_account(&entry.file_name().to_string_lossy()))
        .collect();
    names.sort_by_key(|name| (name != DEFAULT_ACCOUNT, name.clone()));
    Ok(names)
}

/// The stored bytes the account's health is read from (the most recently obtained readable
/// record, else whatever unreadable one is there), and the stores holding any.
fn stored_token(
    ctx: &Ctx,
    stores: &StoreArgs,
    name: &str,
) -> anyhow::Result<(Option<Vec<u8>>, Vec<&'static str>)> {
    let mut found = Vec::new();
    let mut kinds = Vec::new();
    for location in account_locations(&ctx.paths, stores, name) {
        if let Some(bytes) = location.read()? {
            kinds.push(location.kind());
            found.push(bytes);
        }
    }
    let newest = found
        .iter()
        .filter_map(|bytes| {
            TokenRecord::from_json(bytes)
                .ok()
                .map(|r| (r.last_refresh, bytes))
        })
        .max_by_key(|(last_refresh, _)| *last_refresh)
        .map(|(_, bytes)| bytes.clone());
    Ok((newest.or_else(|| found.into_iter().next()), kinds))
}

fn print_account(listed: &Listed, now: i64) {
    let Listed { health, stores } = listed;
    let token = &health.token;
    let verdict = match (&health.cooldown, token.needs_login) {
        (_, true) if !token.present => "no token".to_owned(),
        (_, true) => "login needed".to_owned(),
        (Some(cooldown), false) => format!("resting ({})", cooldown.reason),
        (None, false) => "available".to_owned(),
    };
    ui::say(&format!("{}: {verdict}", health.name));
    let line = |label: &str, value: String| ui::say(&format!("  {label:<13} {value}"));
    if stores.is_empty() {
        line(
            "stored in:",
            "nowhere (listed in the account index)".to_owned(),
        );
    } else {
        line("stored in:", stores.join(", "));
    }
    if token.needs_login {
        let why = match (&token.terminal_failure, token.present) {
            (Some(code), _) => format!("the issuer refused the refresh ({code})"),
            (None, true) => "the stored token cannot be read".to_owned(),
            (None, false) => "no token is stored".to_owned(),
        };
        line(
            "login:",
            format!("{why}: run {}", login_command(&health.name)),
        );
    }
    if token.readable {
        let plan = token.plan_type.clone().unwrap_or_else(|| "unknown".into());
        line("plan:", plan);
        line("expires:", expiry(token.expires_at, now));
    }
    if let Some(usage) = &health.usage {
        for (which, window) in [("primary", &usage.primary), ("secondary", &usage.secondary)] {
            if let Some(window) = window {
                line(
                    &format!("{}:", window_label(window, which)),
                    usage_text(window, now),
                );
            }
        }
        line(
            "usage seen:",
            format!("{} ({})", timestamp(usage.at), relative(usage.at, now)),
        );
    }
    if let Some(cooldown) = &health.cooldown {
        let until = match cooldown.until {
            Some(at) => format!("until {} ({})", timestamp(at), relative(at, now)),
            None => format!("until a new login ({})", login_command(&health.name)),
        };
        line("cooldown:", format!("{} {until}", cooldown.reason));
    }
}

/// `5h window`, `7d window`, `90m window`; the header's name when the length is not known.
fn window_label(window: &UsageWindow, which: &str) -> String {
    match window.window_minutes {
        Some(m) if m > 0 && m % (24 * 60) == 0 => format!("{}d window", m / (24 * 60)),
        Some(m) if m > 0 && m % 60 == 0 => format!("{}h window", m / 60),
        Some(m) => format!("{m}m window"),
        None => format!("{which} window"),
    }
}

/// `52.5% used, resets 2026-01-01T05:00:00Z (in 10m 00s)`.
fn usage_text(window: &UsageWindow, now: i64) -> String {
    let used = format!("{}% used", window.used_percent);
    match window.resets_at {
        Some(at) if at > now => format!("{used}, resets {} ({})", timestamp(at), relative(at, now)),
        Some(at) => format!("{used}, reset {} ({})", timestamp(at), relative(at, now)),
        None => used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_named_by_their_length() {
        let window = |minutes| UsageWindow {
            used_percent: 52.5,
            window_minutes: minutes,
            resets_at: Some(700),
        };
        assert_eq!(window_label(&window(Some(300)), "primary"), "5h window");
        assert_eq!(window_label(&window(Some(10_080)), "primary"), "7d window");
        assert_eq!(window_label(&window(Some(90)), "primary"), "90m window");
        assert_eq!(window_label(&window(None), "secondary"), "secondary window");
        assert_eq!(
            usage_text(&window(None), 100),
            "52.5% used, resets 1970-01-01T00:11:40Z (in 10m 00s)"
        );
    }
}
