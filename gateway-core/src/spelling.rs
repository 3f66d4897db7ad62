//! Enumerated values spelled as words in requests and settings: one `(spelling, value)` table
//! per type, matched ignoring ASCII case and surrounding whitespace.

/// The value `raw` names in `table`.
pub(crate) fn lookup<T: Copy>(table: &[(&str, T)], raw: &str) -> Option<T> {
    let raw = raw.trim();
    table
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(raw))
        .map(|(_, value)| *value)
}
