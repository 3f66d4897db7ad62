//! `usage`: requests and the tokens the backend reported, by day, key or model, for the last N
//! UTC days, from the local Spin store or a deployed gateway (`/admin/usage`).

use gateway_core::calendar::{utc_date, DAY_SECS};
use gateway_core::usage::report::{report, Query, Report};
use reqwest::Method;

use crate::admin_target::{ask, core_error, Target};
use crate::cli::UsageArgs;
use crate::ui;
use crate::Ctx;

/// Run `usage`.
pub async fn run(ctx: &Ctx, args: &UsageArgs) -> anyhow::Result<()> {
    let now = ui::now_unix();
    let from = utc_date(now - (i64::from(args.days) - 1) * DAY_SECS);
    let mut params = vec![("from", from), ("group_by", args.group_by.clone())];
    params.extend(args.key.clone().map(|k| ("key", k)));
    params.extend(args.model.clone().map(|m| ("model", m)));
    let target = Target::of(ctx, &args.target)?;
    let report: Report = match &target {
        Target::Local(db) => {
            let query = Query::from_params(params.iter().map(|(n, v)| (*n, v.as_str())), now)
                .map_err(core_error)?;
            report(db, &query).map_err(core_error)?
        }
        Target::Remote { .. } => {
            let query: Vec<String> = params
                .iter()
                .map(|(n, v)| {
                    format!(
                        "{n}={}",
                        url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                    )
                })
                .collect();
            let path = format!("/admin/usage?{}", query.join("&"));
            ask(ctx, &target, Method::GET, &path, None).await?
        }
    };
    if args.target.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{:<24} {:>9} {:>12} {:>12} {:>12} {:>12}",
        args.group_by, "requests", "input", "cached", "output", "reasoning"
    );
    for row in report.rows.iter().chain(std::iter::once(&report.total)) {
        println!(
            "{:<24} {:>9} {:>12} {:>12} {:>12} {:>12}",
            row.group,
            row.requests,
            row.tokens.input_tokens,
            row.tokens.cached_input_tokens,
            row.tokens.output_tokens,
            row.tokens.reasoning_tokens
        );
    }
    ui::say(&format!(
        "{} to {} (UTC); tokens as the backend reported them.",
        report.from, report.to
    ));
    Ok(())
}
