//! `model_aliases`: client model names mapped to backend models, on every route, so a client
//! that insists on its own names (Claude Code's `claude-*` side tasks, say) lands on a Codex
//! model. The setting is `pattern=model` pairs separated by commas; a pattern is an exact name
//! or a prefix ending in `*`. The first pattern that matches wins; a name no pattern matches is
//! sent as it is.

use crate::error::GatewayError;

/// The parsed setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelAliases(Vec<(String, String)>);

impl ModelAliases {
    /// Parse `claude-*=gpt-5.4, claude-opus-4-1=gpt-6-sol`; the message says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (pattern, model) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not pattern=model"))?;
            let (pattern, model) = (pattern.trim(), model.trim());
            let stem = pattern.strip_suffix('*').unwrap_or(pattern);
            if pattern.is_empty() || model.is_empty() || stem.contains('*') || model.contains('*') {
                return Err(format!(
                    "{pair:?}: a pattern is a name or a prefix ending in *, and the model a name"
                ));
            }
            pairs.push((pattern.to_owned(), model.to_owned()));
        }
        Ok(Self(pairs))
    }

    /// The backend model for a client's name.
    pub fn resolve(&self, model: &str) -> String {
        self.0
            .iter()
            .find(|(pattern, _)| match pattern.strip_suffix('*') {
                Some(prefix) => model.starts_with(prefix),
                None => pattern == model,
            })
            .map_or_else(|| model.to_owned(), |(_, to)| to.clone())
    }

    /// Send `model` as its alias: when that differs, `model` becomes it and so does the `model`
    /// of `body` (a JSON object, every other value kept byte for byte).
    pub fn apply(&self, model: &mut String, body: &mut Vec<u8>) -> Result<(), GatewayError> {
        let aliased = self.resolve(model);
        if aliased != *model {
            *body = with_model(body, &aliased)?;
            *model = aliased;
        }
        Ok(())
    }

    /// Whether no alias is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `body` (a JSON object) with its `model` set to `model`, every other value byte for byte.
pub fn with_model(body: &[u8], model: &str) -> Result<Vec<u8>, GatewayError> {
    let mut object: crate::json::RawObject = serde_json::from_slice(body)
        .map_err(|e| GatewayError::Internal(format!("aliasing the model: {e}")))?;
    object.set("model", crate::json::raw_string(model));
    Ok(object.to_json().into_bytes())
}

/// Shorthand for the settings' validation error.
pub fn invalid(reason: String) -> GatewayError {
    GatewayError::ConfigInvalid {
        variable: "model_aliases".into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_and_prefixes_first_match_wins() {
        let aliases =
            ModelAliases::parse(" claude-opus-4-1 = gpt-6-sol, claude-*=gpt-5.4 ,").unwrap();
        assert_eq!(aliases.resolve("claude-opus-4-1"), "gpt-6-sol");
        assert_eq!(aliases.resolve("claude-haiku-4-5"), "gpt-5.4");
        assert_eq!(aliases.resolve("gpt-5.5"), "gpt-5.5");
        assert!(ModelAliases::parse("").unwrap().is_empty());
        assert_eq!(
            with_model(br#"{"model":"claude-x","n":1e400}"#, "gpt-5.4").unwrap(),
            br#"{"model":"gpt-5.4","n":1e400}"#
        );
        for bad in ["claude", "=gpt", "a*b=c", "a=b*", "a="] {
            assert!(ModelAliases::parse(bad).is_err(), "{bad}");
        }
    }
}
