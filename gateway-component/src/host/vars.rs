//! Settings lookup through Spin variables.

/// A Spin variable, `None` when undefined or unreadable (the core applies defaults and says
/// which variable is wrong).
pub fn lookup(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}
