//! How much of an upstream answer a non-stream request may fold into one JSON body.
//!
//! A fold keeps the whole answer in guest memory (and the Responses fold sees its output twice:
//! item by item, then in the terminal event). Past the guest's memory Spin answers an empty
//! 500, so the fold stops at a bound and says why, and that a streamed request has no bound.

use crate::error::GatewayError;

/// Upstream event bytes a non-stream answer may fold.
pub const FOLD_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// The bytes a fold has taken so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldBudget {
    used: usize,
    limit: usize,
}

impl Default for FoldBudget {
    fn default() -> Self {
        Self::new(FOLD_LIMIT_BYTES)
    }
}

impl FoldBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self { used: 0, limit }
    }

    /// Account for one more upstream event of `bytes`; an error once the answer is too large.
    ///
    /// ```
    /// use gateway_core::translate::fold_limit::FoldBudget;
    /// let mut budget = FoldBudget::new(10);
    /// assert!(budget.take(6).is_ok());
    /// let err = budget.take(6).unwrap_err();
    /// assert_eq!((err.status(), err.code()), (502, "answer_too_large"));
    /// ```
    pub fn take(&mut self, bytes: usize) -> Result<(), GatewayError> {
        self.used = self.used.saturating_add(bytes);
        if self.used <= self.limit {
            return Ok(());
        }
        Err(GatewayError::Upstream {
            status: 502,
            code: crate::error::UpstreamCode::AnswerTooLarge,
            message: format!(
                "the answer exceeds {} MiB, more than the gateway folds into one JSON response; \
                 request it with \"stream\": true, which has no such limit",
                self.limit / (1024 * 1024)
            ),
            retry_after: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_itself_is_allowed() {
        let mut budget = FoldBudget::new(8);
        assert!(budget.take(8).is_ok());
        assert!(budget.take(0).is_ok());
        assert!(budget.take(1).is_err());
        assert!(budget.take(1).is_err(), "stays over");
    }

    #[test]
    fn the_message_says_why_and_what_works() {
        let err = FoldBudget::new(3 << 20).take(4 << 20).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("3 MiB"), "{message}");
        assert!(message.contains("\"stream\": true"), "{message}");
    }
}
