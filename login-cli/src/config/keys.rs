//! Which `config.yaml` keys login-cli reads, which seed keys now belong to the gateway's Spin
//! variables, and the warnings for everything else. Pure: the caller prints the warnings.

use serde_yaml::Value;

/// Keys login-cli reads.
pub const USED: &[&str] = &[
    "network.proxy_url",
    "oauth.issuer",
    "oauth.client_id",
    "oauth.client_secret",
    "oauth.authorize_endpoint",
    "oauth.token_endpoint",
    "oauth.revoke_endpoint",
    "oauth.redirect_host",
    "oauth.redirect_port",
    "oauth.redirect_path",
    "oauth.originator",
    "oauth.scopes",
    "logging.level",
    "logging.format",
    "logging.color",
];

/// Top-level sections login-cli reads (an empty `oauth:` is fine).
pub const SECTIONS: &[&str] = &["network", "oauth", "logging"];

/// Drop empty (`null`) top-level sections so the typed pass sees them as absent.
pub fn drop_null_sections(root: &mut Value) {
    if let Value::Mapping(map) = root {
        map.retain(|k, v| !(v.is_null() && k.as_str().is_some_and(|k| SECTIONS.contains(&k))));
    }
}

/// Seed keys (of the original gateway's `serve`) that the Spin component takes from variables
/// now, with the variable (or the reason) to tell the operator.
pub const GATEWAY_KEYS: &[(&str, &str)] = &[
    ("server.listen", "`spin up --listen`"),
    (
        "auth.downstream_api_key",
        "Spin variable downstream_api_key",
    ),
    ("upstream.mode", "Spin variable upstream_mode"),
    ("upstream.base_url", "Spin variable upstream_base_url"),
    ("upstream.codex_base_url", "Spin variable codex_base_url"),
    (
        "upstream.codex_responses_path",
        "Spin variable codex_responses_path",
    ),
    ("upstream.models_path", "fixed route /v1/models"),
    (
        "upstream.chat_completions_path",
        "fixed route /v1/chat/completions",
    ),
    ("upstream.responses_path", "fixed route /v1/responses"),
    (
        "upstream.timeout_seconds",
        "Spin variable idle_timeout_secs",
    ),
    (
        "logging.output",
        "login-cli logs to stderr; the gateway logs through Spin",
    ),
    (
        "logging.file",
        "login-cli logs to stderr; the gateway logs through Spin",
    ),
    (
        "oauth.device_authorization_endpoint",
        "`auth login --device` uses <oauth.issuer>/api/accounts/deviceauth/*",
    ),
    ("oauth.audience", "not sent by the Codex login"),
];

/// One warning per key login-cli does not read.
pub fn warnings(root: &Value) -> Vec<String> {
    let mut leaves = Vec::new();
    collect(root, "", &mut leaves);
    let mut out = Vec::new();
    let mut gateway: Vec<String> = Vec::new();
    for key in leaves {
        if USED.contains(&key.as_str()) {
            continue;
        }
        match GATEWAY_KEYS
            .iter()
            .find(|(k, _)| key == *k || key.starts_with(&format!("{k}.")))
        {
            Some((k, hint)) => {
                let line = format!("{k} ({hint})");
                if !gateway.contains(&line) {
                    gateway.push(line);
                }
            }
            None => out.push(format!("unknown config key `{key}` (ignored)")),
        }
    }
    if !gateway.is_empty() {
        out.push(format!(
            "config keys of the original gateway are not read by login-cli: {}",
            gateway.join("; ")
        ));
    }
    out
}

/// Dotted paths of every leaf (a scalar, a sequence, or an empty mapping).
fn collect(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) if !map.is_empty() => {
            for (k, v) in map {
                let name = match k {
                    Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_default(),
                };
                let path = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}.{name}")
                };
                // A mapping under a used leaf (e.g. `oauth.scopes: {a: b}`) is a type error,
                // reported by the typed pass.
                if USED.contains(&path.as_str()) {
                    out.push(path);
                } else {
                    collect(v, &path, out);
                }
            }
        }
        Value::Tagged(tagged) => collect(&tagged.value, prefix, out),
        Value::Null if SECTIONS.contains(&prefix) => {}
        _ if !prefix.is_empty() => out.push(prefix.to_owned()),
        _ => {}
    }
}
