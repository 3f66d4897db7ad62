//! Thinking-block signatures this gateway hands out: `cgw2.`, a tag of the backend model that
//! reasoned, and that model's encrypted reasoning. The block Claude Code sends back verbatim on
//! the next turn then carries what the backend needs to continue its reasoning, and only to the
//! model that can read it. Any other signature (Anthropic's own, another gateway's, one from
//! another model after a switch) is foreign: its block is dropped, never refused.

use crate::fnv::fnv1a64;

/// The prefix of this gateway's signatures (version 2: bound to a model).
const PREFIX: &str = "cgw2.";

/// A short, stable tag of a model name.
fn model_tag(model: &str) -> String {
    format!("{:08x}", fnv1a64(model.bytes()) >> 32)
}

/// The signature for `model`'s encrypted reasoning.
pub fn encode(model: &str, encrypted_content: &str) -> String {
    format!("{PREFIX}{}.{encrypted_content}", model_tag(model))
}

/// The encrypted content inside one of this gateway's signatures for `model`; `None` for a
/// foreign one, or one another model signed.
pub fn decode<'a>(signature: &'a str, model: &str) -> Option<&'a str> {
    let (tag, encrypted) = signature.strip_prefix(PREFIX)?.split_once('.')?;
    (tag == model_tag(model) && !encrypted.is_empty()).then_some(encrypted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign_signatures() {
        let signed = encode("gpt-5.4", "gAAAA.B");
        assert!(signed.starts_with("cgw2."));
        assert_eq!(decode(&signed, "gpt-5.4"), Some("gAAAA.B"));
        assert_eq!(decode(&signed, "gpt-6-sol"), None, "after a model switch");
        assert_eq!(
            decode("EqQBCkgIARABGAIiQ", "gpt-5.4"),
            None,
            "Anthropic's own"
        );
        assert_eq!(decode("cgw1.gAAAA", "gpt-5.4"), None);
        assert_eq!(decode(&encode("gpt-5.4", ""), "gpt-5.4"), None);
    }
}
