//! Issue 15, item 6: long feature lists in text output are wrapped and grouped by
//! family (one line per family, families in a fixed order, names sorted and
//! listed once), while JSON keeps the plain lists. Uses shipped profiles and
//! `examples/fleet.toml`, so it needs no shared data.

use std::collections::BTreeSet;
use std::process::{Command, Output};

fn vmcompat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .env("COLUMNS", "80")
        .env_remove("NO_COLOR")
        .output()
        .expect("run vmcompat")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The family lines (with their wrapped continuations joined) that follow the
/// line starting with `heading`, at indentation `indent`.
fn family_block(text: &str, heading: &str, indent: usize) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(heading)).skip(1);
    let mut out: Vec<String> = Vec::new();
    for l in lines.by_ref() {
        let rest = &l[l.len() - l.trim_start().len()..];
        let depth = l.len() - rest.len();
        if depth == indent && rest.contains(": ") {
            out.push(rest.to_string());
        } else if depth > indent && !out.is_empty() {
            let last = out.last_mut().unwrap();
            last.push(' ');
            last.push_str(rest);
        } else {
            break;
        }
    }
    out
}

const ORDER: &[&str] = &[
    "AVX-512",
    "AVX and AMX",
    "SSE and MMX",
    "speculation controls",
    "virtualization",
    "TSX",
    "crypto and RNG",
    "XSAVE",
    "bit manipulation",
    "memory protection",
    "SGX and encryption",
    "power and thermal",
    "monitoring and debug",
    "other",
];

/// Checks a block of family lines: known families in order, each name once,
/// names sorted within a family; returns all the names.
fn check_block(block: &[String]) -> BTreeSet<String> {
    assert!(!block.is_empty(), "no family lines");
    let mut last = 0;
    let mut all = BTreeSet::new();
    for line in block {
        let (family, names) = line.split_once(": ").expect("family: names");
        let pos = ORDER
            .iter()
            .position(|f| *f == family)
            .unwrap_or_else(|| panic!("unknown family {family:?} in {line:?}"));
        assert!(pos >= last, "families out of order at {line:?}");
        last = pos;
        let names: Vec<&str> = names.split(' ').collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "names not sorted in {line:?}");
        for n in names {
            assert!(all.insert(n.to_string()), "{n} listed twice");
        }
    }
    all
}

#[test]
fn diff_groups_a_long_list_by_family_and_json_keeps_the_list() {
    let o = vmcompat(&["diff", "xeon-5100", "xeon-scalable-4th-gen"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "line over 80 columns: {l:?}");
    }
    let block = family_block(&text, "Only B has (", 2);
    let names = check_block(&block);
    assert!(block[0].starts_with("AVX-512: "), "{block:?}");
    assert!(
        block
            .iter()
            .any(|l| l.starts_with("speculation controls: ") && l.contains("md_clear")),
        "{block:?}"
    );
    // The same features as the JSON list, no more, no fewer.
    let j = vmcompat(&[
        "diff",
        "xeon-5100",
        "xeon-scalable-4th-gen",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("one JSON document");
    let json: BTreeSet<String> = v["only_b"]
        .as_array()
        .expect("only_b is a list")
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, json);
    let count: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Only B has ("))
        .and_then(|r| r.strip_suffix("):"))
        .and_then(|n| n.parse().ok())
        .expect("Only B has (N):");
    assert_eq!(count, json.len());
    // The mask verdict lists the same features, grouped too.
    let hide = family_block(
        &text,
        "  VM powered on at B -> A: yes with a mask hiding",
        4,
    );
    assert_eq!(check_block(&hide), json);
}

#[test]
fn short_lists_stay_on_one_line_with_descriptions() {
    let o = vmcompat(&["diff", "xeon-e5-2600-v3", "xeon-e5-2600-v4"]);
    let text = stdout(&o);
    // Broadwell adds a handful of features: one per line, with what each is.
    assert!(text.contains("Only B has ("), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("  rdseed ") && l.contains("RDSEED")),
        "{text}"
    );
    assert!(!text.contains("AVX-512: "), "{text}");
}

#[test]
fn audit_lacks_lines_are_grouped_when_long() {
    let o = vmcompat(&["audit", "examples/fleet.toml"]);
    let text = stdout(&o);
    let heading = text
        .lines()
        .find(|l| l.contains("prod/cascadelake -> prod/haswell: with mask; prod/haswell lacks "))
        .unwrap_or_else(|| panic!("no cascadelake -> haswell line:\n{text}"));
    let n: usize = heading
        .rsplit("lacks ")
        .next()
        .and_then(|r| r.strip_suffix(" features:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not 'lacks N features:': {heading}"));
    let block = family_block(&text, heading, 6);
    let names = check_block(&block);
    assert_eq!(names.len(), n, "{block:?}");
    assert!(names.contains("avx512f"), "{block:?}");
    // A short list stays inline.
    assert!(
        text.contains("prod/broadwell -> prod/haswell: with mask; prod/haswell lacks: "),
        "{text}"
    );
}

#[test]
fn mask_notes_group_a_long_hide_list() {
    let o = vmcompat(&["mask", "examples/fleet.toml", "--format", "vmx"]);
    let text = stdout(&o);
    let block: Vec<String> = text
        .lines()
        .skip_while(|l| !l.contains("vmcompat mask for AMD"))
        .skip_while(|l| !l.ends_with("feature(s):"))
        .skip(1)
        .take_while(|l| l.starts_with("#   ") && l.contains(": "))
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .collect();
    let names = check_block(&block);
    assert!(names.len() > 8, "{block:?}");
    // The mask lines themselves are untouched.
    assert!(
        text.lines().any(|l| l.starts_with("cpuid.7.0.ebx = \"")),
        "{text}"
    );
}
