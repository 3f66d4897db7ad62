//! Token acquisition for one request: import a newer mounted `oauth-token.json`, then the core's
//! refresh protocol over Spin's key-value store, WASI clocks and an HTTP token endpoint.

use gateway_core::auth::install::install_exclusively;
use gateway_core::auth::oauth::{
    parse_token_response, refresh_form_body, RefreshError, TokenEndpoint, TokenResponse,
};
use gateway_core::auth::refresh::{
    acquire_token, force_refresh, needs_login, ready_token, RefreshPolicy,
};
use gateway_core::auth::token::{choose_import, TokenRecord};
use gateway_core::config::Settings;
use gateway_core::error::GatewayError;
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use gateway_core::auth::token::FailureKind;
use gateway_core::log::{Field, LogLevel};

use super::clock::{random_u64, WasiClock};
use super::kv::SpinKv;
use super::log::Logger;
use super::upstream::{send, Outgoing};

/// Token responses are small; anything bigger is not a token response.
const TOKEN_BODY_LIMIT: usize = 256 * 1024;
/// Below the refresh lease TTL, so a slow issuer cannot outlive the lease.
const TOKEN_TIMEOUT_SECS: u64 = 20;

/// The issuer's token endpoint over outgoing HTTP. Only the lease winner ever calls it, so its
/// log lines are the record of every refresh across all instances.
struct HttpIssuer<'a> {
    url: String,
    client_id: String,
    /// A refresher must finish well within its lease, or another instance takes over.
    timeout_secs: u64,
    log: &'a Logger,
}

impl TokenEndpoint for HttpIssuer<'_> {
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

impl HttpIssuer<'_> {
    fn call(&self, refresh_token: &str) -> Result<TokenResponse, RefreshError> {
        let body = refresh_form_body(&self.client_id, refresh_token);
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "application/json".to_owned()),
        ];
        let mut response = send(Outgoing {
            method: Method::Post,
            url: &self.url,
            headers: &headers,
            body: Some(body.as_bytes()),
            idle_secs: self.timeout_secs,
        })
        .map_err(|e| RefreshError::network(e.to_string()))?;
        let bytes = response
            .read_all(TOKEN_BODY_LIMIT)
            .map_err(|e| RefreshError::network(e.to_string()))?;
        parse_token_response(response.status, &bytes)
    }
}

/// The refresh policy and the issuer, read before any token work so that a bad setting is a
/// `config_invalid` answer, never a refresh failure recorded in the shared store.
fn refresher<'a>(
    settings: &Settings,
    log: &'a Logger,
) -> Result<(RefreshPolicy, HttpIssuer<'a>), GatewayError> {
    let policy = policy(settings)?;
    let issuer = HttpIssuer {
        url: settings.token_url()?,
        client_id: settings.oauth_client_id()?,
        timeout_secs: TOKEN_TIMEOUT_SECS
            .min(policy.lease_ttl_secs.unsigned_abs() / 2)
            .max(1),
        log,
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

/// Install a login from outside (`PUT /admin/token`), exclusively with any refresher of the
/// stored generation, so neither write is lost.
pub fn install(settings: &Settings, record: &TokenRecord) -> Result<(), GatewayError> {
    let policy = policy(settings)?;
    let kv = open()?;
    install_exclusively(&kv, &WasiClock, &policy, random_u64(), |_| {
        Some(record.clone())
    })
    .map(drop)
}

fn open() -> Result<SpinKv, GatewayError> {
    SpinKv::open_default().map_err(|e| GatewayError::Kv(e.0))
}

/// A usable token, refreshed first if it is about to expire. The mounted token file is read
/// only when the store has no usable token, so a serving gateway never touches the file system.
pub fn current(settings: &Settings, log: &Logger) -> Result<TokenRecord, GatewayError> {
    let kv = open()?;
    if let Some(record) = ready_token(&kv, &WasiClock, settings.refresh_margin_secs()?)? {
        return Ok(record);
    }
    let (policy, issuer) = refresher(settings, log)?;
    let acquire = || acquire_token(&kv, &WasiClock, &issuer, &policy, random_u64());
    match acquire() {
        Err(err)
            if needs_login(&err) && import_mounted_file(&kv, &policy, &settings.token_file()?) =>
        {
            acquire()
        }
        result => result,
    }
}

/// A replacement for a token the upstream rejected with 401.
pub fn replace(
    settings: &Settings,
    log: &Logger,
    rejected: &TokenRecord,
) -> Result<TokenRecord, GatewayError> {
    let (policy, issuer) = refresher(settings, log)?;
    let kv = open()?;
    let token = rejected.access_token.expose();
    force_refresh(&kv, &WasiClock, &issuer, &policy, token, random_u64())
}

/// A login written as a file (Spin `files` mount) replaces a stored record that cannot serve;
/// whether anything was imported.
fn import_mounted_file(kv: &SpinKv, policy: &RefreshPolicy, path: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let Ok(file) = TokenRecord::from_json(&bytes) else {
        return false;
    };
    let written = install_exclusively(kv, &WasiClock, policy, random_u64(), |stored| {
        choose_import(stored, Some(&file))
    });
    matches!(written, Ok(Some(_)))
}
