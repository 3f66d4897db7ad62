//! Reading usage back: the counters of a range of UTC days, for some keys and models, summed by
//! day, key or model (`GET /admin/usage`, `login-cli usage`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::count::{counter_key, pair_key, pairs_key, FIELDS};
use super::Tokens;
use crate::calendar::{parse_utc_date, utc_date, DAY_SECS};
use crate::error::GatewayError;
use crate::keys::admit::read_counter;
use crate::ports::Kv;

/// Most days one report covers.
pub const MAX_DAYS: i64 = 366;

/// What rows are summed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// One row per UTC day.
    Day,
    /// One row per key.
    Key,
    /// One row per model.
    Model,
}

/// A report's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: String,
    /// Only this key.
    pub key: Option<String>,
    /// Only this model.
    pub model: Option<String>,
    /// Rows by these, in this order (`day,model`: one row per day and model).
    pub group_by: Vec<GroupBy>,
}

/// One row: a day, key or model (or one of each grouped by) and its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// What the row sums, its grouped values joined by ` / `.
    pub group: String,
    /// The day, when grouped by day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// The key, when grouped by key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The model, when grouped by model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Requests.
    pub requests: u64,
    /// Token counts.
    #[serde(flatten)]
    pub tokens: Tokens,
}

/// A report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// First day.
    pub from: String,
    /// Last day, included.
    pub to: String,
    /// What rows are summed by, as asked (`day`, `key,model`, …).
    pub group_by: String,
    /// The rows, by group.
    pub rows: Vec<Row>,
    /// Every row together.
    pub total: Row,
}

impl Query {
    /// A query from `/admin/usage`'s parameters (`from`, `to`, `key`, `model`, `group_by`);
    /// without dates, the last 7 days up to today.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: i64,
    ) -> Result<Query, GatewayError> {
        let mut query = Query {
            from: String::new(),
            to: utc_date(now),
            key: None,
            model: None,
            group_by: vec![GroupBy::Day],
        };
        let mut from = None;
        for (name, value) in params {
            match name {
                "from" => from = Some(value.to_owned()),
                "to" => query.to = value.to_owned(),
                "key" => query.key = Some(value.to_owned()),
                "model" => query.model = Some(value.to_owned()),
                "group_by" => {
                    let dims: Option<Vec<GroupBy>> = value
                        .split(',')
                        .map(|dim| match dim.trim() {
                            "day" => Some(GroupBy::Day),
                            "key" => Some(GroupBy::Key),
                            "model" => Some(GroupBy::Model),
                            _ => None,
                        })
                        .collect();
                    query.group_by = dims.filter(|d| !d.is_empty()).ok_or_else(|| {
                        GatewayError::bad_param(
                            "group_by",
                            "group_by must be day, key or model, or several of them joined by \
                             commas (day,model)",
                        )
                    })?;
                }
                _ => {}
            }
        }
        let to = day(&query.to, "to")?;
        query.from = match from {
            Some(from) => from,
            None => utc_date(to - 6 * DAY_SECS),
        };
        let from = day(&query.from, "from")?;
        if from > to || (to - from) / DAY_SECS >= MAX_DAYS {
            return Err(GatewayError::bad_param(
                "from",
                format!("from must be on or before to, at most {MAX_DAYS} days apart"),
            ));
        }
        Ok(query)
    }
}

fn day(text: &str, param: &str) -> Result<i64, GatewayError> {
    parse_utc_date(text)
        .ok_or_else(|| GatewayError::bad_param(param, format!("{param} must be a date YYYY-MM-DD")))
}

/// Read `query`'s counters.
pub fn report(kv: &dyn Kv, query: &Query) -> Result<Report, GatewayError> {
    let (from, to) = (day(&query.from, "from")?, day(&query.to, "to")?);
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut at = from;
    while at <= to {
        let date = utc_date(at);
        let pairs = read_counter(kv, &pairs_key(&date))?;
        for slot in 0..i64::try_from(pairs).unwrap_or(0) {
            // A slot taken but not yet written (or lost) holds nothing to report.
            let Some(bytes) = kv.get(&pair_key(&date, slot))? else {
                continue;
            };
            let Ok([key, model]) = serde_json::from_slice::<[String; 2]>(&bytes) else {
                continue;
            };
            let wanted =
                |filter: &Option<String>, value: &str| filter.as_deref().is_none_or(|f| f == value);
            if !wanted(&query.key, &key) || !wanted(&query.model, &model) {
                continue;
            }
            let mut counts = [0u64; FIELDS.len()];
            for (n, field) in counts.iter_mut().zip(FIELDS) {
                *n = read_counter(kv, &counter_key(&date, &key, &model, field))?;
            }
            let mut row_of = Row::default();
            let mut parts = Vec::with_capacity(query.group_by.len());
            for dim in &query.group_by {
                let (slot, value) = match dim {
                    GroupBy::Day => (&mut row_of.day, &date),
                    GroupBy::Key => (&mut row_of.key, &key),
                    GroupBy::Model => (&mut row_of.model, &model),
                };
                *slot = Some(value.clone());
                parts.push(value.clone());
            }
            row_of.group = parts.join(" / ");
            let row = rows.entry(row_of.group.clone()).or_insert(row_of);
            add(row, &counts);
        }
        at += DAY_SECS;
    }
    let mut total = Row {
        group: "total".into(),
        ..Row::default()
    };
    for row in rows.values() {
        total.requests = total.requests.saturating_add(row.requests);
        total.tokens = total.tokens.plus(row.tokens);
    }
    let group_by: Vec<&str> = query
        .group_by
        .iter()
        .map(|dim| match dim {
            GroupBy::Day => "day",
            GroupBy::Key => "key",
            GroupBy::Model => "model",
        })
        .collect();
    Ok(Report {
        from: query.from.clone(),
        to: query.to.clone(),
        group_by: group_by.join(","),
        rows: rows.into_values().collect(),
        total,
    })
}

fn add(row: &mut Row, counts: &[u64; FIELDS.len()]) {
    let [requests, input, cached, output, reasoning] = *counts;
    row.requests = row.requests.saturating_add(requests);
    row.tokens = row.tokens.plus(Tokens {
        input_tokens: input,
        cached_input_tokens: cached,
        output_tokens: output,
        reasoning_tokens: reasoning,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;
    use crate::usage::count::count;

    const DAY1: i64 = 1_765_022_400; // 2025-12-06T12:00:00Z

    fn tokens(input: u64, output: u64) -> Tokens {
        Tokens {
            input_tokens: input,
            cached_input_tokens: input / 2,
            output_tokens: output,
            reasoning_tokens: output / 2,
        }
    }

    fn query(params: &[(&str, &str)]) -> Query {
        Query::from_params(params.iter().copied(), DAY1 + DAY_SECS).unwrap()
    }

    #[test]
    fn counts_come_back_by_day_key_and_model() {
        let kv = MemKv::new();
        count(&kv, "owner", "gpt-5.4", tokens(10, 4), DAY1).unwrap();
        count(&kv, "alice", "gpt-5.4", tokens(100, 20), DAY1).unwrap();
        count(&kv, "alice", "gpt-5.4", tokens(100, 20), DAY1).unwrap();
        count(
            &kv,
            "alice",
            "gpt-6-sol",
            Tokens::default(),
            DAY1 + DAY_SECS,
        )
        .unwrap();

        let by_day = report(&kv, &query(&[])).unwrap();
        assert_eq!(
            (by_day.from.as_str(), by_day.to.as_str()),
            ("2025-12-01", "2025-12-07")
        );
        let days: Vec<(&str, u64)> = by_day
            .rows
            .iter()
            .map(|r| (r.group.as_str(), r.requests))
            .collect();
        assert_eq!(days, [("2025-12-06", 3), ("2025-12-07", 1)]);
        assert_eq!(by_day.total.requests, 4);
        assert_eq!(
            by_day.total.tokens,
            tokens(210, 44).plus(Tokens {
                cached_input_tokens: 0,
                ..Tokens::default()
            })
        );

        let alice = report(&kv, &query(&[("key", "alice"), ("group_by", "model")])).unwrap();
        let models: Vec<(&str, u64, u64)> = alice
            .rows
            .iter()
            .map(|r| (r.group.as_str(), r.requests, r.tokens.output_tokens))
            .collect();
        assert_eq!(models, [("gpt-5.4", 2, 40), ("gpt-6-sol", 1, 0)]);

        let one_day = report(&kv, &query(&[("from", "2025-12-07"), ("group_by", "key")])).unwrap();
        assert_eq!(one_day.rows.len(), 1);
        assert_eq!(one_day.rows[0].group, "alice");

        let stacked = report(&kv, &query(&[("group_by", "day,model")])).unwrap();
        assert_eq!(stacked.group_by, "day,model");
        let cells: Vec<(Option<&str>, Option<&str>, u64)> = stacked
            .rows
            .iter()
            .map(|r| (r.day.as_deref(), r.model.as_deref(), r.requests))
            .collect();
        assert_eq!(
            cells,
            [
                (Some("2025-12-06"), Some("gpt-5.4"), 3),
                (Some("2025-12-07"), Some("gpt-6-sol"), 1)
            ]
        );
        assert_eq!(stacked.rows[0].group, "2025-12-06 / gpt-5.4");
        assert!(stacked.rows[0].key.is_none());
    }

    #[test]
    fn bad_queries_name_their_parameter() {
        for (params, param) in [
            (vec![("from", "2025-13-01")], "from"),
            (vec![("to", "yesterday")], "to"),
            (vec![("group_by", "hour")], "group_by"),
            (vec![("group_by", "day,week")], "group_by"),
            (vec![("from", "2025-12-08"), ("to", "2025-12-07")], "from"),
            (vec![("from", "2020-01-01"), ("to", "2025-12-07")], "from"),
        ] {
            let err = Query::from_params(params.iter().copied(), DAY1).unwrap_err();
            assert_eq!(err.param(), Some(param));
        }
    }
}
