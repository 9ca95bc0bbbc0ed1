//! The layout is the data flow (ARCHITECTURE.md): each top-level module of
//! `src/` may use only the modules of the layers before it. This test reads
//! every `crate::` and `super::` path in `src/` (comments skipped) and names the
//! file and line of each use that goes against the flow, and of each use of clap
//! outside the command-line layer.

use std::path::{Path, PathBuf};

/// The layers in data-flow order. A module may use the modules of earlier
/// layers; modules in one layer may not use each other.
const LAYERS: &[&[&str]] = &[
    &["util"],
    &["cpuid"],
    &["catalog"],
    &["decode"],
    &["mask"],
    &["model"],
    &["shipped"],
    &["sources", "analysis"],
    &["render"],
    &["cli"],
    &["commands"],
];

/// The only files that may name clap: the command line, the binary, and the
/// completions/man page generated from the command line.
const CLAP_FILES: &[&str] = &["src/cli.rs", "src/main.rs", "src/commands/completions.rs"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
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

/// The module path of a file below `src/` (`src/a/b.rs` and `src/a/b/mod.rs`
/// are `[a, b]`; `src/lib.rs` is `[]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// `prefix` extended to two segments with the path at the start of `s`.
fn segments(mut s: &str, mut prefix: Vec<String>) -> Vec<String> {
    while prefix.len() < 2 {
        let id = ident_at(s);
        if id.is_empty() || id == "self" {
            break;
        }
        prefix.push(id.to_string());
        match s[id.len()..].strip_prefix("::") {
            Some(rest) => s = rest,
            None => break,
        }
    }
    prefix
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a line's `crate::`/`super::` paths name.
fn used_modules(line: &str, module: &[String]) -> Vec<String> {
    used_paths(line, module)
        .into_iter()
        .map(|p| p[0].clone())
        .collect()
}

/// The paths (top-level module, then the next segment where there is one) a
/// line's `crate::`/`super::` paths name.
fn used_paths(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let before = &rest[..i];
        let after = &rest[i + "crate::".len()..];
        rest = after;
        // `$crate::` in macros and `vmcompat_crate::`-like names are not ours.
        if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let p = segments(item.trim(), Vec::new());
                if !p.is_empty() {
                    found.push(p);
                }
            }
        } else {
            let p = segments(after, Vec::new());
            if !p.is_empty() {
                found.push(p);
            }
        }
    }
    let mut from = 0;
    while let Some(i) = line[from..].find("super::") {
        let at = from + i;
        from = at + "super::".len();
        let before = &line[..at];
        if before.ends_with("super::")
            || before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let mut after = &line[at..];
        let mut path: Vec<String> = module.to_vec();
        while let Some(a) = after.strip_prefix("super::") {
            path.pop();
            after = a;
        }
        let p = segments(after, path);
        if !p.is_empty() {
            found.push(p);
        }
    }
    found
}

/// One line of `src/` that names a module by a `crate::`/`super::` path.
struct Use {
    /// `src/...:LINE`.
    at: String,
    /// The line, trimmed.
    code: String,
    /// The module of the file the line is in.
    from: Vec<String>,
    /// The module path named (top-level module and, where there is one, the next).
    to: Vec<String>,
}

/// Every use in `src/` (comments skipped; `lib.rs` and `main.rs` wire everything
/// and are left out), plus the lines that name clap.
fn scan() -> (Vec<Use>, Vec<String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut uses = Vec::new();
    let mut clap = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("below src/");
        let shown = format!("src/{}", rel.display());
        if shown == "src/main.rs" || shown == "src/lib.rs" {
            continue;
        }
        let module = module_path(rel);
        let text = std::fs::read_to_string(file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim();
            if code.starts_with("//") {
                continue;
            }
            let at = format!("{shown}:{}", n + 1);
            if (code.contains("clap::") || code.starts_with("use clap"))
                && !CLAP_FILES.contains(&shown.as_str())
            {
                clap.push(format!(
                    "{at}: uses clap; only {} may (give the type no clap derive and map it in cli.rs)",
                    CLAP_FILES.join(", ")
                ));
            }
            for to in used_paths(code, &module) {
                uses.push(Use {
                    at: at.clone(),
                    code: code.to_string(),
                    from: module.clone(),
                    to,
                });
            }
        }
    }
    (uses, clap)
}

#[test]
fn every_use_follows_the_data_flow() {
    let (uses, mut breaches) = scan();
    let mut unplaced = std::collections::BTreeSet::new();
    for u in &uses {
        let top = u.from.first().map_or("", String::as_str);
        let Some(own) = layer_of(top) else {
            unplaced.insert(top.to_string());
            continue;
        };
        let used = u.to[0].as_str();
        if used == top {
            continue;
        }
        let Some(theirs) = layer_of(used) else {
            continue;
        };
        if theirs >= own {
            let where_ = if theirs == own {
                "in the same layer"
            } else {
                "later"
            };
            breaches.push(format!(
                "{}: `{top}` uses `{used}`, which comes {where_} in the data flow ({})",
                u.at, u.code
            ));
        }
    }
    for m in unplaced {
        breaches.push(format!(
            "src/{m}: module `{m}` is in no layer: add it to LAYERS here and to ARCHITECTURE.md"
        ));
    }
    assert!(
        breaches.is_empty(),
        "{} use(s) against the data flow (see ARCHITECTURE.md):\n{}",
        breaches.len(),
        breaches.join("\n")
    );
}

/// Top-level modules whose submodules use each other in one direction only
/// (`sources::fleet` may use `sources::ssh`, not both ways round): where new
/// host sources, output formats and shared types go. (analysis, mask and catalog
/// still have such cycles between their files; see ARCHITECTURE.md.)
const ACYCLIC: &[&str] = &[
    "util", "cpuid", "decode", "model", "shipped", "sources", "render", "commands",
];

/// Within the [`ACYCLIC`] modules, no two submodules use each other, directly
/// or through others.
#[test]
fn no_cycle_between_sibling_modules() {
    use std::collections::{BTreeMap, BTreeSet};
    let (uses, _) = scan();
    // (top, from-submodule) -> to-submodule -> first line seen.
    let mut edges: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for u in &uses {
        if u.from.len() < 2
            || u.to.len() < 2
            || u.to[0] != u.from[0]
            || u.to[1] == u.from[1]
            || !ACYCLIC.contains(&u.from[0].as_str())
        {
            continue;
        }
        edges
            .entry((u.from[0].clone(), u.from[1].clone()))
            .or_default()
            .entry(u.to[1].clone())
            .or_insert_with(|| format!("{} ({})", u.at, u.code));
    }
    let reaches = |top: &str, from: &str, goal: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            if m == goal {
                return true;
            }
            if seen.insert(m.clone()) {
                if let Some(next) = edges.get(&(top.to_string(), m)) {
                    stack.extend(next.keys().cloned());
                }
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for ((top, from), tos) in &edges {
        for (to, at) in tos {
            if reaches(top, to, from) {
                cycles.push(format!(
                    "{at}: `{top}::{from}` uses `{top}::{to}`, which uses it back"
                ));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "{} use(s) in a cycle between sibling modules:\n{}",
        cycles.len(),
        cycles.join("\n")
    );
}

#[test]
fn the_checker_sees_breaches() {
    let m = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
    assert_eq!(
        used_modules("use crate::render::OutputFormat;", &m("sources/x")),
        ["render"]
    );
    assert_eq!(
        used_modules("use crate::{cli::A, model::B};", &m("render")),
        ["cli", "model"]
    );
    assert_eq!(
        used_modules("use super::x;", &m("sources/ssh/fleet")),
        ["sources"]
    );
    assert_eq!(
        used_modules("use super::super::x;", &m("sources/ssh")),
        ["x"]
    );
    assert!(used_modules("$crate::foo", &m("util")).is_empty());
    assert_eq!(
        used_paths("use super::ssh::Target;", &m("sources/fleet/remote")),
        [["sources", "fleet"]]
    );
    assert_eq!(
        used_paths("use super::ssh::Target;", &m("sources/fleet")),
        [["sources", "ssh"]]
    );
    assert!(layer_of("render") > layer_of("analysis"));
    assert_eq!(layer_of("sources"), layer_of("analysis"));
}
