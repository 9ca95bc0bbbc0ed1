//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod sshlab;

use std::path::PathBuf;

/// The `../shared` folder beside the project (corpus, reference facts, samples).
///
/// Returns `None`, after saying so plainly on stderr, when it is absent on a
/// developer machine. In CI (`CI=true`) its absence is a failure, not a skip.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.join("corpus").is_dir() && dir.join("reference").is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "../shared is absent (looked for {}): tests that read the corpus, reference facts \
         and samples were SKIPPED",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}; in CI it must be present");
    }
    eprintln!("NOTE: {msg}");
    None
}

/// Reads a tab-separated reference file: comment lines (`#`) skipped, the first
/// other line is the header; each row maps column name to value.
pub fn read_tsv(path: &std::path::Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .map(|h| h.split('\t').map(str::to_string).collect())
        .unwrap_or_default();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(
                    l.split('\t')
                        .map(str::to_string)
                        .chain(std::iter::repeat(String::new())),
                )
                .collect()
        })
        .collect()
}
