//! A client key's limits: so many requests or tokens per fixed window. Windows are fixed, not
//! sliding, and the same on every instance: a 5-hour window starts at a multiple of 5 hours
//! since the Unix epoch, a day at 00:00 UTC, a week on Monday 00:00 UTC, a month on its first
//! day 00:00 UTC.

use serde::{Deserialize, Serialize};

use crate::calendar::{civil_from_days, days_from_civil, DAY_SECS};

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Requests admitted.
    Requests,
    /// Tokens the backend reported (input plus output).
    Tokens,
}

/// The window a limit counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Window {
    /// 5 hours, counted from the Unix epoch.
    #[serde(rename = "5h")]
    FiveHours,
    /// A UTC day.
    #[serde(rename = "day")]
    Day,
    /// A week from Monday 00:00 UTC.
    #[serde(rename = "week")]
    Week,
    /// A UTC calendar month.
    #[serde(rename = "month")]
    Month,
}

/// `metric` at most `max` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// What is counted.
    pub metric: Metric,
    /// The most allowed in one window.
    pub max: u64,
    /// The window.
    pub window: Window,
}

impl Window {
    const NAMES: [(&'static str, Window); 4] = [
        ("5h", Window::FiveHours),
        ("day", Window::Day),
        ("week", Window::Week),
        ("month", Window::Month),
    ];

    /// The window's name in a limit (`5h`, `day`, `week`, `month`).
    pub fn name(self) -> &'static str {
        match self {
            Self::FiveHours => "5h",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The `[start, end)` Unix seconds of the window holding `now`.
    pub fn bounds(self, now: i64) -> (i64, i64) {
        match self {
            Self::FiveHours => {
                let span = 5 * 3600;
                let start = now - now.rem_euclid(span);
                (start, start + span)
            }
            Self::Day => {
                let start = now - now.rem_euclid(DAY_SECS);
                (start, start + DAY_SECS)
            }
            Self::Week => {
                let days = now.div_euclid(DAY_SECS);
                // 1970-01-01 was a Thursday: Monday-based weekday = (days + 3) mod 7.
                let monday = days - (days + 3).rem_euclid(7);
                (monday * DAY_SECS, (monday + 7) * DAY_SECS)
            }
            Self::Month => {
                let (y, m, _) = civil_from_days(now.div_euclid(DAY_SECS));
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (
                    days_from_civil(y, m, 1) * DAY_SECS,
                    days_from_civil(ny, nm, 1) * DAY_SECS,
                )
            }
        }
    }
}

impl Limit {
    /// A limit as written on the command line: `requests=100/5h`, `tokens=2000000/day`.
    pub fn parse(text: &str) -> Result<Limit, String> {
        let bad = || {
            format!(
                "limit {text:?} is not METRIC=N/WINDOW (METRIC requests or tokens, WINDOW 5h, \
                 day, week or month), like requests=100/5h"
            )
        };
        let (metric, rest) = text.trim().split_once('=').ok_or_else(bad)?;
        let (max, window) = rest.split_once('/').ok_or_else(bad)?;
        let metric = match metric.trim() {
            "requests" => Metric::Requests,
            "tokens" => Metric::Tokens,
            _ => return Err(bad()),
        };
        let max = max
            .trim()
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| bad())?;
        let window = Window::NAMES
            .iter()
            .find(|(name, _)| *name == window.trim())
            .map(|(_, w)| *w)
            .ok_or_else(bad)?;
        Ok(Limit {
            metric,
            max,
            window,
        })
    }

    /// The limit as [`Limit::parse`] reads it.
    pub fn to_text(self) -> String {
        let metric = match self.metric {
            Metric::Requests => "requests",
            Metric::Tokens => "tokens",
        };
        format!("{metric}={}/{}", self.max, self.window.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_utc_date;

    fn at(date: &str, hour: i64) -> i64 {
        parse_utc_date(date).unwrap() + hour * 3600
    }

    #[test]
    fn windows_are_fixed_and_utc() {
        // 2026-12-06 is a Sunday.
        let now = at("2026-12-06", 13) + 125;
        assert_eq!(
            Window::Day.bounds(now),
            (at("2026-12-06", 0), at("2026-12-07", 0))
        );
        assert_eq!(
            Window::Week.bounds(now),
            (at("2026-11-30", 0), at("2026-12-07", 0))
        );
        assert_eq!(
            Window::Month.bounds(now),
            (at("2026-12-01", 0), at("2027-01-01", 0))
        );
        let (start, end) = Window::FiveHours.bounds(now);
        assert_eq!((start % 18_000, end - start), (0, 18_000));
        assert!(start <= now && now < end);
        // Monday midnight starts its own week; February of a leap year ends on the 29th.
        let monday = at("2026-12-07", 0);
        assert_eq!(Window::Week.bounds(monday).0, monday);
        assert_eq!(
            Window::Month.bounds(at("2028-02-10", 5)).1,
            at("2028-03-01", 0)
        );
        assert_eq!(
            Window::Day.bounds(monday - 1).1,
            monday,
            "the last second is inside"
        );
    }

    #[test]
    fn limits_read_as_written() {
        for (text, limit) in [
            (
                "requests=100/5h",
                (Metric::Requests, 100, Window::FiveHours),
            ),
            (
                "tokens=2_000_000/day",
                (Metric::Tokens, 2_000_000, Window::Day),
            ),
            (" tokens = 5 / week ", (Metric::Tokens, 5, Window::Week)),
            ("requests=0/month", (Metric::Requests, 0, Window::Month)),
        ] {
            let parsed = Limit::parse(text).unwrap();
            assert_eq!((parsed.metric, parsed.max, parsed.window), limit, "{text}");
            assert_eq!(Limit::parse(&parsed.to_text()).unwrap(), parsed);
        }
        for bad in [
            "requests=100",
            "calls=1/day",
            "tokens=-1/day",
            "tokens=1/hour",
            "=1/day",
        ] {
            assert!(
                Limit::parse(bad).unwrap_err().contains("requests=100/5h"),
                "{bad}"
            );
        }
    }
}
