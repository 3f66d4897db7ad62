//! `auth status`: who is logged in, expiry and last refresh, where each token is stored.
//! Prints facts only, never a token; exits 0 only when some store holds a usable token.

use gateway_core::auth::health::token_health;
use gateway_core::auth::token::TokenRecord;
use serde_json::json;

use super::{expiry, load_all, login_command, Stored};
use crate::cli::StatusArgs;
use crate::exit::{fail, ExitKind};
use crate::store::locations;
use crate::ui::{self, now_unix, relative, timestamp};
use crate::Ctx;

/// Run `auth status`.
pub fn run(ctx: &Ctx, args: &StatusArgs) -> anyhow::Result<()> {
    let stored = load_all(locations(&ctx.paths, &args.target));
    let now = now_unix();
    let usable = stored.iter().any(|s| is_usable(s, now));
    if args.json {
        let stores: Vec<_> = stored.iter().map(|s| store_json(s, now)).collect();
        ui::say(&serde_json::to_string_pretty(
            &json!({ "usable": usable, "stores": stores }),
        )?);
    } else {
        for s in &stored {
            print_store(s, now);
        }
    }
    if usable {
        Ok(())
    } else {
        Err(fail(
            ExitKind::NoToken,
            format!(
                "no usable token is stored: run {}",
                login_command(&args.target.account)
            ),
        ))
    }
}

/// Present, readable, and not refused by the issuer (an expired access token is fine: the
/// gateway refreshes it).
fn is_usable(stored: &Stored, now: i64) -> bool {
    match &stored.record {
        Ok(Some(record)) => !token_health(Some(record), now).needs_login,
        _ => false,
    }
}

fn store_json(stored: &Stored, now: i64) -> serde_json::Value {
    let base = json!({
        "store": stored.location.kind(),
        "path": stored.location.path().display().to_string(),
    });
    let facts = match &stored.record {
        Ok(None) => json!({ "present": false }),
        Err(e) => json!({ "present": true, "readable": false, "error": format!("{e:#}") }),
        Ok(Some(record)) => {
            let health = token_health(Some(record), now);
            json!({
                "present": true,
                "readable": true,
                "usable": !health.needs_login,
                "email": record.email,
                "plan_type": record.plan_type,
                "account_id": record.account_id,
                "expires_at": record.expires_at,
                "expires_in_secs": health.expires_in_secs,
                "last_refresh": record.last_refresh,
                "last_failure": record.last_failure.as_ref().map(|f| json!({
                    "kind": f.kind, "code": f.code, "at": f.at,
                })),
            })
        }
    };
    let mut out = base;
    if let (Some(out), Some(facts)) = (out.as_object_mut(), facts.as_object()) {
        out.extend(facts.clone());
    }
    out
}

fn print_store(stored: &Stored, now: i64) {
    let where_ = &stored.location;
    match &stored.record {
        Ok(None) => ui::say(&format!("{where_}: no token")),
        Err(e) => ui::say(&format!(
            "{where_}: unreadable ({e:#}); run `login-cli auth login`"
        )),
        Ok(Some(record)) => {
            let verdict = if is_usable(stored, now) {
                "logged in"
            } else {
                "login needed"
            };
            ui::say(&format!("{where_}: {verdict}"));
            for (label, value) in facts(record, now) {
                ui::say(&format!("  {label:<13} {value}"));
            }
        }
    }
}

fn facts(record: &TokenRecord, now: i64) -> Vec<(&'static str, String)> {
    let unknown = || "unknown".to_owned();
    let expires = expiry(record.expires_at, now);
    let mut out = vec![
        ("email:", record.email.clone().unwrap_or_else(unknown)),
        ("plan:", record.plan_type.clone().unwrap_or_else(unknown)),
        (
            "account id:",
            record.account_id.clone().unwrap_or_else(unknown),
        ),
        ("expires:", expires),
        (
            "last refresh:",
            format!(
                "{} ({})",
                timestamp(record.last_refresh),
                relative(record.last_refresh, now)
            ),
        ),
    ];
    if let Some(f) = &record.last_failure {
        let kind = match f.kind {
            gateway_core::auth::token::FailureKind::Terminal => "terminal: log in again",
            gateway_core::auth::token::FailureKind::Transient => "transient: retried",
        };
        out.push((
            "last failure:",
            format!("{} at {} ({kind})", f.code, timestamp(f.at)),
        ));
    }
    out
}
