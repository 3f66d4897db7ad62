//! The index of accounts: which accounts a gateway serves, in the order they were added.
//!
//! Only logins write it (`login-cli`, `PUT /admin/token`), never the request path, so a plain
//! read-modify-write is enough: two operators adding accounts at the very same moment is not a
//! case worth a lease. To serve, an absent or unreadable index means the `default` account
//! alone; to change, an unreadable one (a newer format, say) is an error, never overwritten.

use serde::{Deserialize, Serialize};

use super::{token_key, DEFAULT_ACCOUNT};
use crate::ports::{Kv, KvError};

/// Key of the index.
pub const INDEX_KEY: &str = "codex-gateway/accounts";

/// Current index format version.
pub const INDEX_VERSION: u32 = 1;

/// The stored index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountIndex {
    /// Format version ([`INDEX_VERSION`]).
    pub version: u32,
    /// Account names, in the order they were added (`fill-first` uses this order).
    pub accounts: Vec<String>,
}

impl AccountIndex {
    /// The stored index; `None` when there is none or it cannot be read.
    pub fn load(kv: &dyn Kv) -> Result<Option<Self>, KvError> {
        Ok(kv.get(INDEX_KEY)?.and_then(|bytes| Self::parse(&bytes)))
    }

    /// An index from its stored bytes, if they are one of a known version.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Self>(bytes)
            .ok()
            .filter(|index| index.version == INDEX_VERSION)
    }
}

/// Record that `account` has a token. The first account besides `default` creates the index,
/// listing `default` first when it holds a token, so it keeps serving; the `default` account
/// alone never needs an index.
pub fn register(kv: &dyn Kv, account: &str) -> Result<(), KvError> {
    let mut index = match load_to_change(kv)? {
        Some(index) => index,
        None if account == DEFAULT_ACCOUNT => return Ok(()),
        None => {
            let default_stored = kv.get(&token_key(DEFAULT_ACCOUNT))?.is_some();
            AccountIndex {
                version: INDEX_VERSION,
                accounts: default_stored
                    .then(|| DEFAULT_ACCOUNT.to_owned())
                    .into_iter()
                    .collect(),
            }
        }
    };
    if index.accounts.iter().any(|name| name == account) {
        return Ok(());
    }
    index.accounts.push(account.to_owned());
    save(kv, &index)
}

/// Remove `account` from the index. An index left empty is deleted, which is the
/// single-account layout again.
pub fn unregister(kv: &dyn Kv, account: &str) -> Result<(), KvError> {
    let Some(mut index) = load_to_change(kv)? else {
        return Ok(());
    };
    let before = index.accounts.len();
    index.accounts.retain(|name| name != account);
    if index.accounts.len() == before {
        return Ok(());
    }
    if index.accounts.is_empty() {
        return kv.delete(INDEX_KEY);
    }
    save(kv, &index)
}

/// The stored index, refusing one this version cannot read: rewriting it would lose its names.
fn load_to_change(kv: &dyn Kv) -> Result<Option<AccountIndex>, KvError> {
    match kv.get(INDEX_KEY)? {
        None => Ok(None),
        Some(bytes) => AccountIndex::parse(&bytes).map(Some).ok_or_else(|| {
            KvError(format!(
                "the account index {INDEX_KEY} is not one this version reads (a newer format?); \
                 it was left as it is"
            ))
        }),
    }
}

fn save(kv: &dyn Kv, index: &AccountIndex) -> Result<(), KvError> {
    let bytes = serde_json::to_vec(index).map_err(|e| KvError(e.to_string()))?;
    kv.set(INDEX_KEY, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;
    use crate::auth::token::TOKEN_KEY;

    /// The accounts served: the index's, else the `default` account alone.
    fn names(kv: &MemKv) -> Vec<String> {
        AccountIndex::load(kv)
            .unwrap()
            .map_or_else(|| vec![DEFAULT_ACCOUNT.to_owned()], |index| index.accounts)
    }

    #[test]
    fn a_single_account_store_needs_no_index() {
        let kv = MemKv::new();
        register(&kv, "default").unwrap();
        assert_eq!(kv.get(INDEX_KEY).unwrap(), None);
        assert_eq!(names(&kv), ["default"]);
    }

    #[test]
    fn a_second_account_keeps_the_logged_in_default_first() {
        let kv = MemKv::new();
        kv.set(TOKEN_KEY, b"{}").unwrap();
        register(&kv, "work").unwrap();
        register(&kv, "spare").unwrap();
        register(&kv, "work").unwrap();
        assert_eq!(names(&kv), ["default", "work", "spare"]);

        unregister(&kv, "work").unwrap();
        assert_eq!(names(&kv), ["default", "spare"]);
        unregister(&kv, "default").unwrap();
        unregister(&kv, "spare").unwrap();
        assert_eq!(kv.get(INDEX_KEY).unwrap(), None, "back to one account");
    }

    #[test]
    fn without_a_default_login_the_index_starts_with_the_new_account() {
        let kv = MemKv::new();
        register(&kv, "work").unwrap();
        assert_eq!(names(&kv), ["work"]);
        register(&kv, "default").unwrap();
        assert_eq!(names(&kv), ["work", "default"]);
    }

    #[test]
    fn an_unreadable_index_means_the_default_account() {
        let kv = MemKv::new();
        kv.set(INDEX_KEY, b"{\"version\":9,\"accounts\":[\"x\"]}")
            .unwrap();
        assert_eq!(names(&kv), ["default"]);
    }
}
