//! The component's variables, read once per instance.
//!
//! Spin 4 reuses a WASIp3 instance for many requests (up to 128, and until it has been idle
//! for a second), so reading every setting at an instance's first request replaces a blocking
//! host call per setting per request. A variable cannot change while Spin runs unless a
//! provider (Vault) changes it; such a change is seen by the next instance.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use gateway_core::config::{LookupError, VARIABLES};
use spin_sdk::variables::Error;

/// Every variable the gateway reads: `None` where it is not defined.
pub type Settings = Rc<HashMap<&'static str, Option<String>>>;

thread_local! {
    static SETTINGS: OnceCell<Settings> = const { OnceCell::new() };
}

/// This instance's settings, read on its first request. A provider failure is not kept: the
/// request sees it as an error, and the next request asks again.
pub async fn load() -> Result<Settings, LookupError> {
    if let Some(settings) = SETTINGS.with(|cell| cell.get().cloned()) {
        return Ok(settings);
    }
    let mut read = HashMap::with_capacity(VARIABLES.len());
    for (name, _) in VARIABLES {
        let value = match spin_sdk::variables::get(*name).await {
            Ok(value) => Some(value),
            Err(Error::Undefined(_)) => None,
            Err(Error::InvalidName(_) | Error::Provider(_) | Error::Other(_)) => {
                return Err(LookupError::Provider)
            }
        };
        read.insert(*name, value);
    }
    // Requests that started together may each have read them; the first to finish is kept.
    Ok(SETTINGS.with(|cell| cell.get_or_init(|| Rc::new(read)).clone()))
}
