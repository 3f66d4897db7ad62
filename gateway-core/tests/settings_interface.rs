//! Every setting the component reads is declared in `spin.toml` (as an application variable
//! and bound into the component) and documented in both configuration pages: a variable missing
//! from either table is unset on Spin, whatever the operator configures.
#![allow(
    clippy::panic,
    reason = "test helper: a panic is a failed test (clippy only exempts #[test] fns here)"
)]

use std::cell::RefCell;
use std::path::Path;

use gateway_core::config::Settings;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_setting_is_declared_bound_and_documented() {
    let asked = RefCell::new(Vec::<String>::new());
    let _ = Settings::from_lookup(|name| {
        asked.borrow_mut().push(name.to_owned());
        // A value for every name, so validation never stops the walk early.
        Some(
            if name == "downstream_api_key" {
                "k"
            } else {
                ""
            }
            .to_owned(),
        )
    });
    let asked = asked.into_inner();
    assert!(asked.len() > 20, "{asked:?}");
    let manifest = read("spin.toml");
    let (declared, bound) = manifest
        .split_once("[component.gateway.variables]")
        .expect("spin.toml binds variables into the component");
    let pages = [
        read("docs/en/configuration.md"),
        read("docs/zh-CN/configuration.md"),
    ];
    for name in &asked {
        assert!(
            declared.contains(&format!("\n{name} = {{")),
            "spin.toml [variables] lacks {name}"
        );
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
