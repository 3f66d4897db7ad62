//! `auth status`, `auth logout`, `auth import`, `auth push`, `auth list` (`auth login` lives
//! in `login`).

pub mod import;
pub mod list;
pub mod logout;
pub mod push;
pub mod status;

use gateway_core::accounts::DEFAULT_ACCOUNT;
use gateway_core::auth::token::TokenRecord;

use crate::store::Location;
use crate::ui::{relative, timestamp};

/// What one store holds.
pub struct Stored {
    /// The store.
    pub location: Location,
    /// Its record, nothing, or why it cannot be read.
    pub record: anyhow::Result<Option<TokenRecord>>,
}

/// Read every location.
pub fn load_all(locations: Vec<Location>) -> Vec<Stored> {
    locations
        .into_iter()
        .map(|location| {
            let record = location.load();
            Stored { location, record }
        })
        .collect()
}

/// The command that logs `account` in, as hints quote it.
pub fn login_command(account: &str) -> String {
    if account == DEFAULT_ACCOUNT {
        "`login-cli auth login`".to_owned()
    } else {
        format!("`login-cli auth login --account {account}`")
    }
}

/// When an access token expiring at `expires_at` expires, for the operator.
pub fn expiry(expires_at: Option<i64>, now: i64) -> String {
    match expires_at {
        Some(at) if at > now => format!("{} ({})", timestamp(at), relative(at, now)),
        Some(at) => format!(
            "{} (expired {}; the gateway refreshes it on the next request)",
            timestamp(at),
            relative(at, now)
        ),
        None => "unknown (refreshed after 8 days)".to_owned(),
    }
}

/// The most recently obtained readable record among `stored`.
pub fn newest(stored: &[Stored]) -> Option<&TokenRecord> {
    stored
        .iter()
        .filter_map(|s| s.record.as_ref().ok().and_then(Option::as_ref))
        .max_by_key(|r| r.last_refresh)
}
