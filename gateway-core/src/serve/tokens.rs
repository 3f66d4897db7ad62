//! Token acquisition for one request: the core's refresh protocol over the host's store,
//! clock and outgoing HTTP, and a mounted `oauth-token.json` imported when the store cannot
//! serve.

use super::host::{Host, Method, Outgoing};
use super::request::{Ctx, Logger};
use crate::accounts::{index, state, token_key, DEFAULT_ACCOUNT};
use crate::auth::install::install_exclusively;
use crate::auth::oauth::{
    parse_token_response, refresh_form_body, RefreshError, TokenEndpoint, TokenResponse,
};
use crate::auth::refresh::{acquire_token, force_refresh, needs_login, ready_token, RefreshPolicy};
use crate::auth::token::{choose_import, FailureKind, TokenRecord, TOKEN_KEY};
use crate::config::Settings;
use crate::error::GatewayError;
use crate::log::{Field, LogLevel};
use crate::memo::Reads;
use crate::ports::Kv;

/// Token responses are small; anything bigger is not a token response.
const TOKEN_BODY_LIMIT: usize = 256 * 1024;
/// Below the refresh lease TTL, so a slow issuer cannot outlive the lease.
const TOKEN_TIMEOUT_SECS: u64 = 20;

/// The issuer's token endpoint over the host's HTTP. Only the lease winner ever calls it, so
/// its log lines are the record of every refresh across all instances.
struct HttpIssuer<'a, H: Host> {
    host: &'a H,
    url: String,
    client_id: String,
    /// A refresher must finish well within its lease, or another instance takes over.
    timeout_secs: u64,
    log: &'a Logger<'a>,
}

impl<H: Host> TokenEndpoint for HttpIssuer<'_, H> {
    fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, RefreshError> {
        self.log
            .emit(LogLevel::Info, "gateway.oauth.refresh_started", &[]);
        let result = self.call(refresh_token);
        match &result {
            Ok(_) => self
                .log
                .emit(LogLevel::Info, "gateway.oauth.refreshed", &[]),
            Err(e) => self.log.emit(
                LogLevel::Warn,
                "gateway.oauth.refresh_failed",
                &[
                    ("code", Field::from(e.code.as_str())),
                    ("terminal", Field::from(e.kind == FailureKind::Terminal)),
                ],
            ),
        }
        result
    }
}

impl<H: Host> HttpIssuer<'_, H> {
    fn call(&self, refresh_token: &str) -> Result<TokenResponse, RefreshError> {
        let body = refresh_form_body(&self.client_id, refresh_token);
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "application/json".to_owned()),
        ];
        let network = |e: GatewayError| RefreshError::network(e.to_string());
        let outgoing = Outgoing {
            method: Method::Post,
            url: &self.url,
            headers: &headers,
            body: Some(body.as_bytes()),
            idle_secs: self.timeout_secs,
        };
        let answer = self
            .host
            .send_whole(&outgoing, TOKEN_BODY_LIMIT)
            .map_err(network)?;
        parse_token_response(answer.status, &answer.body)
    }
}

/// The refresh policy and the issuer, read before any token work so that a bad setting is a
/// `config_invalid` answer, never a refresh failure recorded in the shared store.
fn refresher<'a, H: Host>(
    ctx: &'a Ctx<'a, H>,
) -> Result<(RefreshPolicy, HttpIssuer<'a, H>), GatewayError> {
    let policy = policy(&ctx.settings)?;
    let issuer = HttpIssuer {
        host: ctx.host,
        url: ctx.settings.token_url()?,
        client_id: ctx.settings.oauth_client_id()?,
        timeout_secs: TOKEN_TIMEOUT_SECS
            .min(policy.lease_ttl_secs.unsigned_abs() / 2)
            .max(1),
        log: &ctx.log,
    };
    Ok((policy, issuer))
}

fn policy(settings: &Settings) -> Result<RefreshPolicy, GatewayError> {
    Ok(RefreshPolicy {
        margin_secs: settings.refresh_margin_secs()?,
        lease_ttl_secs: settings.refresh_lease_ttl_secs()?,
        wait_max_ms: settings.refresh_wait_secs()?.saturating_mul(1000),
        ..RefreshPolicy::default()
    })
}

/// Install a login from outside (`PUT /admin/token`) as `account`'s, exclusively with any
/// refresher of the stored generation, so neither write is lost. The account joins the index
/// and starts afresh: no cooldown, no old usage.
pub fn install<H: Host>(
    ctx: &Ctx<'_, H>,
    account: &str,
    record: &TokenRecord,
) -> Result<(), GatewayError> {
    let policy = policy(&ctx.settings)?;
    let kv = ctx.host.kv()?;
    let nonce = ctx.host.random_u64();
    let key = token_key(account);
    install_exclusively(&kv, &key, ctx.host, &policy, nonce, |_| {
        Some(record.clone())
    })?;
    index::register(&kv, account)?;
    state::clear(&kv, account)?;
    Ok(())
}

/// A usable token of `account`, refreshed first if it is about to expire. The mounted token
/// file (the `default` account's) is read only when the store has no usable token, so a
/// serving gateway never touches the file system.
pub fn current<H: Host>(
    ctx: &Ctx<'_, H>,
    reads: &Reads<'_>,
    account: &str,
) -> Result<TokenRecord, GatewayError> {
    let key = token_key(account);
    let margin = ctx.settings.refresh_margin_secs()?;
    if let Some(record) = ready_token(reads, &key, ctx.host, margin)? {
        return Ok(record);
    }
    // The refresh protocol sees every instance's writes: it reads the store itself.
    let kv = reads.store();
    let (policy, issuer) = refresher(ctx)?;
    let acquire = || acquire_token(kv, &key, ctx.host, &issuer, &policy, ctx.host.random_u64());
    let record = match acquire() {
        Err(err)
            if needs_login(&err)
                && account == DEFAULT_ACCOUNT
                && import_mounted_file(ctx, kv, &policy)? =>
        {
            acquire()
        }
        result => result,
    }?;
    remember(reads, &key, &record);
    Ok(record)
}

/// Keep a token the protocol just read or wrote for this instance's next requests.
fn remember(reads: &Reads<'_>, key: &str, record: &TokenRecord) {
    match record.to_json() {
        Ok(json) => reads.remember(key, json),
        Err(_) => reads.forget(key),
    }
}

/// A replacement for `account`'s token that the upstream rejected with 401.
pub fn replace<H: Host>(
    ctx: &Ctx<'_, H>,
    reads: &Reads<'_>,
    account: &str,
    rejected: &TokenRecord,
) -> Result<TokenRecord, GatewayError> {
    let key = token_key(account);
    reads.forget(&key);
    let (policy, issuer) = refresher(ctx)?;
    let token = rejected.access_token.expose();
    let record = force_refresh(
        reads.store(),
        &key,
        ctx.host,
        &issuer,
        &policy,
        token,
        ctx.host.random_u64(),
    )?;
    remember(reads, &key, &record);
    Ok(record)
}

/// A login written as a file (Spin `files` mount) replaces a stored `default` record that
/// cannot serve; whether anything was imported.
fn import_mounted_file<H: Host>(
    ctx: &Ctx<'_, H>,
    kv: &dyn Kv,
    policy: &RefreshPolicy,
) -> Result<bool, GatewayError> {
    let Some(bytes) = ctx.host.read_file(&ctx.settings.token_file()?) else {
        return Ok(false);
    };
    let Ok(file) = TokenRecord::from_json(&bytes) else {
        return Ok(false);
    };
    let nonce = ctx.host.random_u64();
    let written = install_exclusively(kv, TOKEN_KEY, ctx.host, policy, nonce, |stored| {
        choose_import(stored, Some(&file))
    });
    Ok(matches!(written, Ok(Some(_))))
}
