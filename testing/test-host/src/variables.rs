//! `fermyon:spin/variables` from a map, with Spin's name grammar.

use crate::bindings::fermyon::spin::variables;
use crate::server::HostState;

/// Spin's variable-name grammar: lower-case ASCII letters, digits and `_`, starting with a letter.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl variables::Host for HostState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if !valid_name(&name) {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        if self.failing_variables.contains(&name) {
            return Ok(Err(variables::Error::Provider(
                "vault: connection refused".into(),
            )));
        }
        Ok(match self.variables.get(&name) {
            Some(value) => Ok(value.clone()),
            None => Err(variables::Error::Undefined(format!(
                "no variable for {name:?}"
            ))),
        })
    }
}
