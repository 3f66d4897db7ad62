//! Token acquisition for one request: import a newer mounted `oauth-token.json`, then the core's
//! refresh protocol over Spin's key-value store, WASI clocks and an HTTP token endpoint.

use gateway_core::auth::oauth::{
    parse_token_response, refresh_form_body, RefreshError, TokenEndpoint, TokenResponse,
};
use gateway_core::auth::refresh::{acquire_token, force_refresh, RefreshPolicy};
use gateway_core::auth::token::{choose_import, TokenRecord, TOKEN_KEY};
use gateway_core::config::Settings;
use gateway_core::error::GatewayError;
use gateway_core::ports::Kv;
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use gateway_core::auth::token::FailureKind;
use gateway_core::log::{Field, LogLevel};

use super::clock::{random_u64, WasiClock};
use super::kv::SpinKv;
use super::log::Logger;
use super::upstream::{send, Outgoing};
use crate::Ctx;

/// Token responses are small; anything bigger is not a token response.
const TOKEN_BODY_LIMIT: usize = 256 * 1024;
/// Below the refresh lease TTL, so a slow issuer cannot outlive the lease.
const TOKEN_TIMEOUT_SECS: u64 = 20;

/// The issuer's token endpoint over outgoing HTTP. Only the lease winner ever calls it, so its
/// log lines are the record of every refresh across all instances.
struct HttpIssuer<'a> {
    settings: &'a Settings,
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
        let body = refresh_form_body(&self.settings.oauth_client_id, refresh_token);
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "application/json".to_owned()),
        ];
        let url = self.settings.token_url();
        let mut response = send(Outgoing {
            method: Method::Post,
            url: &url,
            headers: &headers,
            body: Some(body.as_bytes()),
            // A refresher must finish well within its lease, or another instance takes over.
            idle_secs: TOKEN_TIMEOUT_SECS
                .min(self.settings.refresh_lease_ttl_secs.unsigned_abs() / 2)
                .max(1),
        })
        .map_err(|e| RefreshError::network(e.to_string()))?;
        let bytes = response
            .read_all(TOKEN_BODY_LIMIT)
            .map_err(|e| RefreshError::network(e.to_string()))?;
        parse_token_response(response.status, &bytes)
    }
}

fn policy(settings: &Settings) -> RefreshPolicy {
    RefreshPolicy {
        margin_secs: settings.refresh_margin_secs,
        lease_ttl_secs: settings.refresh_lease_ttl_secs,
        wait_max_ms: settings.refresh_wait_secs.saturating_mul(1000),
        ..RefreshPolicy::default()
    }
}

fn open() -> Result<SpinKv, GatewayError> {
    SpinKv::open_default().map_err(|e| GatewayError::Kv(e.0))
}

/// A usable token, refreshed first if it is about to expire.
pub fn current(ctx: &Ctx<'_>) -> Result<TokenRecord, GatewayError> {
    let settings = &ctx.settings;
    let kv = open()?;
    import_mounted_file(&kv, settings);
    let issuer = HttpIssuer {
        settings,
        log: ctx.log,
    };
    acquire_token(&kv, &WasiClock, &issuer, &policy(settings), random_u64())
}

/// A replacement for a token the upstream rejected with 401.
pub fn replace(ctx: &Ctx<'_>, rejected: &TokenRecord) -> Result<TokenRecord, GatewayError> {
    let settings = &ctx.settings;
    let kv = open()?;
    let issuer = HttpIssuer {
        settings,
        log: ctx.log,
    };
    let token = rejected.access_token.expose();
    force_refresh(
        &kv,
        &WasiClock,
        &issuer,
        &policy(settings),
        token,
        random_u64(),
    )
}

/// A newer login written as a file (Spin `files` mount) replaces the stored record.
fn import_mounted_file(kv: &SpinKv, settings: &Settings) {
    let Ok(bytes) = std::fs::read(&settings.token_file) else {
        return;
    };
    let Ok(file) = TokenRecord::from_json(&bytes) else {
        return;
    };
    let stored = kv
        .get(TOKEN_KEY)
        .ok()
        .flatten()
        .and_then(|b| TokenRecord::from_json(&b).ok());
    if let Some(newer) = choose_import(stored.as_ref(), Some(&file)) {
        if let Ok(json) = newer.to_json() {
            let _ = kv.set(TOKEN_KEY, &json);
        }
    }
}
