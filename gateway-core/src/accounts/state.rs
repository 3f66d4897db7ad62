//! What the gateway learns about each account, kept in the shared store so that every instance
//! honours it: a cooldown after the backend refused the account, and its last usage snapshot.
//!
//! Each is its own key per account, so a snapshot written after one answer never overwrites a
//! cooldown another instance wrote at the same moment.

use serde::{Deserialize, Serialize};

use super::usage::UsageSnapshot;
use super::{token_key, ACCOUNT_PREFIX};
use crate::ports::{Kv, KvError};

/// Why an account is resting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CooldownReason {
    /// A usage window is spent (429 `usage_limit_reached` and the other quota codes).
    UsageLimit,
    /// The backend refused the account: 401 even after a refresh, or 403.
    Refused,
    /// No token can serve until the account logs in again (none stored, or refresh refused for
    /// good). A login through login-cli or `/admin/token` ends it at once; otherwise the
    /// account is tried again now and then, to notice a login written some other way.
    NeedsLogin,
}

impl CooldownReason {
    /// The reason as written in logs and `/healthz`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsageLimit => "usage_limit",
            Self::Refused => "refused",
            Self::NeedsLogin => "needs_login",
        }
    }
}

/// An account left out of routing until `until` (without one: until a new login clears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooldown {
    /// Why.
    pub reason: CooldownReason,
    /// When it was decided (Unix seconds).
    pub at: i64,
    /// When the account may serve again (Unix seconds); `None`: after a new login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

impl Cooldown {
    /// Whether the account is still resting at `now`.
    pub fn active(&self, now: i64) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// Seconds until it ends, if it ends by itself.
    pub fn remaining(&self, now: i64) -> Option<i64> {
        self.until.map(|until| until.saturating_sub(now).max(0))
    }
}

/// Key of `account`'s cooldown.
pub fn cooldown_key(account: &str) -> String {
    format!("{ACCOUNT_PREFIX}{account}/cooldown")
}

/// Key of `account`'s usage snapshot.
pub fn usage_key(account: &str) -> String {
    format!("{ACCOUNT_PREFIX}{account}/usage")
}

/// The keys of `account`'s state: its cooldown and its usage.
pub fn state_keys(account: &str) -> [String; 2] {
    [cooldown_key(account), usage_key(account)]
}

/// One account as routing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountView {
    /// Its name.
    pub name: String,
    /// Its cooldown, if one is stored (it may have ended).
    pub cooldown: Option<Cooldown>,
    /// Its last usage snapshot.
    pub usage: Option<UsageSnapshot>,
}

impl AccountView {
    /// Read `name`'s state; unreadable values count as absent.
    pub fn load(kv: &dyn Kv, name: &str) -> Result<Self, KvError> {
        let [cooldown, usage] = state_keys(name);
        let cooldown = kv.get(&cooldown)?;
        let usage = kv.get(&usage)?;
        Ok(Self::from_stored(
            name,
            cooldown.as_deref(),
            usage.as_deref(),
        ))
    }

    /// `name`'s state from the stored values of its [`state_keys`]; unreadable values count as
    /// absent.
    pub fn from_stored(name: &str, cooldown: Option<&[u8]>, usage: Option<&[u8]>) -> Self {
        Self {
            name: name.to_owned(),
            cooldown: cooldown.and_then(|b| serde_json::from_slice(b).ok()),
            usage: usage.and_then(|b| serde_json::from_slice(b).ok()),
        }
    }

    /// Whether routing leaves the account out at `now`.
    pub fn cooling(&self, now: i64) -> bool {
        self.cooldown.as_ref().is_some_and(|c| c.active(now))
    }
}

/// An account's state and its stored token record.
pub type AccountRead = (AccountView, Option<Vec<u8>>);

/// Every account's state and stored token record.
pub fn read_all(kv: &dyn Kv, accounts: &[String]) -> Result<Vec<AccountRead>, KvError> {
    accounts
        .iter()
        .map(|name| Ok((AccountView::load(kv, name)?, kv.get(&token_key(name))?)))
        .collect()
}

/// Store a cooldown for `account`.
pub fn cool_down(kv: &dyn Kv, account: &str, cooldown: &Cooldown) -> Result<(), KvError> {
    let bytes = serde_json::to_vec(cooldown).map_err(|e| KvError(e.to_string()))?;
    kv.set(&cooldown_key(account), &bytes)
}

/// Store `account`'s usage snapshot.
pub fn record_usage(kv: &dyn Kv, account: &str, usage: &UsageSnapshot) -> Result<(), KvError> {
    let bytes = serde_json::to_vec(usage).map_err(|e| KvError(e.to_string()))?;
    kv.set(&usage_key(account), &bytes)
}

/// Forget what was learned about `account`: a new login starts it afresh.
pub fn clear(kv: &dyn Kv, account: &str) -> Result<(), KvError> {
    kv.delete(&cooldown_key(account))?;
    kv.delete(&usage_key(account))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;

    #[test]
    fn a_cooldown_ends_at_its_time_or_with_a_new_login() {
        let kv = MemKv::new();
        let timed = Cooldown {
            reason: CooldownReason::UsageLimit,
            at: 100,
            until: Some(220),
        };
        cool_down(&kv, "work", &timed).unwrap();
        let view = AccountView::load(&kv, "work").unwrap();
        assert!(view.cooling(219) && !view.cooling(220));
        assert_eq!(timed.remaining(200), Some(20));

        let login = Cooldown {
            reason: CooldownReason::NeedsLogin,
            at: 100,
            until: None,
        };
        cool_down(&kv, "work", &login).unwrap();
        assert!(AccountView::load(&kv, "work").unwrap().cooling(i64::MAX));
        clear(&kv, "work").unwrap();
        assert_eq!(
            AccountView::load(&kv, "work").unwrap(),
            AccountView {
                name: "work".into(),
                cooldown: None,
                usage: None
            }
        );
    }

    #[test]
    fn the_stored_shape_is_plain_json() {
        let cooldown = Cooldown {
            reason: CooldownReason::Refused,
            at: 1,
            until: Some(301),
        };
        assert_eq!(
            serde_json::to_string(&cooldown).unwrap(),
            r#"{"reason":"refused","at":1,"until":301}"#
        );
        assert_eq!(cooldown_key("a"), "codex-gateway/accounts/a/cooldown");
        assert_eq!(usage_key("a"), "codex-gateway/accounts/a/usage");
    }
}
