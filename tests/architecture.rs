//! The code's shape, checked from its sources (in the style of rust-analyzer's tidy tests):
//! imports between src/'s top-level modules form no cycle, and the leaf modules import nothing
//! of the crate. ARCHITECTURE.md lists the layers; this test keeps them true.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Modules every stage may use, which themselves use nothing of the crate.
const LEAVES: &[&str] = &["encoding", "html", "progress"];

/// Items re-exported at the crate root, and the module that defines them.
const ROOT_REEXPORTS: &[(&str, &str)] = &[("Error", "error"), ("Result", "error")];

/// One import: which top-level module uses which, and where (the first place it does).
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    at: String,
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let edges = crate_edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        edges.len() > 20,
        "read only {} imports from src/: the reader is broken",
        edges.len()
    );
    let cycles = cycles(&edges);
    assert!(
        cycles.is_empty(),
        "src/'s modules import each other in a circle; a stage may import only the stages below it \
         and the leaf modules ({}), and rendering sits beside its type (ARCHITECTURE.md, \"Layers\"):\n{}",
        LEAVES.join(", "),
        cycles.join("\n")
    );
}

#[test]
fn leaf_modules_import_nothing_of_the_crate() {
    let edges = crate_edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let bad: Vec<String> = edges
        .iter()
        .filter(|e| LEAVES.contains(&e.from.as_str()))
        .map(|e| format!("{} imports {} at {}", e.from, e.to, e.at))
        .collect();
    assert!(
        bad.is_empty(),
        "a leaf module imports the crate; move the code that needs it up to its caller:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_reader_sees_every_form_of_import_and_skips_comments() {
    let src = r#"
        //! Uses [`crate::doc_only`] in a doc comment: no import.
        use crate::{alpha::A, beta::{B, C}, Error};
        use crate::gamma;
        fn f() -> crate::Result<()> { crate::delta::go(); Ok(()) }
        // crate::in_comment::no
        let s = "crate::in_string";
    "#;
    let got: BTreeSet<String> = uses_of(src).into_iter().map(|(m, _)| m).collect();
    let want: BTreeSet<String> = ["alpha", "beta", "delta", "error", "gamma"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_cycle_is_found_and_named_with_where_each_import_is() {
    let e = |from: &str, to: &str| Edge {
        from: from.into(),
        to: to.into(),
        at: format!("src/{from}.rs:1"),
    };
    let none = cycles(&[
        e("steps", "prove"),
        e("prove", "circuit"),
        e("steps", "circuit"),
    ]);
    assert!(none.is_empty(), "{none:?}");
    let found = cycles(&[
        e("html", "steps"),
        e("steps", "prove"),
        e("prove", "html"),
        e("audio", "html"),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("html → steps → prove → html") && found[0].contains("src/prove.rs:1"),
        "{}",
        found[0]
    );
}

/// The top-level module a source file belongs to (`src/evm/chain.rs` → `evm`), or `None` for the
/// crate root and binaries, which sit above every module.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" | "bin" => None,
        f => Some(f.trim_end_matches(".rs").to_string()),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every import of another top-level module in src/, the first place each is made.
fn crate_edges(src: &Path) -> Vec<Edge> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut seen = BTreeMap::new();
    for file in files {
        let Some(from) = module_of(src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (to, line) in uses_of(&text) {
            if to != from {
                let at = format!(
                    "{}:{line}",
                    file.strip_prefix(src.parent().unwrap()).unwrap().display()
                );
                seen.entry((from.clone(), to)).or_insert(at);
            }
        }
    }
    seen.into_iter()
        .map(|((from, to), at)| Edge { from, to, at })
        .collect()
}

/// The top-level modules a source text names through `crate::` paths (in `use` lines, grouped
/// `use crate::{a, b::{c}}` forms and inline paths), with the line of each; comments and string
/// literals are skipped.
fn uses_of(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = code_part(raw);
        let mut rest = line.as_str();
        while let Some(pos) = rest.find("crate::") {
            let after = &rest[pos + "crate::".len()..];
            // `crate::` must start a path (not be the tail of another identifier).
            let before = rest[..pos].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                rest = after;
                continue;
            }
            if let Some(group) = after.strip_prefix('{') {
                let body = balanced(group);
                for name in group_heads(body) {
                    out.push((name, i + 1));
                }
                rest = &group[body.len()..];
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                rest = &after[name.len()..];
                if !name.is_empty() {
                    out.push((name, i + 1));
                }
            }
        }
    }
    out.into_iter()
        .filter_map(|(name, line)| resolve(&name).map(|m| (m, line)))
        .collect()
}

/// A root item's module (`Error` → `error`); `None` for `self` and the prelude.
fn resolve(name: &str) -> Option<String> {
    if name == "self" || name == "prelude" {
        return None;
    }
    for (item, module) in ROOT_REEXPORTS {
        if name == *item {
            return Some(module.to_string());
        }
    }
    Some(name.to_string())
}

/// The line without its `//` comment and with string literals blanked.
fn code_part(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        } else if c == '/' && chars.peek() == Some(&'/') {
            break;
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of a `{...}` group up to its closing brace (which is not included).
fn balanced(s: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return &s[..i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    s
}

/// The first path segment of each item of a `use` group: `a::X, b::{C, D}, E` → a, b, E.
fn group_heads(body: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut item = String::new();
    for c in body.chars().chain(std::iter::once(',')) {
        match c {
            '{' => {
                depth += 1;
                item.push(c);
            }
            '}' => {
                depth -= 1;
                item.push(c);
            }
            ',' if depth == 0 => {
                let head: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    heads.push(head);
                }
                item.clear();
            }
            _ => item.push(c),
        }
    }
    heads
}

/// Each cycle among the modules, one per strongly connected component, written as the shortest
/// circle through its first module with where each import is made.
fn cycles(edges: &[Edge]) -> Vec<String> {
    let mut next: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for e in edges {
        next.entry(e.from.as_str()).or_default().push(e);
    }
    let nodes: BTreeSet<&str> = edges
        .iter()
        .flat_map(|e| [e.from.as_str(), e.to.as_str()])
        .collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for &start in &nodes {
        if done.contains(start) {
            continue;
        }
        // The modules on a circle with `start` are those it reaches that also reach it.
        let reach = |from: &str| -> BTreeSet<String> {
            let mut seen = BTreeSet::new();
            let mut queue = VecDeque::from([from.to_string()]);
            while let Some(n) = queue.pop_front() {
                for e in next.get(n.as_str()).into_iter().flatten() {
                    if seen.insert(e.to.clone()) {
                        queue.push_back(e.to.clone());
                    }
                }
            }
            seen
        };
        let from_start = reach(start);
        if !from_start.contains(start) {
            done.insert(start);
            continue;
        }
        let component: BTreeSet<&str> = nodes
            .iter()
            .copied()
            .filter(|n| *n == start || (from_start.contains(*n) && reach(n).contains(start)))
            .collect();
        done.extend(component.iter().copied());
        out.push(shortest_circle(start, &next, &component));
    }
    out
}

/// The shortest circle from `start` back to itself inside `component` (breadth first).
fn shortest_circle(
    start: &str,
    next: &BTreeMap<&str, Vec<&Edge>>,
    component: &BTreeSet<&str>,
) -> String {
    let mut back: BTreeMap<String, Edge> = BTreeMap::new();
    let mut queue = VecDeque::from([start.to_string()]);
    let mut end = None;
    'search: while let Some(n) = queue.pop_front() {
        for e in next.get(n.as_str()).into_iter().flatten() {
            if !component.contains(e.to.as_str()) {
                continue;
            }
            if e.to == start {
                end = Some((*e).clone());
                break 'search;
            }
            if !back.contains_key(&e.to) {
                back.insert(e.to.clone(), (*e).clone());
                queue.push_back(e.to.clone());
            }
        }
    }
    let mut path = vec![end.expect("a component's module reaches itself")];
    while path.last().unwrap().from != start {
        let e = back[&path.last().unwrap().from].clone();
        path.push(e);
    }
    path.reverse();
    let names: Vec<&str> = std::iter::once(start)
        .chain(path.iter().map(|e| e.to.as_str()))
        .collect();
    let wheres: Vec<String> = path
        .iter()
        .map(|e| format!("  {} → {} at {}", e.from, e.to, e.at))
        .collect();
    format!(
        "{} ({} modules in this circle: {})\n{}",
        names.join(" → "),
        component.len(),
        component.iter().copied().collect::<Vec<_>>().join(", "),
        wheres.join("\n")
    )
}
