//! `keys create | list | revoke | rotate`: client keys in the local Spin store or on a deployed
//! gateway (see [`crate::admin_target`]). A key is printed once, when made or rotated.

use gateway_core::keys::store;
use gateway_core::serve::admin_keys::{issued_view, key_view, IssuedView, KeySpec, KeyView};
use reqwest::Method;

use crate::admin_target::{ask, core_error, random_32, Target};
use crate::cli::{GatewayTarget, KeysCommand};
use crate::ui;
use crate::Ctx;

/// Run a `keys` command.
pub async fn run(ctx: &Ctx, command: &KeysCommand) -> anyhow::Result<()> {
    let now = ui::now_unix();
    match command {
        KeysCommand::Create(args) => {
            let spec = KeySpec {
                name: args.name.clone(),
                models: args.models.iter().map(|m| m.trim().to_owned()).collect(),
                limits: args.limits.clone(),
                expires_in: args.expires.clone(),
            };
            let target = Target::of(ctx, &args.target)?;
            let issued = match &target {
                Target::Local(db) => {
                    let new = spec.to_new_key().map_err(core_error)?;
                    let issued = store::create(db, &new, random_32()?, now).map_err(core_error)?;
                    issued_view(db, issued, now).map_err(core_error)?
                }
                Target::Remote { .. } => {
                    let body = serde_json::to_value(&spec)?;
                    ask(ctx, &target, Method::POST, "/admin/keys", Some(body)).await?
                }
            };
            print_issued(&issued, "Created", &args.target)
        }
        KeysCommand::List(args) => {
            let target = Target::of(ctx, &args.target)?;
            let keys = match &target {
                Target::Local(db) => store::list(db)
                    .and_then(|records| records.iter().map(|r| key_view(db, r, now)).collect())
                    .map_err(core_error)?,
                Target::Remote { .. } => {
                    #[derive(serde::Deserialize)]
                    struct Listed {
                        keys: Vec<KeyView>,
                    }
                    let listed: Listed =
                        ask(ctx, &target, Method::GET, "/admin/keys", None).await?;
                    listed.keys
                }
            };
            if args.target.json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                print_list(&keys, now);
            }
            Ok(())
        }
        KeysCommand::Revoke(args) => {
            let target = Target::of(ctx, &args.target)?;
            let view = match &target {
                Target::Local(db) => store::revoke(db, &args.name, now)
                    .and_then(|r| key_view(db, &r, now))
                    .map_err(core_error)?,
                Target::Remote { .. } => {
                    let path = format!("/admin/keys/{}", args.name);
                    ask(ctx, &target, Method::DELETE, &path, None).await?
                }
            };
            if args.target.json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                ui::say(&format!(
                    "Revoked key {}: it is refused from now on.",
                    view.name
                ));
            }
            Ok(())
        }
        KeysCommand::Rotate(args) => {
            let target = Target::of(ctx, &args.target)?;
            let issued = match &target {
                Target::Local(db) => store::rotate(db, &args.name, random_32()?)
                    .and_then(|issued| issued_view(db, issued, now))
                    .map_err(core_error)?,
                Target::Remote { .. } => {
                    let path = format!("/admin/keys/{}/rotate", args.name);
                    ask(ctx, &target, Method::POST, &path, None).await?
                }
            };
            print_issued(&issued, "Rotated", &args.target)
        }
    }
}

fn print_issued(issued: &IssuedView, done: &str, target: &GatewayTarget) -> anyhow::Result<()> {
    if target.json {
        println!("{}", serde_json::to_string_pretty(issued)?);
        return Ok(());
    }
    ui::say(&format!(
        "{done} key {}. It is shown only now (the gateway keeps only its hash):",
        issued.view.name
    ));
    println!("{}", issued.key);
    Ok(())
}

fn print_list(keys: &[KeyView], now: i64) {
    if keys.is_empty() {
        ui::say("No client keys. Make one with: login-cli keys create NAME");
        return;
    }
    for key in keys {
        let last = key
            .last_used_at
            .map_or("never".to_owned(), |at| ui::relative(at, now));
        let models = if key.models.is_empty() {
            "any model".to_owned()
        } else {
            key.models.join(", ")
        };
        println!(
            "{}  {}  {}  created {}  last used {}  {}",
            key.name,
            key.hint,
            key.status,
            ui::timestamp(key.created_at),
            last,
            models
        );
        if let Some(at) = key.expires_at {
            println!("    expires {}", ui::timestamp(at));
        }
        for limit in &key.limits {
            println!(
                "    {}: {} of {} used, window resets {}",
                limit.limit,
                limit.used,
                limit.max,
                ui::relative(limit.resets_at, now)
            );
        }
    }
}
