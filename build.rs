//! Embeds the shipped data files (`profiles/*.toml`, `masks/*.toml`, `evc/*.toml`) in the binary.
//!
//! For each directory it writes `$OUT_DIR/<dir>.rs`: a sorted table of
//! `(file name, include_str!(absolute path))`. Adding a profile or a baseline is
//! adding a file; nothing in `src/` lists them by hand, so none can be forgotten.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for dir in ["profiles", "masks", "evc"] {
        embed(&manifest.join(dir), &out.join(format!("{dir}.rs")), dir);
    }
}

fn embed(dir: &Path, target: &Path, what: &str) {
    // A directory as rerun-if-changed: cargo rescans it when any entry changes.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    files.sort();
    let mut code =
        format!("/// Every `{what}/*.toml` file: (file name, contents), sorted by name.\n");
    code.push_str("pub(crate) static FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| panic!("{}: file name is not UTF-8", path.display()));
        let abs = path
            .to_str()
            .unwrap_or_else(|| panic!("{}: path is not UTF-8", path.display()));
        writeln!(code, "    ({name:?}, include_str!({abs:?})),")
            .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");
    std::fs::write(target, code)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
}
