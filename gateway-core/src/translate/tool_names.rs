//! Function names the backend accepts: at most [`MAX_TOOL_NAME`] characters.
//!
//! Clients that aggregate MCP servers (`mcp__<server>__<tool>`) easily pass that limit, and the
//! backend refuses the whole request for it. Longer names are shortened for the upstream
//! request and restored in every answer (only an upstream error message may still name the
//! shortened form).
//!
//! Shortening is deterministic for one request: names are taken in the order they first appear
//! (tools, then `tool_choice`, then the conversation), names that fit are kept as they are, and
//! a long name becomes `mcp__<last segment>` when it has that shape and the result fits, else
//! its first 64 characters. A name already in use gets `_1`, `_2`, … (within the limit).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::codex::request::{InputItem, ResponsesRequest, Tool, ToolChoice};

/// The backend's limit on a function name, in characters.
pub const MAX_TOOL_NAME: usize = 64;

/// The renaming of one request: empty unless some name was too long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    /// Client name → upstream name, only for names that were shortened.
    to_upstream: HashMap<String, String>,
    /// Upstream name → client name, the same pairs.
    to_client: HashMap<String, String>,
}

impl ToolNames {
    /// Plan upstream names for every name of one request, in order of appearance; `reserved`
    /// are names already used upstream that no shortened name may take.
    ///
    /// ```
    /// use gateway_core::translate::tool_names::ToolNames;
    ///
    /// let long = format!("mcp__{}__create_issue", "github".repeat(10));
    /// let names = ToolNames::plan([long.as_str(), "get_weather"], []);
    /// assert_eq!(names.upstream(&long), "mcp__create_issue");
    /// assert_eq!(names.client("mcp__create_issue"), long);
    /// assert_eq!(names.upstream("get_weather"), "get_weather");
    /// ```
    pub fn plan<'a>(
        names: impl IntoIterator<Item = &'a str>,
        reserved: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let names: Vec<&str> = names.into_iter().collect();
        // Names that fit are never renamed, so they are taken before any shortening.
        let mut taken: HashSet<&str> = names.iter().copied().filter(|n| fits(n)).collect();
        taken.extend(reserved);
        let mut plan = Self::default();
        let mut next_suffix: HashMap<String, usize> = HashMap::new();
        for name in names {
            if fits(name) || plan.to_upstream.contains_key(name) {
                continue;
            }
            let base = candidate(name);
            let short = if taken.contains(base.as_str()) || plan.to_client.contains_key(&base) {
                // Suffixes count up per base, so many clashes cost one try each.
                let n = next_suffix.entry(base.clone()).or_insert(1);
                loop {
                    let suffix = format!("_{n}");
                    *n += 1;
                    let room = MAX_TOOL_NAME.saturating_sub(suffix.len());
                    let name = format!("{}{suffix}", head(&base, room));
                    if !taken.contains(name.as_str()) && !plan.to_client.contains_key(&name) {
                        break name;
                    }
                }
            } else {
                base
            };
            plan.to_upstream.insert(name.to_owned(), short.clone());
            plan.to_client.insert(short, name.to_owned());
        }
        plan
    }

    /// Whether no name was shortened.
    pub fn is_empty(&self) -> bool {
        self.to_upstream.is_empty()
    }

    /// The name to send upstream for a client's name.
    pub fn upstream<'a>(&'a self, client: &'a str) -> &'a str {
        self.to_upstream.get(client).map_or(client, String::as_str)
    }

    /// The client's name for a name the backend used.
    pub fn client<'a>(&'a self, upstream: &'a str) -> &'a str {
        self.to_client
            .get(upstream)
            .map_or(upstream, String::as_str)
    }
}

/// Shortens function names over the limit everywhere they appear in a translated request:
/// function tools, a function `tool_choice` and the conversation's calls. Names of forwarded
/// tools (custom, hosted) are left alone but never given to a shortened name.
pub fn shorten_request_names(upstream: &mut ResponsesRequest) -> ToolNames {
    let declared = upstream.tools.iter().filter_map(|tool| match tool {
        Tool::Function(f) => Some(f.name.as_str()),
        Tool::Other(_) => None,
    });
    let chosen = match &upstream.tool_choice {
        Some(ToolChoice::Function(choice)) => Some(choice.name.as_str()),
        _ => None,
    };
    let called = upstream.input.iter().filter_map(|item| match item {
        InputItem::FunctionCall { name, .. } => Some(name.as_str()),
        _ => None,
    });
    let names: Vec<&str> = declared.chain(chosen).chain(called).collect();
    if names.iter().all(|n| fits(n)) {
        return ToolNames::default();
    }
    let forwarded: Vec<String> = upstream
        .tools
        .iter()
        .filter_map(|tool| match tool {
            Tool::Other(raw) => forwarded_name(raw.get()),
            Tool::Function(_) => None,
        })
        .collect();
    let plan = ToolNames::plan(names, forwarded.iter().map(String::as_str));
    let rename = |name: &mut String| {
        if let Some(short) = plan.to_upstream.get(name.as_str()) {
            short.clone_into(name);
        }
    };
    for tool in &mut upstream.tools {
        if let Tool::Function(f) = tool {
            rename(&mut f.name);
        }
    }
    if let Some(ToolChoice::Function(choice)) = &mut upstream.tool_choice {
        rename(&mut choice.name);
    }
    for item in &mut upstream.input {
        if let InputItem::FunctionCall { name, .. } = item {
            rename(name);
        }
    }
    plan
}

/// The name a forwarded tool object carries: `name`, or `custom.name` in the chat shape.
pub(crate) fn forwarded_name(raw: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        name: Option<String>,
        custom: Option<Box<Named>>,
    }
    let named: Named = serde_json::from_str(raw).ok()?;
    named.name.or_else(|| named.custom.and_then(|c| c.name))
}

fn fits(name: &str) -> bool {
    name.chars().count() <= MAX_TOOL_NAME
}

/// The preferred short form: an `mcp__` name keeps the segment after its last `__`, others
/// their head.
fn candidate(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("mcp__") {
        if let Some(tool) = rest.rsplit("__").next().filter(|t| !t.is_empty()) {
            let short = format!("mcp__{tool}");
            if fits(&short) {
                return short;
            }
        }
    }
    head(name, MAX_TOOL_NAME)
}

fn head(name: &str, chars: usize) -> String {
    name.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `n` copies of `fill` after `prefix`.
    fn long(prefix: &str, fill: &str, n: usize) -> String {
        format!("{prefix}{}", fill.repeat(n))
    }

    #[test]
    fn planned_names() {
        let mcp = long("mcp__", "s", 60) + "__search_issues";
        let nested = long("mcp__a__", "b", 60) + "__c";
        let other = long("tool_", "z", 70);
        let clash_a = long("same_head_", "q", 70) + "a";
        let clash_b = long("same_head_", "q", 70) + "b";
        let exact = "a".repeat(64);
        let wide = "é".repeat(65);
        let clash_short = head(&clash_a, 64);
        // (case, names, reserved, expected (client, upstream) pairs)
        type Case<'a> = (&'a str, Vec<&'a str>, Vec<&'a str>, Vec<(&'a str, String)>);
        let cases: Vec<Case> = vec![
            (
                "names that fit are untouched",
                vec!["f", &exact],
                vec![],
                vec![("f", "f".into()), (&exact, exact.clone())],
            ),
            (
                "mcp names keep their last segment",
                vec![&mcp],
                vec![],
                vec![(&mcp, "mcp__search_issues".into())],
            ),
            (
                "after the last __",
                vec![&nested],
                vec![],
                vec![(&nested, "mcp__c".into())],
            ),
            (
                "other names keep their head",
                vec![&other],
                vec![],
                vec![(&other, head(&other, 64))],
            ),
            (
                "clashes count up, a short name keeps its own",
                vec![&clash_short, &clash_a, &clash_b],
                vec![],
                vec![
                    (&clash_a, head(&clash_a, 62) + "_1"),
                    (&clash_b, head(&clash_a, 62) + "_2"),
                ],
            ),
            (
                "a declared short name is never taken",
                vec!["mcp__search_issues", &mcp],
                vec![],
                vec![
                    ("mcp__search_issues", "mcp__search_issues".into()),
                    (&mcp, "mcp__search_issues_1".into()),
                ],
            ),
            (
                "reserved names are never taken",
                vec![&mcp],
                vec!["mcp__search_issues"],
                vec![(&mcp, "mcp__search_issues_1".into())],
            ),
            (
                "characters, not bytes",
                vec![&wide],
                vec![],
                vec![(&wide, "é".repeat(64))],
            ),
        ];
        for (case, names, reserved, expected) in cases {
            let plan = ToolNames::plan(names.iter().copied(), reserved.iter().copied());
            for (client, upstream) in expected {
                assert_eq!(plan.upstream(client), upstream, "{case}");
                assert_eq!(plan.client(&upstream), client, "{case}");
            }
        }
    }

    #[test]
    fn a_name_seen_twice_is_planned_once() {
        let name = long("dup_", "d", 70);
        let plan = ToolNames::plan([name.as_str(), name.as_str()], []);
        assert_eq!(plan.to_upstream.len(), 1);
        assert!(!ToolNames::plan([name.as_str()], []).is_empty());
        assert!(ToolNames::plan(["short"], []).is_empty());
    }

    #[test]
    fn forwarded_tool_names_are_read_in_both_shapes() {
        assert_eq!(
            forwarded_name(r#"{"type":"custom","name":"a"}"#).as_deref(),
            Some("a")
        );
        assert_eq!(
            forwarded_name(r#"{"type":"custom","custom":{"name":"b"}}"#).as_deref(),
            Some("b")
        );
        assert_eq!(forwarded_name(r#"{"type":"web_search"}"#), None);
        assert_eq!(forwarded_name(r#"{"name":7}"#), None);
    }

    proptest! {
        /// Whatever the names: every upstream name fits and is distinct, names that fit are
        /// unchanged, and every name comes back.
        #[test]
        fn plans_are_within_the_limit_distinct_and_reversible(
            names in proptest::collection::vec("(mcp__)?[a-z_]{0,3}(__)?[a-z_é]{0,90}", 0..12),
            reserved in proptest::collection::vec("mcp__[a-z_]{0,8}", 0..3),
        ) {
            let plan = ToolNames::plan(
                names.iter().map(String::as_str),
                reserved.iter().map(String::as_str),
            );
            let mut seen: HashMap<&str, &str> = HashMap::new();
            for name in &names {
                let up = plan.upstream(name);
                prop_assert!(up.chars().count() <= MAX_TOOL_NAME);
                prop_assert_eq!(plan.client(up), name.as_str());
                if fits(name) {
                    prop_assert_eq!(up, name.as_str());
                } else {
                    prop_assert!(!reserved.iter().any(|r| r == up));
                }
                if let Some(other) = seen.insert(up, name) {
                    prop_assert_eq!(other, name.as_str(), "two names share {}", up);
                }
            }
        }
    }
}
