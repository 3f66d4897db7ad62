//! ChatGPT accounts as the fake backend knows them, told apart by the `chatgpt-account-id`
//! header: each has its own usage, reported on every answer in the backend's
//! `x-codex-primary-*` / `x-codex-secondary-*` headers, and may have spent its window, when it
//! answers 429 `usage_limit_reached` with `resets_in_seconds`, as the real backend does.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{lock, Scenario};

/// One account's quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    /// Percent of the 5-hour window used.
    pub primary_used: f64,
    /// Percent of the weekly window used.
    pub secondary_used: f64,
    /// `Some(secs)`: the window is spent and resets in `secs`.
    pub spent_for_secs: Option<u64>,
    /// `Some(status)`: the backend refuses the account (401 or 403) whatever its token.
    pub refused: Option<u16>,
    /// A spent window is reported inside a `200` event stream (`response.created`, then
    /// `response.failed`), as the backend sometimes does, instead of as HTTP 429.
    pub in_stream: bool,
}

impl Quota {
    /// An account with `primary_used` percent of its 5-hour window used.
    pub fn used(primary_used: f64) -> Self {
        Self {
            primary_used,
            secondary_used: primary_used / 4.0,
            spent_for_secs: None,
            refused: None,
            in_stream: false,
        }
    }

    /// An account the backend refuses with `status` (a deactivated workspace seat, say).
    pub fn refused(status: u16) -> Self {
        Self {
            refused: Some(status),
            ..Self::used(0.0)
        }
    }

    /// An account whose window is spent for `secs` more seconds.
    pub fn spent(secs: u64) -> Self {
        Self {
            primary_used: 100.0,
            secondary_used: 40.0,
            spent_for_secs: Some(secs),
            refused: None,
            in_stream: false,
        }
    }

    /// Like [`Quota::spent`], reported inside a `200` event stream.
    pub fn spent_in_stream(secs: u64) -> Self {
        Self {
            in_stream: true,
            ..Self::spent(secs)
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        let reset = self.spent_for_secs.unwrap_or(3600);
        [
            (
                "x-codex-primary-used-percent",
                self.primary_used.to_string(),
            ),
            ("x-codex-primary-window-minutes", "300".to_owned()),
            ("x-codex-primary-reset-after-seconds", reset.to_string()),
            (
                "x-codex-secondary-used-percent",
                self.secondary_used.to_string(),
            ),
            ("x-codex-secondary-window-minutes", "10080".to_owned()),
            ("x-codex-secondary-reset-after-seconds", "400000".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .to_vec()
    }
}

/// The accounts with a quota set.
#[derive(Default)]
pub(super) struct Quotas(Mutex<HashMap<String, Quota>>);

impl Quotas {
    pub(super) fn set(&self, account: &str, quota: Quota) {
        lock(&self.0).insert(account.to_owned(), quota);
    }

    /// Usage headers for `account`'s answer, or its refusal when its window is spent.
    pub(super) fn check(&self, account: Option<&str>) -> Result<Vec<(String, String)>, Scenario> {
        let Some(quota) = account.and_then(|a| lock(&self.0).get(a).copied()) else {
            return Ok(Vec::new());
        };
        if let Some(status) = quota.refused {
            return Err(Scenario::codex_status(status));
        }
        match quota.spent_for_secs {
            None => Ok(quota.headers()),
            Some(secs) if quota.in_stream => {
                let error = serde_json::json!({
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "resets_in_seconds": secs,
                });
                let created = serde_json::json!({"type": "response.created", "sequence_number": 0,
                    "response": {"id": "resp_spent", "object": "response", "status": "in_progress", "output": []}});
                let failed = serde_json::json!({"type": "response.failed", "sequence_number": 1,
                    "response": {"id": "resp_spent", "object": "response", "status": "failed", "output": [], "error": error}});
                Err(Scenario::Raw {
                    status: 200,
                    headers: vec![("content-type".into(), "text/event-stream".into())],
                    body: format!(
                        "event: response.created\ndata: {created}\n\nevent: response.failed\ndata: {failed}\n\n"
                    ),
                })
            }
            Some(secs) => {
                let body = serde_json::json!({"error": {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "plan_type": "plus",
                    "resets_in_seconds": secs,
                }});
                let mut headers = quota.headers();
                headers.push(("content-type".into(), "application/json".into()));
                Err(Scenario::Raw {
                    status: 429,
                    headers,
                    body: body.to_string(),
                })
            }
        }
    }
}
