//! Where `keys` and `usage` act: the local Spin store, through the very core functions the
//! gateway's admin routes run, or a deployed gateway through those routes. Either way the
//! answer is the same core type, so both print alike.

use anyhow::Context as _;
use gateway_core::error::GatewayError;
use reqwest::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use url::Url;

use crate::cli::GatewayTarget;
use crate::exit::{fail, ExitKind};
use crate::http::transport_reason;
use crate::store::SpinDb;
use crate::Ctx;

/// The local store or a deployed gateway.
pub enum Target {
    /// The Spin SQLite file in the workdir (or `--spin-db`).
    Local(SpinDb),
    /// `--url`, with its admin key.
    Remote {
        /// The gateway's base URL.
        base: String,
        /// Its `admin_api_key`.
        admin_key: String,
        /// Whether plain http to a non-loopback host is allowed.
        insecure_http: bool,
    },
}

impl Target {
    /// The target `args` name.
    pub fn of(ctx: &Ctx, args: &GatewayTarget) -> anyhow::Result<Target> {
        match (&args.url, &args.admin_key) {
            (Some(base), Some(admin_key)) => Ok(Target::Remote {
                base: base.clone(),
                admin_key: admin_key.trim().to_owned(),
                insecure_http: args.insecure_http,
            }),
            (Some(_), None) => Err(fail(
                ExitKind::Usage,
                "--url needs the gateway's admin key: --admin-key or CODEX_GATEWAY_ADMIN_KEY",
            )),
            (None, _) => {
                let db = ctx.paths.spin_db(args.spin_db.as_deref());
                Ok(Target::Local(SpinDb::open(&db)?))
            }
        }
    }
}

/// A core failure as login-cli reports it: a refusal of what was asked is a usage error.
pub fn core_error(err: GatewayError) -> anyhow::Error {
    match err {
        GatewayError::BadRequest { message, .. } => fail(ExitKind::Usage, message),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Ask a deployed gateway's admin route; its JSON answer as `T`.
pub async fn ask<T: DeserializeOwned>(
    ctx: &Ctx,
    target: &Target,
    method: reqwest::Method,
    path_and_query: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<T> {
    let Target::Remote {
        base,
        admin_key,
        insecure_http,
    } = target
    else {
        anyhow::bail!("not a deployed gateway");
    };
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut url: Url = crate::gateway_url::endpoint(base, path, *insecure_http, "the admin key")?;
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    let mut request = ctx
        .http
        .request(method, url.clone())
        .header(AUTHORIZATION, format!("Bearer {admin_key}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let res = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url} failed: {}", transport_reason(&e)))?;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    let message = || {
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("error")?.get("message")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(300).collect())
    };
    match status {
        200..=299 => serde_json::from_str(&text).with_context(|| format!("read {url}'s answer")),
        404 => Err(fail(
            ExitKind::Rejected,
            format!(
                "{url}: HTTP 404: the gateway's admin routes are off (set the secret Spin \
                 variable admin_api_key on the deployment) or it predates client keys"
            ),
        )),
        401 | 403 => Err(fail(
            ExitKind::Rejected,
            format!("{url}: HTTP {status}: wrong admin key"),
        )),
        400 => Err(fail(ExitKind::Usage, message())),
        other => Err(fail(
            ExitKind::Rejected,
            format!("{url}: HTTP {other}: {}", message()),
        )),
    }
}

/// 32 bytes from the operating system's generator.
pub fn random_32() -> anyhow::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}
