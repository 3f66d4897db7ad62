//! `auth status`, `auth logout`, `auth import`, `auth push` (`auth login` lives in `login`).

pub mod import;
pub mod logout;
pub mod push;
pub mod status;

use gateway_core::auth::token::TokenRecord;

use crate::store::Location;

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

/// The most recently obtained readable record among `stored`.
pub fn newest(stored: &[Stored]) -> Option<&TokenRecord> {
    stored
        .iter()
        .filter_map(|s| s.record.as_ref().ok().and_then(Option::as_ref))
        .max_by_key(|r| r.last_refresh)
}
