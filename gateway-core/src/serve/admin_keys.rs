//! `/admin/keys` and `/admin/usage`: client keys made, listed, revoked and rotated, and usage
//! read, on a deployed gateway (`login-cli keys … --push`, `login-cli usage --gateway`). Like
//! `/admin/token`, they exist only when `admin_api_key` is set, and check that key in constant
//! time. The same core functions serve `login-cli`'s local store, so both say the same.

use serde::{Deserialize, Serialize};

use super::host::{Host, Reply, RequestBody};
use super::request::{read_body, Ctx};
use super::responder::{json_header, Responder};
use super::upstream::Handled;
use crate::auth::api_key::check_bearer;
use crate::error::GatewayError;
use crate::keys::admit::{windows_in_use, WindowUse};
use crate::keys::limit::Limit;
use crate::keys::record::{parse_duration, ClientKey};
use crate::keys::store::{self, last_used_key, Issued, NewKey};
use crate::log::{Field, LogLevel};
use crate::ports::Kv;
use crate::usage::report::{report, Query};

/// A key request body is small.
const BODY_LIMIT: usize = 64 * 1024;

/// A new key as the admin API and `login-cli keys create` describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    /// Its name.
    pub name: String,
    /// Models it may use (exact, or ending in `*`); none: any.
    #[serde(default)]
    pub models: Vec<String>,
    /// Limits as written: `requests=100/5h`, `tokens=1000000/day`.
    #[serde(default)]
    pub limits: Vec<String>,
    /// How long it lives: `30d`, `12h`, `2w`.
    #[serde(default)]
    pub expires_in: Option<String>,
}

impl KeySpec {
    /// The key to make.
    pub fn to_new_key(&self) -> Result<NewKey, GatewayError> {
        let limits = self
            .limits
            .iter()
            .map(|l| Limit::parse(l).map_err(|e| GatewayError::bad_param("limits", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let expires_in_secs = self
            .expires_in
            .as_deref()
            .map(|d| parse_duration(d).map_err(|e| GatewayError::bad_param("expires_in", e)))
            .transpose()?;
        Ok(NewKey {
            name: self.name.clone(),
            models: self.models.clone(),
            limits,
            expires_in_secs,
        })
    }
}

/// A key as lists show it: everything but the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// Its name.
    pub name: String,
    /// Its last characters.
    pub hint: String,
    /// `active`, `revoked` or `expired`.
    pub status: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, if it expires.
    pub expires_at: Option<i64>,
    /// Unix seconds, if revoked.
    pub revoked_at: Option<i64>,
    /// Unix seconds of its last request, if any.
    pub last_used_at: Option<i64>,
    /// Its model list (empty: any).
    pub models: Vec<String>,
    /// Its limits and their current windows.
    pub limits: Vec<WindowUse>,
}

/// A key just made or rotated: the key (shown once) and its view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedView {
    /// The key. It is not stored anywhere: this is the only time it is shown.
    pub key: String,
    /// The key's view.
    #[serde(flatten)]
    pub view: KeyView,
}

/// The view of `record` at `now`.
pub fn key_view(kv: &dyn Kv, record: &ClientKey, now: i64) -> Result<KeyView, GatewayError> {
    let status = if record.revoked_at.is_some() {
        "revoked"
    } else if record.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    };
    let last_used_at = kv
        .get(&last_used_key(&record.name))?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.parse().ok());
    Ok(KeyView {
        name: record.name.clone(),
        hint: record.hint.clone(),
        status: status.into(),
        created_at: record.created_at,
        expires_at: record.expires_at,
        revoked_at: record.revoked_at,
        last_used_at,
        models: record.models.clone(),
        limits: windows_in_use(kv, record, now)?,
    })
}

/// The view of a key just issued.
pub fn issued_view(kv: &dyn Kv, issued: Issued, now: i64) -> Result<IssuedView, GatewayError> {
    Ok(IssuedView {
        view: key_view(kv, &issued.record, now)?,
        key: issued.key,
    })
}

/// Serve `/admin/keys[/{name}[/rotate]]`.
pub async fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    method: &str,
    path: &str,
    body: &mut impl RequestBody,
    out: &mut Responder<R>,
) -> Handled {
    check_admin(ctx)?;
    let kv = ctx.host.kv()?;
    let now = ctx.host.now_ms() / 1000;
    let path = path.split('?').next().unwrap_or_default();
    let named = path.strip_prefix("/admin/keys/");
    let random = || {
        let (a, b) = (ctx.host.random_16(), ctx.host.random_16());
        let mut bytes = [0u8; 32];
        for (slot, byte) in bytes.iter_mut().zip(a.into_iter().chain(b)) {
            *slot = byte;
        }
        bytes
    };
    let (status, json) = match (method, named) {
        ("GET", None) => {
            let views = store::list(&kv)?
                .iter()
                .map(|record| key_view(&kv, record, now))
                .collect::<Result<Vec<_>, _>>()?;
            (200, to_json(&serde_json::json!({ "keys": views }))?)
        }
        ("POST", None) => {
            let body = read_body(&ctx.headers, body, BODY_LIMIT).await?;
            let spec: KeySpec = serde_json::from_slice(&body)
                .map_err(|e| GatewayError::bad_request(format!("not a key description: {e}")))?;
            let issued = store::create(&kv, &spec.to_new_key()?, random(), now)?;
            logged(ctx, "gateway.admin.key_created", &issued.record.name);
            (201, to_json(&issued_view(&kv, issued, now)?)?)
        }
        ("DELETE", Some(name)) => {
            let record = store::revoke(&kv, name, now)?;
            logged(ctx, "gateway.admin.key_revoked", name);
            (200, to_json(&key_view(&kv, &record, now)?)?)
        }
        ("POST", Some(rotate)) => {
            let name = rotate.strip_suffix("/rotate").unwrap_or(rotate);
            let issued = store::rotate(&kv, name, random())?;
            logged(ctx, "gateway.admin.key_rotated", name);
            (200, to_json(&issued_view(&kv, issued, now)?)?)
        }
        _ => {
            return Err(GatewayError::MethodNotAllowed {
                allow: "GET, POST, DELETE",
            }
            .into())
        }
    };
    out.full(status, &admin_headers(), &json).await;
    Ok(None)
}

/// The headers of an admin answer: JSON, never cached, never framed.
fn admin_headers() -> Vec<(String, String)> {
    let mut headers = super::dashboard::security_headers().to_vec();
    headers.push(json_header());
    headers
}

/// Serve `GET /admin/usage?from=&to=&key=&model=&group_by=`.
pub async fn usage<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    path: &str,
    out: &mut Responder<R>,
) -> Handled {
    check_admin(ctx)?;
    let query = path.split_once('?').map_or("", |(_, q)| q);
    let params = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| {
            // Form encoding: `+` is a space.
            let value = value.replace('+', " ");
            let value = percent_encoding::percent_decode_str(&value).decode_utf8_lossy();
            (name, value.into_owned())
        });
    let params: Vec<(&str, String)> = params.collect();
    let query = Query::from_params(
        params.iter().map(|(n, v)| (*n, v.as_str())),
        ctx.host.now_ms() / 1000,
    )?;
    let kv = ctx.host.kv()?;
    out.full(200, &admin_headers(), &to_json(&report(&kv, &query)?)?)
        .await;
    Ok(None)
}

pub(super) fn check_admin<H: Host>(ctx: &Ctx<'_, H>) -> Result<(), GatewayError> {
    let Some(admin_key) = ctx.settings.admin_api_key()? else {
        return Err(GatewayError::NotFound("/admin".into()));
    };
    check_bearer(&ctx.headers.values("authorization"), &admin_key)
}

fn logged<H: Host>(ctx: &Ctx<'_, H>, event: &str, name: &str) {
    ctx.log
        .emit(LogLevel::Info, event, &[("key", Field::from(name))]);
}

pub(super) fn to_json(value: &impl Serialize) -> Result<Vec<u8>, GatewayError> {
    let mut json = serde_json::to_vec(value).map_err(|e| GatewayError::Internal(e.to_string()))?;
    json.push(b'\n');
    Ok(json)
}
