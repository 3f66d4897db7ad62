//! What `/healthz`, `/admin/token` and `login-cli auth list` say about one account: its token's
//! health, its cooldown and its last usage, and nothing that identifies it beyond its name.

use serde::Serialize;

use super::state::{AccountView, Cooldown};
use super::usage::UsageSnapshot;
use crate::auth::health::{token_health_from_store, TokenHealth};

/// One account's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountHealth {
    /// The account's name.
    pub name: String,
    /// Whether routing may send it requests now.
    pub available: bool,
    /// Its token.
    pub token: TokenHealth,
    /// Its cooldown, while it lasts.
    pub cooldown: Option<CooldownHealth>,
    /// Its last usage snapshot.
    pub usage: Option<UsageSnapshot>,
}

/// A cooldown as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CooldownHealth {
    /// `usage_limit`, `refused` or `needs_login`.
    pub reason: &'static str,
    /// When it ends (Unix seconds); absent: after a new login.
    pub until: Option<i64>,
    /// Seconds left; absent: after a new login.
    pub remaining_secs: Option<i64>,
}

impl AccountHealth {
    /// The health of each of `accounts`, read from the store at `now`.
    pub fn read_all(
        kv: &dyn crate::ports::Kv,
        accounts: &[String],
        now: i64,
    ) -> Result<Vec<Self>, crate::ports::KvError> {
        Ok(super::state::read_all(kv, accounts)?
            .iter()
            .map(|(view, token)| Self::of(view, token.as_deref(), now))
            .collect())
    }

    /// The health of `view`'s account, whose stored token record is `token`, at `now`.
    pub fn of(view: &AccountView, token: Option<&[u8]>, now: i64) -> Self {
        let token = token_health_from_store(token, now);
        let cooldown = view
            .cooldown
            .as_ref()
            .filter(|c| c.active(now))
            .map(|c: &Cooldown| CooldownHealth {
                reason: c.reason.as_str(),
                until: c.until,
                remaining_secs: c.remaining(now),
            });
        Self {
            name: view.name.clone(),
            available: cooldown.is_none() && !token.needs_login,
            token,
            cooldown,
            usage: view.usage.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::state::CooldownReason;
    use serde_json::json;

    #[test]
    fn a_resting_account_says_why_and_until_when() {
        let view = AccountView {
            name: "work".into(),
            cooldown: Some(Cooldown {
                reason: CooldownReason::UsageLimit,
                at: 100,
                until: Some(400),
            }),
            usage: None,
        };
        let health = serde_json::to_value(AccountHealth::of(&view, None, 300)).unwrap();
        assert_eq!(health["name"], "work");
        assert_eq!(health["available"], false);
        assert_eq!(
            health["cooldown"],
            json!({"reason": "usage_limit", "until": 400, "remaining_secs": 100})
        );
        assert_eq!(health["token"]["needs_login"], true);
        let later = AccountHealth::of(&view, None, 400);
        assert_eq!(later.cooldown, None, "an ended cooldown is not shown");
    }
}
