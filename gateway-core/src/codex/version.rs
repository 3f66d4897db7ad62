//! Codex client versions (`0.171.0`), compared the way the backend gates models on them.

/// Whether dotted version `have` is at least `need` (`0.171.0` ≥ `0.155.0`). Each part counts
/// by its leading digits; a missing part is 0, so `0.155` equals `0.155.0`.
pub fn version_at_least(have: &str, need: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.trim()
            .split(['.', '-', '+'])
            .take(3)
            .map(|p| {
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap_or(0)
            })
            .collect()
    };
    let (mut have, mut need) = (parts(have), parts(need));
    let len = have.len().max(need.len());
    have.resize(len, 0);
    need.resize(len, 0);
    have >= need
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number_not_text() {
        let cases = [
            ("0.171.0", "0.155.0", true),
            ("0.171.0", "0.171.0", true),
            ("0.147.0", "0.153.0", false),
            ("0.99.0", "0.100.0", false),
            ("1.0.0", "0.200.0", true),
            ("0.155", "0.155.0", true),
            ("0.171.0-alpha.2", "0.171.0", true),
        ];
        for (have, need, want) in cases {
            assert_eq!(version_at_least(have, need), want, "{have} >= {need}");
        }
    }
}
