//! No import circles: in `gateway-core` and in the component, no module reaches (directly or
//! through others) a module that reaches back to it, so each can be read, tested and moved
//! with only what it imports. Test code is left out: a test module imports its parent by nature.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "test helper: a panic is a failed test (clippy only exempts #[test] fns here)"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`a::b`, `""` for the crate root) → its source without comments and tests.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts
                    .iter()
                    .any(|p| p == "tests" || p.ends_with("_tests") || p == "testkit")
                {
                    continue;
                }
                let module = match parts.last().map(String::as_str) {
                    Some("lib") | Some("main") if parts.len() == 1 => String::new(),
                    Some("mod") => parts[..parts.len() - 1].join("::"),
                    _ => parts.join("::"),
                };
                out.insert(module, code_of(&std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

/// The code before the first `#[cfg(test)]`, without comments (doc links are not imports).
fn code_of(text: &str) -> String {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parent(module: &str) -> String {
    module
        .rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_owned())
}

fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (false, true) => base.to_owned(),
        (false, false) => format!("{base}::{rest}"),
    }
}

/// The longest known module that `path` starts with.
fn resolve(known: &BTreeMap<String, String>, path: &str) -> String {
    let mut candidate = path.to_owned();
    loop {
        if known.contains_key(&candidate) {
            return candidate;
        }
        if candidate.is_empty() {
            return candidate;
        }
        candidate = parent(&candidate);
    }
}

/// Every path written in `code` from `crate::`, `super::`, `self::` or a child module of
/// `module`, made absolute; `use` groups (`a::{b, c::d}`) are expanded.
fn paths(module: &str, code: &str, children: &BTreeSet<String>) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let ident_len = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        if !boundary || ident_len == 0 {
            i += 1;
            continue;
        }
        let word = &code[i..i + ident_len];
        let (start, mut base) = match word {
            "crate" => (i + ident_len, String::new()),
            "super" | "self" => {
                let mut base = if word == "super" {
                    parent(module)
                } else {
                    module.to_owned()
                };
                let mut j = i + ident_len;
                while code[j..].starts_with("::super") {
                    base = parent(&base);
                    j += "::super".len();
                }
                (j, base)
            }
            w if children.contains(w) && code[i + ident_len..].starts_with("::") => {
                (i + ident_len, join(module, w))
            }
            _ => {
                i += ident_len;
                continue;
            }
        };
        let (end, groups) = read_path(code, start, &mut base);
        for item in groups {
            found.push(join(&base, &item));
        }
        if groups_empty(&found, &base) {
            found.push(base.clone());
        }
        i = end.max(i + ident_len);
    }
    found
}

fn groups_empty(found: &[String], base: &str) -> bool {
    !found.iter().any(|f| f.starts_with(base))
}

/// Read `::seg::seg…` from `start` into `base`; a trailing `::{…}` group yields its items.
fn read_path(code: &str, mut at: usize, base: &mut String) -> (usize, Vec<String>) {
    loop {
        let rest = &code[at..];
        let Some(after) = rest.strip_prefix("::") else {
            return (at, Vec::new());
        };
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut len = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    len = k;
                    break;
                }
            }
            let items = split_top(&group[..len])
                .into_iter()
                .map(|item| {
                    let item = item.split(" as ").next().unwrap_or_default().trim();
                    let head: Vec<&str> = item
                        .split("::")
                        .take_while(|s| !s.starts_with('{'))
                        .collect();
                    head.join("::").trim_end_matches("::*").to_owned()
                })
                .filter(|item| !item.is_empty() && item != "self" && item != "*")
                .collect();
            return (at + 3 + len, items);
        }
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if len == 0 {
            return (at, Vec::new());
        }
        *base = join(base, &after[..len]);
        at += 2 + len;
    }
}

fn split_top(group: &str) -> Vec<String> {
    let (mut items, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
}

/// The import edges between the modules of `src`.
fn edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let known = modules(src);
    let mut graph = BTreeMap::new();
    for (module, code) in &known {
        let children: BTreeSet<String> = known
            .keys()
            .filter(|k| !k.is_empty() && parent(k) == *module && *k != module)
            .map(|k| k.rsplit("::").next().unwrap_or_default().to_owned())
            .collect();
        let targets: BTreeSet<String> = paths(module, code, &children)
            .iter()
            .map(|p| resolve(&known, p))
            .filter(|t| t != module)
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// Groups of modules that reach each other (Tarjan's strongly connected components).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn crate_src(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

#[test]
fn the_finder_sees_a_circle() {
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(circles(&graph), [vec!["a".to_owned(), "b".to_owned()]]);
    let known: BTreeMap<String, String> = ["", "x", "x::y", "z"]
        .iter()
        .map(|m| ((*m).to_owned(), String::new()))
        .collect();
    let children = BTreeSet::from(["y".to_owned()]);
    let code = "use crate::z::{Thing, other};\nuse super::Item;\nlet v = y::make();";
    let mut resolved: Vec<String> = paths("x", code, &children)
        .iter()
        .map(|p| resolve(&known, p))
        .collect();
    resolved.sort();
    resolved.dedup();
    assert_eq!(resolved, ["", "x::y", "z"]);
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    for src in [
        "gateway-core/src",
        "gateway-component/src",
        "gateway-component-p3/src",
    ] {
        let found = circles(&edges(&crate_src(src)));
        assert!(found.is_empty(), "import circles in {src}: {found:?}");
    }
}
