//! The client parameters a translation dropped or could not honour, reported to the client in
//! `x-codex-gateway-ignored-params`. Both pipelines record them the same way.

/// Names of ignored parameters, deduplicated, in the order first seen.
#[derive(Debug, Default)]
pub struct Ignored(Vec<String>);

impl Ignored {
    /// Record a name once.
    pub fn add(&mut self, name: &str) {
        if !self.0.iter().any(|n| n == name) {
            self.0.push(name.to_owned());
        }
    }

    /// The names.
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}
