//! An account's usage windows, as the backend reports them on every answer
//! (`x-codex-primary-*`, `x-codex-secondary-*`), and the headroom they leave.
//!
//! Which window is the 5-hour one and which the weekly one is told by `window-minutes`, never by
//! position: some plans report the weekly window as primary.

use serde::{Deserialize, Serialize};

/// Reset times closer than this count as the same, so a relative `reset-after-seconds` that
/// ticks down between answers does not make every answer a change worth a write.
const RESET_SLACK_SECS: i64 = 60;

/// One usage window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageWindow {
    /// Share of the window used, 0 to 100.
    pub used_percent: f64,
    /// The window's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u64>,
    /// When the window resets (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<i64>,
}

/// The last usage an account's answers reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageSnapshot {
    /// The primary window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<UsageWindow>,
    /// The secondary window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<UsageWindow>,
    /// When it was reported (Unix seconds).
    pub at: i64,
}

impl UsageSnapshot {
    /// The snapshot in an answer's headers, if it carries any usage figure.
    pub fn from_headers<'h>(header: impl Fn(&str) -> Option<&'h str>, now: i64) -> Option<Self> {
        let window = |which: &str| {
            let read = |field: &str| header(&format!("x-codex-{which}-{field}")).map(str::trim);
            let used_percent = read("used-percent")?
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite())?
                .clamp(0.0, 100.0);
            let resets_at = read("reset-at")
                .and_then(|v| v.parse::<i64>().ok())
                .or_else(|| {
                    read("reset-after-seconds")
                        .and_then(|v| v.parse::<i64>().ok())
                        .map(|secs| now.saturating_add(secs.max(0)))
                });
            Some(UsageWindow {
                used_percent,
                window_minutes: read("window-minutes").and_then(|v| v.parse().ok()),
                resets_at,
            })
        };
        let snapshot = Self {
            primary: window("primary"),
            secondary: window("secondary"),
            at: now,
        };
        (snapshot.primary.is_some() || snapshot.secondary.is_some()).then_some(snapshot)
    }

    /// Percent left in the tighter window at `now`; a window past its reset counts as unused.
    pub fn headroom(&self, now: i64) -> f64 {
        [&self.primary, &self.secondary]
            .into_iter()
            .flatten()
            .filter(|w| w.resets_at.is_none_or(|at| at > now))
            .map(|w| 100.0 - w.used_percent)
            .fold(100.0, f64::min)
    }

    /// Whether `other` says the same as this snapshot (its time aside), so storing it would
    /// change nothing anyone decides.
    pub fn same_as(&self, other: &Self) -> bool {
        fn same(a: &Option<UsageWindow>, b: &Option<UsageWindow>) -> bool {
            match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    a.used_percent == b.used_percent
                        && a.window_minutes == b.window_minutes
                        && match (a.resets_at, b.resets_at) {
                            (Some(x), Some(y)) => x.abs_diff(y) <= RESET_SLACK_SECS.unsigned_abs(),
                            (x, y) => x == y,
                        }
                }
                _ => false,
            }
        }
        same(&self.primary, &other.primary) && same(&self.secondary, &other.secondary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(pairs: &[(&str, &str)], now: i64) -> Option<UsageSnapshot> {
        UsageSnapshot::from_headers(
            |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v),
            now,
        )
    }

    #[test]
    fn both_windows_are_read_and_the_tighter_one_sets_the_headroom() {
        let s = snapshot(
            &[
                ("x-codex-primary-used-percent", "52.5"),
                ("x-codex-primary-window-minutes", "300"),
                ("x-codex-primary-reset-after-seconds", "600"),
                ("x-codex-secondary-used-percent", "40"),
                ("x-codex-secondary-window-minutes", "10080"),
                ("x-codex-secondary-reset-at", "5000"),
            ],
            1000,
        )
        .unwrap();
        let primary = s.primary.as_ref().unwrap();
        assert_eq!(
            (
                primary.used_percent,
                primary.window_minutes,
                primary.resets_at
            ),
            (52.5, Some(300), Some(1600))
        );
        assert_eq!(s.secondary.as_ref().unwrap().resets_at, Some(5000));
        assert_eq!(s.headroom(1000), 47.5);
        assert_eq!(s.headroom(1600), 60.0, "the 5-hour window has reset");
        assert_eq!(s.headroom(5000), 100.0, "both have");
    }

    #[test]
    fn answers_without_usage_figures_give_no_snapshot() {
        assert_eq!(snapshot(&[], 1), None);
        assert_eq!(
            snapshot(&[("x-codex-primary-used-percent", "lots")], 1),
            None
        );
        let clamped = snapshot(&[("x-codex-primary-used-percent", "140")], 1).unwrap();
        assert_eq!(clamped.headroom(1), 0.0);
    }

    #[test]
    fn a_ticking_relative_reset_is_no_change() {
        let at = |now: i64, used: &str| {
            snapshot(
                &[
                    ("x-codex-primary-used-percent", used),
                    ("x-codex-primary-reset-after-seconds", "600"),
                ],
                now,
            )
            .unwrap()
        };
        assert!(at(1000, "5").same_as(&at(1030, "5")));
        assert!(!at(1000, "5").same_as(&at(1030, "6")));
        assert!(!at(1000, "5").same_as(&at(1200, "5")), "a new window");
    }
}
