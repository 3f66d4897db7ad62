//! Several accounts behind one gateway: pick the account for a call, fail over to the next one
//! when the backend refuses the account before any byte reached the client, and share what was
//! learned (cooldowns, usage) with every instance through the store.

use super::host::Host;
use super::request::Ctx;
use super::upstream::{Failed, Upstream, UpstreamMeta};
use crate::accounts::choose::{order, Strategy, TURN_KEY};
use crate::accounts::state::{cool_down, record_usage, AccountView, Cooldown, CooldownReason};
use crate::accounts::usage::UsageSnapshot;
use crate::error::{GatewayError, UpstreamCode};
use crate::log::{Field, LogLevel};
use crate::ports::Kv;

/// Response header naming the account that served.
pub const ACCOUNT_HEADER: &str = "x-codex-gateway-account";

/// How long an account the backend refused (401 after a refresh, 403) rests.
pub const REFUSED_COOLDOWN_SECS: i64 = 300;

/// How long a quota refusal without a reset time rests the account.
pub const QUOTA_COOLDOWN_SECS: i64 = 60;

/// How often an account that needs a login is tried again, so that a login written some other
/// way than through login-cli or `/admin/token` (by hand, or a mounted file) is noticed. Trying
/// costs a store read: a refused refresh is recorded, and the issuer is not asked again.
pub const NEEDS_LOGIN_RECHECK_SECS: i64 = 600;

/// Call upstream through `attempt` (one account's call) with the best account among
/// `accounts`, failing over on refusals. `session` keeps a conversation on one account.
pub async fn call<H: Host, B>(
    ctx: &Ctx<'_, H>,
    kv: &dyn Kv,
    accounts: &[String],
    session: Option<&str>,
    attempt: impl AsyncFn(&str) -> Result<Upstream<B>, Failed>,
) -> Result<Upstream<B>, Failed> {
    let now = ctx.host.now_ms() / 1000;
    let mut views = accounts
        .iter()
        .map(|name| AccountView::load(kv, name))
        .collect::<Result<Vec<_>, _>>()?;
    let strategy = ctx.settings.account_strategy()?;
    // Strict turns need the shared counter, a write; a tie is broken at random, with none.
    let turn = || match strategy {
        Strategy::RoundRobin => kv
            .increment(TURN_KEY, 1)
            .map(i64::unsigned_abs)
            .unwrap_or_else(|_| ctx.host.random_u64()),
        Strategy::Headroom | Strategy::FillFirst => ctx.host.random_u64(),
    };
    let mut last: Option<Failed> = None;
    for i in order(strategy, &views, session, now, turn) {
        let Some(view) = views.get(i) else { continue };
        match attempt(&view.name).await {
            Ok(mut upstream) => {
                remember_usage(ctx, kv, view, &upstream.meta, now);
                name_account(&mut upstream.meta, &view.name);
                return Ok(upstream);
            }
            Err(mut failed) => {
                if let Some(meta) = &failed.upstream {
                    remember_usage(ctx, kv, view, meta, now);
                }
                let Some(next) = failover(&failed.err) else {
                    if let Some(meta) = failed.upstream.as_mut() {
                        name_account(meta, &view.name);
                    }
                    return Err(failed);
                };
                if let Some(reason) = next {
                    let cooldown = cooldown_for(reason, &failed.err, now);
                    rest(ctx, kv, &view.name, &cooldown);
                    if let Some(view) = views.get_mut(i) {
                        view.cooldown = Some(cooldown);
                    }
                }
                last = Some(failed);
            }
        }
    }
    Err(exhausted(&views, now, last))
}

/// Whether a failure is one another account may not have (`Some`), and the cooldown it earns
/// (`Some(Some(reason))`), or a failure of the request itself (`None`).
fn failover(err: &GatewayError) -> Option<Option<CooldownReason>> {
    match err {
        GatewayError::Upstream { code, .. } if UpstreamCode::QUOTA.contains(code) => {
            Some(Some(CooldownReason::UsageLimit))
        }
        GatewayError::Upstream {
            code: UpstreamCode::Unauthorized | UpstreamCode::Forbidden,
            ..
        } => Some(Some(CooldownReason::Refused)),
        _ if crate::auth::refresh::needs_login(err) => Some(Some(CooldownReason::NeedsLogin)),
        // A refresh that failed for now: the record already backs off; try the others.
        _ if err.code() == "oauth_refresh_failed" => Some(None),
        _ => None,
    }
}

fn cooldown_for(reason: CooldownReason, err: &GatewayError, now: i64) -> Cooldown {
    let secs = match reason {
        CooldownReason::UsageLimit => err
            .retry_after()
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(QUOTA_COOLDOWN_SECS),
        CooldownReason::Refused => REFUSED_COOLDOWN_SECS,
        CooldownReason::NeedsLogin => NEEDS_LOGIN_RECHECK_SECS,
    };
    Cooldown {
        reason,
        at: now,
        until: Some(now.saturating_add(secs.max(1))),
    }
}

/// Store a cooldown; a store that fails only means other instances learn it themselves.
fn rest<H: Host>(ctx: &Ctx<'_, H>, kv: &dyn Kv, account: &str, cooldown: &Cooldown) {
    let stored = cool_down(kv, account, cooldown).is_ok();
    let mut fields = vec![
        ("account", Field::from(account)),
        ("reason", Field::from(cooldown.reason.as_str())),
        ("stored", Field::from(stored)),
    ];
    if let Some(secs) = cooldown.remaining(cooldown.at) {
        fields.push(("secs", Field::Int(secs)));
    }
    ctx.log
        .emit(LogLevel::Warn, "gateway.account.cooling_down", &fields);
}

/// Store the usage an answer reported, only when it differs from what the store holds.
fn remember_usage<H: Host>(
    ctx: &Ctx<'_, H>,
    kv: &dyn Kv,
    view: &AccountView,
    meta: &UpstreamMeta,
    now: i64,
) {
    let header = |name: &str| {
        meta.relayed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(usage) = UsageSnapshot::from_headers(header, now) else {
        return;
    };
    if view
        .usage
        .as_ref()
        .is_some_and(|stored| stored.same_as(&usage))
    {
        return;
    }
    if record_usage(kv, &view.name, &usage).is_err() {
        ctx.log.emit(
            LogLevel::Warn,
            "gateway.account.usage_not_stored",
            &[("account", Field::from(view.name.as_str()))],
        );
    }
}

fn name_account(meta: &mut UpstreamMeta, account: &str) {
    meta.relayed
        .push((ACCOUNT_HEADER.to_owned(), account.to_owned()));
    meta.account = Some(account.to_owned());
}

/// The answer when no account could serve. When some account did not rest, its failure stands.
/// When every account rests: 429 with a `Retry-After` of the earliest return, coded
/// `usage_limit_reached` when a usage limit is among the reasons, else `rate_limit_exceeded`,
/// and naming the last refusal this request met (a 403 that is not about quota, a region block
/// say, is not hidden behind the 429); 503 asking for a login when no account has one.
fn exhausted(views: &[AccountView], now: i64, last: Option<Failed>) -> Failed {
    let resting: Vec<&Cooldown> = views
        .iter()
        .filter_map(|v| v.cooldown.as_ref().filter(|c| c.active(now)))
        .collect();
    if resting.len() < views.len() {
        if let Some(last) = last {
            return last;
        }
    }
    let back_in = resting
        .iter()
        .filter(|c| c.reason != CooldownReason::NeedsLogin)
        .filter_map(|c| c.remaining(now))
        .min();
    let Some(secs) = back_in else {
        return GatewayError::oauth_unavailable(
            "no account has a usable login; run `login-cli auth login --account <name>` \
             (`login-cli auth list` shows them)",
        )
        .into();
    };
    let quota = resting
        .iter()
        .any(|c| c.reason == CooldownReason::UsageLimit);
    let (code, why) = if quota {
        (
            UpstreamCode::UsageLimitReached,
            "a usage limit or a refusal",
        )
    } else {
        (
            UpstreamCode::RateLimitExceeded,
            "the backend refused them (401/403)",
        )
    };
    let mut message = format!(
        "every account is cooling down after {why}; the first is available again in {secs} s"
    );
    if let Some(last) = &last {
        message.push_str(&format!("; the last refusal: {}", last.err));
    }
    GatewayError::Upstream {
        status: 429,
        code,
        message,
        retry_after: Some(secs.max(1).unsigned_abs()),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(status: u16, code: UpstreamCode, retry_after: Option<u64>) -> GatewayError {
        GatewayError::Upstream {
            status,
            code,
            message: "m".into(),
            retry_after,
        }
    }

    #[test]
    fn refusals_of_the_account_fail_over_and_failures_of_the_request_do_not() {
        let table = [
            (
                upstream(429, UpstreamCode::UsageLimitReached, Some(9)),
                Some(Some(CooldownReason::UsageLimit)),
            ),
            (
                upstream(429, UpstreamCode::RateLimitExceeded, None),
                Some(Some(CooldownReason::UsageLimit)),
            ),
            (
                upstream(401, UpstreamCode::Unauthorized, None),
                Some(Some(CooldownReason::Refused)),
            ),
            (
                upstream(403, UpstreamCode::Forbidden, None),
                Some(Some(CooldownReason::Refused)),
            ),
            (
                GatewayError::oauth_unavailable("login"),
                Some(Some(CooldownReason::NeedsLogin)),
            ),
            (
                GatewayError::oauth_refresh_failed("later", Some(5)),
                Some(None),
            ),
            (upstream(400, UpstreamCode::BadRequest, None), None),
            (upstream(503, UpstreamCode::ServerOverloaded, None), None),
            (upstream(502, UpstreamCode::Error, None), None),
            (GatewayError::bad_request("x"), None),
        ];
        for (err, expected) in table {
            assert_eq!(failover(&err), expected, "{err:?}");
        }
    }

    #[test]
    fn cooldowns_last_until_the_reset_or_a_new_login() {
        let quota = upstream(429, UpstreamCode::UsageLimitReached, Some(120));
        let c = cooldown_for(CooldownReason::UsageLimit, &quota, 1000);
        assert_eq!(c.until, Some(1120));
        let bare = upstream(429, UpstreamCode::RateLimitExceeded, None);
        let c = cooldown_for(CooldownReason::UsageLimit, &bare, 1000);
        assert_eq!(c.until, Some(1000 + QUOTA_COOLDOWN_SECS));
        let c = cooldown_for(CooldownReason::Refused, &bare, 1000);
        assert_eq!(c.until, Some(1000 + REFUSED_COOLDOWN_SECS));
        let c = cooldown_for(CooldownReason::NeedsLogin, &bare, 1000);
        assert_eq!(c.until, Some(1000 + NEEDS_LOGIN_RECHECK_SECS));
    }

    fn resting(name: &str, reason: CooldownReason, until: i64) -> AccountView {
        AccountView {
            name: name.into(),
            cooldown: Some(Cooldown {
                reason,
                at: 0,
                until: Some(until),
            }),
            usage: None,
        }
    }

    #[test]
    fn with_every_account_resting_the_answer_says_why_and_until_when() {
        use CooldownReason::{NeedsLogin, Refused, UsageLimit};
        let views = [
            resting("a", UsageLimit, 400),
            resting("b", Refused, 160),
            resting("c", NeedsLogin, 110),
        ];
        let failed = exhausted(&views, 100, None);
        assert_eq!(failed.err.status(), 429);
        assert_eq!(failed.err.code(), "usage_limit_reached");
        assert_eq!(failed.err.retry_after(), Some(60), "b is back first");

        let refused = [resting("a", Refused, 400), resting("b", NeedsLogin, 110)];
        let met = Failed::from(upstream(403, UpstreamCode::Forbidden, None));
        let failed = exhausted(&refused, 100, Some(met));
        assert_eq!(failed.err.status(), 429, "every account rests");
        assert_eq!(
            failed.err.code(),
            "rate_limit_exceeded",
            "not a usage limit"
        );
        assert_eq!(failed.err.retry_after(), Some(300));
        assert!(
            failed.err.to_string().contains("the last refusal: m"),
            "{}",
            failed.err
        );

        let all_need_login = [resting("a", NeedsLogin, 700)];
        let failed = exhausted(&all_need_login, 100, None);
        assert_eq!(failed.err.code(), "oauth_unavailable");

        let mut one_free = views.to_vec();
        one_free[1].cooldown = None;
        let last = Failed::from(GatewayError::oauth_refresh_failed("issuer down", Some(3)));
        let failed = exhausted(&one_free, 100, Some(last));
        assert_eq!(
            failed.err.code(),
            "oauth_refresh_failed",
            "the last failure stands"
        );
    }
}
