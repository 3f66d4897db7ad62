//! Reads the repository's `spin.toml` the way `spin up` does for what the tests depend on:
//! application variables (defaults, required), the component's variable templates, and the
//! templated `allowed_outbound_hosts`.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context, Result};

/// What the host needs from the manifest, resolved against the given variable values.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Component variables as the guest sees them.
    pub variables: HashMap<String, String>,
    /// Allowed outbound origins: (scheme, host, port or None for `*`).
    pub allowed: Vec<(String, String, Option<u16>)>,
}

/// Resolve `spin.toml` with `overrides` (what `SPIN_VARIABLE_*` / `--variable` would set).
pub fn resolve(manifest: &str, overrides: &HashMap<String, String>) -> Result<Resolved> {
    let doc: toml::Table = manifest.parse().context("parse spin.toml")?;
    let mut app = HashMap::new();
    if let Some(vars) = doc.get("variables").and_then(|v| v.as_table()) {
        for (name, decl) in vars {
            let value = overrides.get(name).cloned().or_else(|| {
                decl.get("default")
                    .and_then(|d| d.as_str())
                    .map(str::to_owned)
            });
            match value {
                Some(v) => {
                    app.insert(name.clone(), v);
                }
                None if decl.get("required").and_then(|r| r.as_bool()) == Some(true) => {
                    bail!("required variable {name:?} is not set (spin up would refuse to start)")
                }
                None => {}
            }
        }
    }
    let component = doc
        .get("component")
        .and_then(|c| c.get("gateway"))
        .ok_or_else(|| anyhow!("spin.toml has no [component.gateway]"))?;
    let mut variables = HashMap::new();
    if let Some(vars) = component.get("variables").and_then(|v| v.as_table()) {
        for (name, template) in vars {
            let template = template.as_str().unwrap_or_default();
            variables.insert(name.clone(), expand(template, &app)?);
        }
    }
    let mut allowed = Vec::new();
    for entry in component
        .get("allowed_outbound_hosts")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        let url = expand(entry.as_str().unwrap_or_default(), &app)?;
        // An entry that is not a URL allows nothing; the component itself reports the bad
        // variable as `config_invalid`.
        if let Ok(origin) = parse_origin(&url) {
            allowed.push(origin);
        }
    }
    Ok(Resolved { variables, allowed })
}

fn expand(template: &str, vars: &HashMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| anyhow!("unclosed template in {template:?}"))?;
        let name = rest[start + 2..start + end].trim();
        let value = vars
            .get(name)
            .ok_or_else(|| anyhow!("template refers to unknown variable {name:?}"))?;
        out.push_str(value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_origin(url: &str) -> Result<(String, String, Option<u16>)> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| anyhow!("allowed_outbound_hosts entry {url:?} needs a scheme"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, "*")) => (h, None),
        Some((h, p)) => (h, Some(p.parse::<u16>().context("port")?)),
        None => (authority, Some(if scheme == "https" { 443 } else { 80 })),
    };
    Ok((scheme.to_owned(), host.to_owned(), port))
}

/// Whether an outgoing request to `scheme://host:port` is allowed (Spin matches host names
/// literally: `localhost` does not match `127.0.0.1`).
pub fn is_allowed(
    allowed: &[(String, String, Option<u16>)],
    scheme: &str,
    host: &str,
    port: u16,
) -> bool {
    allowed
        .iter()
        .any(|(s, h, p)| s == scheme && h == host && p.is_none_or(|p| p == port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_manifest_resolves() {
        let manifest = std::fs::read_to_string(concat!(env!("REPO_ROOT"), "/spin.toml")).unwrap();
        let mut vars = HashMap::new();
        assert!(
            resolve(&manifest, &vars).is_err(),
            "downstream_api_key is required"
        );
        vars.insert("downstream_api_key".into(), "k".into());
        vars.insert("codex_base_url".into(), "http://127.0.0.1:9000".into());
        let r = resolve(&manifest, &vars).unwrap();
        assert_eq!(r.variables["upstream_mode"], "codex_oauth");
        assert!(is_allowed(&r.allowed, "http", "127.0.0.1", 9000));
        assert!(!is_allowed(&r.allowed, "http", "127.0.0.1", 9001));
        assert!(is_allowed(&r.allowed, "https", "auth.openai.com", 443));
    }

    /// `spin-p3.toml` serves the WASIp3 build with everything else as `spin.toml` has it:
    /// the same variables, hosts, store and route, so choosing a build changes nothing else.
    #[test]
    fn wasip3_manifest_differs_only_in_its_build() {
        let read = |name: &str| -> toml::Table {
            let path = format!("{}/{name}", env!("REPO_ROOT"));
            std::fs::read_to_string(path).unwrap().parse().unwrap()
        };
        let (mut p2, mut p3) = (read("spin.toml"), read("spin-p3.toml"));
        let take = |doc: &mut toml::Table, key: &str| -> Option<toml::Value> {
            let gateway = doc
                .get_mut("component")?
                .get_mut("gateway")?
                .as_table_mut()?;
            match key {
                "source" => gateway.remove("source"),
                _ => gateway.get_mut("build")?.as_table_mut()?.remove(key),
            }
        };
        let p3_source = take(&mut p3, "source");
        assert!(p3_source
            .as_ref()
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.ends_with("gateway_component_p3.wasm")));
        assert_ne!(take(&mut p2, "source"), p3_source);
        for key in ["command", "watch"] {
            let (a, b) = (take(&mut p2, key), take(&mut p3, key));
            assert!(a.is_some() && a != b, "{key} is what selects the build");
        }
        assert_eq!(p2, p3);
    }
}
