//! Who is calling, and what their request costs: the owner key (`downstream_api_key`) is
//! checked first and alone, so a gateway used only with it makes no store call for keys; a
//! client key is then found by its hash (one store read) and admitted or refused for its model
//! and limits. Once the answer has gone out, [`settle`] counts the request's usage.

use super::host::Host;
use super::request::Ctx;
use super::responder::Dialect;
use super::upstream::UpstreamMeta;
use crate::auth::api_key::{check_api_key_or_bearer, check_bearer, presented_client_keys};
use crate::error::GatewayError;
use crate::keys::admit::{admit, charge_tokens, check_live};
use crate::keys::record::{ClientKey, OWNER};
use crate::keys::store::{last_used_key, lookup};
use crate::log::{Field, LogLevel};
use crate::patient_kv::PatientKv;
use crate::ports::Kv;
use crate::usage::count::count;

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The owner key: no limits.
    Owner,
    /// A client key.
    Client(ClientKey),
}

impl Caller {
    /// The name usage is counted under.
    pub fn name(&self) -> &str {
        match self {
            Self::Owner => OWNER,
            Self::Client(key) => &key.name,
        }
    }
}

/// An admitted request: who made it, for which model; what [`settle`] counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Who.
    pub caller: Caller,
    /// The model the request named (or the route's name for a request without one).
    pub model: String,
}

/// The caller of this request, by the key it presents (a bearer, or on the Anthropic routes
/// also `x-api-key`).
pub fn identify<H: Host>(ctx: &Ctx<'_, H>, dialect: Dialect) -> Result<Caller, GatewayError> {
    let authorization = ctx.headers.values("authorization");
    let api_key = match dialect {
        Dialect::OpenAi => Vec::new(),
        Dialect::Anthropic => ctx.headers.values("x-api-key"),
    };
    let expected = ctx.settings.downstream_api_key()?;
    let owner = match dialect {
        Dialect::OpenAi => check_bearer(&authorization, &expected),
        Dialect::Anthropic => check_api_key_or_bearer(&api_key, &authorization, &expected),
    };
    let refused = match owner {
        Ok(()) => return Ok(Caller::Owner),
        Err(refused) => refused,
    };
    let presented = presented_client_keys(&api_key, &authorization);
    if presented.is_empty() {
        return Err(refused);
    }
    let kv = ctx.host.kv()?;
    let kv = PatientKv::new(&kv, ctx.host, ctx.host.random_u64());
    for key in presented {
        if let Some(record) = lookup(&kv, key)? {
            check_live(&record, ctx.host.now_ms() / 1000)?;
            return Ok(Caller::Client(record));
        }
    }
    Err(GatewayError::Unauthorized("invalid api key".into()))
}

/// Admit `caller`'s request for `model`: always for the owner; for a client key, only when it
/// is live, may use `model`, and has room in its limits (a request limit counts it here).
pub fn admit_request<H: Host>(
    ctx: &Ctx<'_, H>,
    caller: Caller,
    model: String,
) -> Result<Charge, GatewayError> {
    if let Caller::Client(key) = &caller {
        let kv = ctx.host.kv()?;
        let kv = PatientKv::new(&kv, ctx.host, ctx.host.random_u64());
        admit(&kv, key, &model, ctx.host.now_ms() / 1000)?;
    }
    Ok(Charge { caller, model })
}

/// Count an answered request: its usage (unless `usage_tracking` is off), its tokens into the
/// key's token limits, and the key's last use. The answer is out already; a failure here is
/// logged and costs the client nothing.
pub fn settle<H: Host>(ctx: &Ctx<'_, H>, charge: &Charge, upstream: Option<&UpstreamMeta>) {
    let tokens = upstream
        .and_then(|m| m.tokens.as_deref().copied())
        .unwrap_or_default();
    let now = ctx.host.now_ms() / 1000;
    let counted = (|| -> Result<(), GatewayError> {
        let tracking = ctx.settings.usage_tracking()?;
        if !tracking && charge.caller == Caller::Owner {
            // Nothing to write: not even the store is opened.
            return Ok(());
        }
        let kv = ctx.host.kv()?;
        let kv = PatientKv::new(&kv, ctx.host, ctx.host.random_u64());
        if tracking {
            count(&kv, charge.caller.name(), &charge.model, tokens, now)?;
        }
        if let Caller::Client(key) = &charge.caller {
            charge_tokens(&kv, key, tokens.total(), now)?;
            kv.set(&last_used_key(&key.name), now.to_string().as_bytes())?;
        }
        Ok(())
    })();
    if let Err(err) = counted {
        let mut fields = vec![("key", Field::from(charge.caller.name()))];
        fields.extend(err.log_fields());
        ctx.log
            .emit(LogLevel::Warn, "gateway.usage.not_counted", &fields);
    }
}
