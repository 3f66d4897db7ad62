//! Usage, counted for every request (the owner key's too) per key × model × UTC day, with the
//! store's atomic `increment`, after the answer has been sent: `count` writes the counters,
//! `report` reads them back for `/admin/usage`. The figures are what the backend reported.
pub mod count;
pub mod report;

use serde::{Deserialize, Serialize};

/// The token counts of one or more answers, as the backend reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Input tokens served from the prompt cache.
    pub cached_input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Output tokens spent reasoning.
    pub reasoning_tokens: u64,
}

impl Tokens {
    /// A Responses `usage` object's counts.
    pub fn from_usage(usage: &crate::codex::response::Usage) -> Tokens {
        Tokens {
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage
                .input_tokens_details
                .as_ref()
                .map_or(0, |d| d.cached_tokens),
            output_tokens: usage.output_tokens,
            reasoning_tokens: usage
                .output_tokens_details
                .as_ref()
                .map_or(0, |d| d.reasoning_tokens),
        }
    }

    /// `self` and `other` together.
    pub fn plus(self, other: Tokens) -> Tokens {
        Tokens {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            cached_input_tokens: self
                .cached_input_tokens
                .saturating_add(other.cached_input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            reasoning_tokens: self.reasoning_tokens.saturating_add(other.reasoning_tokens),
        }
    }

    /// Input and output tokens: what a token limit counts.
    pub fn total(self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}
