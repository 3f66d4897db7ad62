//! Every setting the component reads is declared in `spin.toml` with the core's own default (as
//! an application variable, and bound into the component) and documented in both configuration
//! pages: a variable missing from either table is unset on Spin, whatever the operator
//! configures, and a default written twice drifts.
#![allow(
    clippy::panic,
    reason = "test helper: a panic is a failed test (clippy only exempts #[test] fns here)"
)]

use std::path::Path;

use gateway_core::config::{Settings, VARIABLES};

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_setting_is_declared_with_the_core_default_bound_and_documented() {
    let settings = Settings::new(|name| Ok((name == "downstream_api_key").then(|| "k".into())));
    settings.validate_all().unwrap();
    let asked = settings.names_read();
    assert_eq!(asked.len(), VARIABLES.len(), "{asked:?}");
    let manifest = read("spin.toml");
    let (declared, bound) = manifest
        .split_once("[component.gateway.variables]")
        .expect("spin.toml binds variables into the component");
    let pages = [
        read("docs/en/configuration.md"),
        read("docs/zh-CN/configuration.md"),
    ];
    for (name, default) in VARIABLES {
        let line = declared
            .lines()
            .find(|l| l.starts_with(&format!("{name} = {{")))
            .unwrap_or_else(|| panic!("spin.toml [variables] lacks {name}"));
        match default {
            Some(default) => assert!(
                line.contains(&format!("default = \"{default}\"")),
                "spin.toml's default for {name} differs from the core's {default:?}: {line}"
            ),
            None => assert!(line.contains("required = true"), "{name}: {line}"),
        }
        assert!(
            bound.contains(&format!("\n{name} = \"{{{{ {name} }}}}\"")),
            "spin.toml [component.gateway.variables] lacks {name}"
        );
        for page in &pages {
            assert!(
                page.contains(&format!("| `{name}` |")),
                "a configuration page lacks {name}"
            );
        }
    }
}

/// The version the gateway presents is the Codex CLI release the agent suite drives: bumping one
/// without the other fails here, so the default never falls behind what the tests prove works.
#[test]
fn default_client_version_is_the_agent_suites_codex_cli() {
    let manifest: serde_json::Value =
        serde_json::from_str(&read("tests/agents/package.json")).unwrap();
    let pinned = manifest["dependencies"]["@openai/codex"]
        .as_str()
        .or_else(|| manifest["devDependencies"]["@openai/codex"].as_str())
        .expect("tests/agents/package.json pins @openai/codex");
    assert_eq!(
        pinned,
        gateway_core::config::DEFAULT_CLIENT_VERSION,
        "bump codex_client_version's default (config.rs, spin.toml, docs) with the Codex CLI"
    );
}
