//! Several ChatGPT accounts behind one gateway: their names, where each one's state lives in the
//! shared key-value store, and which account serves a request.
//!
//! # Keys (an interface: login-cli, operators and every instance read them)
//!
//! * [`TOKEN_KEY`] (`codex-gateway/token`): the `default` account's token record, exactly where
//!   a single-account gateway has always kept it, so no store needs a migration.
//! * `codex-gateway/accounts/<name>/token`: any other account's token record. Each record has
//!   its own refresh lease (leases are named by the token generation), its own exactly-once
//!   refresh and its own terminal-failure state.
//! * [`index::INDEX_KEY`] (`codex-gateway/accounts`): the accounts, in the order they were
//!   added. Without it the gateway serves the `default` account alone, as before.
//! * `codex-gateway/accounts/<name>/cooldown` and `…/usage`: what the gateway learned about
//!   each account ([`state`]), shared by every instance on the store.

pub mod choose;
pub mod health;
pub mod index;
pub mod state;
pub mod usage;

use std::borrow::Cow;

use crate::auth::token::TOKEN_KEY;

/// The account every single-account setup has: its token stays under [`TOKEN_KEY`].
pub const DEFAULT_ACCOUNT: &str = "default";

/// The longest account name.
pub const MAX_NAME_LEN: usize = 32;

/// Prefix of every per-account key.
pub const ACCOUNT_PREFIX: &str = "codex-gateway/accounts/";

/// Why `name` cannot name an account, if it cannot: 1 to [`MAX_NAME_LEN`] characters from
/// `a-z`, `0-9`, `-` and `_`, starting with a letter or digit. Names appear in keys, headers
/// and log lines, so nothing else is allowed.
pub fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.len() <= MAX_NAME_LEN && starts_well && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(format!(
            "an account name is 1 to {MAX_NAME_LEN} characters of a-z, 0-9, '-' and '_', \
             starting with a letter or digit"
        ))
    }
}

/// Where `account`'s token record is stored.
pub fn token_key(account: &str) -> Cow<'static, str> {
    if account == DEFAULT_ACCOUNT {
        Cow::Borrowed(TOKEN_KEY)
    } else {
        Cow::Owned(format!("{ACCOUNT_PREFIX}{account}/token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_lowercase_words() {
        for good in ["default", "work", "team-2", "a", "x_y", &"a".repeat(32)] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "Work", "-x", "_x", "a b", "a/b", "ä", &"a".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_account_keeps_the_single_account_key() {
        assert_eq!(token_key("default"), "codex-gateway/token");
        assert_eq!(token_key("work"), "codex-gateway/accounts/work/token");
    }
}
