//! Thinking-block signatures this gateway hands out: `cgw1.` and the backend's encrypted
//! reasoning, so the block Claude Code sends back verbatim on the next turn carries what the
//! backend needs to continue its reasoning. Any other signature (Anthropic's own, another
//! gateway's) is foreign: its block is dropped, never refused.

/// The prefix of this gateway's signatures (version 1).
const PREFIX: &str = "cgw1.";

/// The signature for a reasoning item's encrypted content.
pub fn encode(encrypted_content: &str) -> String {
    format!("{PREFIX}{encrypted_content}")
}

/// The encrypted content inside one of this gateway's signatures; `None` for a foreign one.
pub fn decode(signature: &str) -> Option<&str> {
    signature
        .strip_prefix(PREFIX)
        .filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign_signatures() {
        assert_eq!(decode(&encode("gAAAAB")), Some("gAAAAB"));
        assert_eq!(decode("EqQBCkgIARABGAIiQ"), None, "Anthropic's own");
        assert_eq!(decode("cgw1."), None);
        assert_eq!(decode(""), None);
    }
}
