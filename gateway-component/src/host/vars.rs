//! Settings lookup through Spin variables.

use gateway_core::config::LookupError;
use spin_sdk::variables::Error;

/// A Spin variable: `None` only when it is not defined; a failing provider is an error, never
/// "unset" (a fallback credential or default must not stand in for a value that exists).
pub fn lookup(name: &str) -> Result<Option<String>, LookupError> {
    match spin_sdk::variables::get(name) {
        Ok(value) => Ok(Some(value)),
        Err(Error::Undefined(_)) => Ok(None),
        Err(Error::InvalidName(_) | Error::Provider(_) | Error::Other(_)) => {
            Err(LookupError::Provider)
        }
    }
}
