//! Function names the backend accepts: at most [`MAX_TOOL_NAME`] characters.
//!
//! Clients that aggregate MCP servers (`mcp__<server>__<tool>`) easily pass that limit, and the
//! backend refuses the whole request for it. Longer names are shortened for the upstream
//! request and restored in every answer, so the client never sees the upstream name.
//!
//! Shortening is deterministic for one request: names are taken in the order they first appear
//! (tools, then `tool_choice`, then the conversation), names that fit are kept as they are, and
//! a long name becomes `mcp__<last segment>` when it has that shape and the result fits, else
//! its first 64 characters. A name already in use gets `_1`, `_2`, … (within the limit).

use std::collections::HashSet;

/// The backend's limit on a function name, in characters.
pub const MAX_TOOL_NAME: usize = 64;

/// The renaming of one request: empty unless some name was too long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    /// (upstream name, client name), only for names that were shortened.
    renamed: Vec<(String, String)>,
}

impl ToolNames {
    /// Plan upstream names for every name of one request, in order of appearance.
    ///
    /// ```
    /// use gateway_core::translate::tool_names::ToolNames;
    ///
    /// let long = format!("mcp__{}__create_issue", "github".repeat(10));
    /// let names = ToolNames::plan([long.as_str(), "get_weather"]);
    /// assert_eq!(names.upstream(&long), "mcp__create_issue");
    /// assert_eq!(names.client("mcp__create_issue"), long);
    /// assert_eq!(names.upstream("get_weather"), "get_weather");
    /// ```
    pub fn plan<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let names: Vec<&str> = names.into_iter().collect();
        // Names that fit are never renamed, so they are taken before any shortening.
        let mut taken: HashSet<String> = names
            .iter()
            .filter(|n| fits(n))
            .map(|n| (*n).to_owned())
            .collect();
        let mut renamed: Vec<(String, String)> = Vec::new();
        for name in names {
            if fits(name) || renamed.iter().any(|(_, client)| client == name) {
                continue;
            }
            let short = unique(&candidate(name), &taken);
            taken.insert(short.clone());
            renamed.push((short, name.to_owned()));
        }
        Self { renamed }
    }

    /// Whether no name was shortened.
    pub fn is_empty(&self) -> bool {
        self.renamed.is_empty()
    }

    /// The name to send upstream for a client's name.
    pub fn upstream<'a>(&'a self, client: &'a str) -> &'a str {
        self.renamed
            .iter()
            .find(|(_, c)| c == client)
            .map_or(client, |(upstream, _)| upstream)
    }

    /// The client's name for a name the backend used.
    pub fn client<'a>(&'a self, upstream: &'a str) -> &'a str {
        self.renamed
            .iter()
            .find(|(u, _)| u == upstream)
            .map_or(upstream, |(_, client)| client)
    }
}

fn fits(name: &str) -> bool {
    name.chars().count() <= MAX_TOOL_NAME
}

/// The preferred short form: MCP names keep their tool segment, others their head.
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

/// `base`, or `base` cut to make room for the first free `_N` suffix.
fn unique(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (1usize..)
        .map(|n| {
            let suffix = format!("_{n}");
            let room = MAX_TOOL_NAME.saturating_sub(suffix.len());
            format!("{}{suffix}", head(base, room))
        })
        .find(|name| !taken.contains(name))
        .unwrap_or_default()
}

fn head(name: &str, chars: usize) -> String {
    name.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(prefix: &str, fill: char) -> String {
        format!("{prefix}{}", fill.to_string().repeat(70))
    }

    #[test]
    fn names_that_fit_are_untouched() {
        let exact = "a".repeat(64);
        let names = ToolNames::plan(["f", exact.as_str()]);
        assert!(names.is_empty());
        assert_eq!(names.upstream(&exact), exact);
        assert_eq!(names.client("f"), "f");
    }

    #[test]
    fn mcp_names_keep_their_tool_segment() {
        let name = format!("mcp__{}__search_issues", "s".repeat(60));
        let names = ToolNames::plan([name.as_str()]);
        assert_eq!(names.upstream(&name), "mcp__search_issues");
        assert_eq!(names.client("mcp__search_issues"), name);
    }

    #[test]
    fn other_long_names_keep_their_head() {
        let name = long("tool_", 'z');
        let names = ToolNames::plan([name.as_str()]);
        let up = names.upstream(&name);
        assert_eq!(up.len(), 64);
        assert!(name.starts_with(up));
    }

    #[test]
    fn collisions_get_numbered_suffixes_within_the_limit() {
        let a = long("same_head_", 'q') + "a";
        let b = long("same_head_", 'q') + "b";
        // A short name that already equals a's candidate pushes even a to a suffix.
        let c = head(&a, 64);
        let names = ToolNames::plan([c.as_str(), a.as_str(), b.as_str()]);
        let (ua, ub) = (names.upstream(&a), names.upstream(&b));
        assert_eq!(names.upstream(&c), c);
        assert!(ua.ends_with("_1") && ub.ends_with("_2"), "{ua} {ub}");
        assert!(ua.len() <= 64 && ub.len() <= 64);
        assert_eq!(
            (names.client(ua), names.client(ub)),
            (a.as_str(), b.as_str())
        );
    }

    #[test]
    fn a_name_seen_twice_is_planned_once() {
        let name = long("dup_", 'd');
        let names = ToolNames::plan([name.as_str(), name.as_str()]);
        assert_eq!(names.renamed.len(), 1);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let name = "é".repeat(64);
        assert!(ToolNames::plan([name.as_str()]).is_empty());
        let longer = "é".repeat(65);
        let names = ToolNames::plan([longer.as_str()]);
        assert_eq!(names.upstream(&longer).chars().count(), 64);
    }
}
