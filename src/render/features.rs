//! Long feature lists for people: grouped by family, one line per family.

use crate::catalog::{by_id, family, lookup, Family, FeatureSet};

/// Lists with more features than this are printed as [`grouped`] lines under
/// a heading; shorter ones stay on one line.
pub const INLINE_MAX: usize = 8;

/// Appends `heading` followed by the features of `set` to `out` as text lines:
/// on one line (`"<heading> a b c"`) when the set has at most [`INLINE_MAX`]
/// features, otherwise `"<heading> (N features):"` and one [`grouped`] line per
/// family indented by `indent + 2`. `heading` is printed after `indent` spaces.
pub fn push_list(out: &mut String, indent: usize, heading: &str, set: &FeatureSet) {
    let pad = " ".repeat(indent);
    if set.len() <= INLINE_MAX {
        out.push_str(&format!("{pad}{heading} {}\n", set.names().join(" ")));
        return;
    }
    let n = super::count(set.len(), "feature");
    out.push_str(&format!("{pad}{} ({n}):\n", heading.trim_end_matches(':')));
    for line in grouped(set) {
        out.push_str(&format!("{pad}  {line}\n"));
    }
}

/// A feature set as lines `"<family>: name name ..."`, one per family present,
/// families in [`Family`] order and names sorted within each (a set holds each
/// feature once, so the lines have no duplicates). Families come from
/// [`crate::catalog::family`]. Lines are not wrapped here: the output layer
/// wraps them to the terminal width, indenting continuation lines. Empty set:
/// no lines.
pub fn grouped(set: &FeatureSet) -> Vec<String> {
    let mut pairs: Vec<(Family, &'static str)> = set
        .iter()
        .map(|id| {
            let d = by_id(id);
            (family(d), d.name)
        })
        .collect();
    lines(&mut pairs)
}

/// As [`grouped`], for a list of feature names (catalog spellings); names the
/// catalog does not know go to "other" as given. Duplicates are dropped.
pub fn grouped_names<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let mut pairs: Vec<(Family, &str)> = names
        .iter()
        .map(|n| {
            let n = n.as_ref();
            (lookup(n).map_or(Family::Other, |id| family(by_id(id))), n)
        })
        .collect();
    lines(&mut pairs)
}

fn lines(pairs: &mut Vec<(Family, &str)>) -> Vec<String> {
    pairs.sort_unstable();
    pairs.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<Family> = None;
    for &(f, name) in pairs.iter() {
        if current == Some(f) {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(name);
            }
        } else {
            out.push(format!("{}: {name}", f.label()));
            current = Some(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_family_then_name() {
        let set = FeatureSet::from_names(&[
            "avx512dq",
            "md_clear",
            "vmx",
            "avx512f",
            "fpu",
            "spec_ctrl",
            "avx2",
        ])
        .expect("catalog names");
        assert_eq!(
            grouped(&set),
            vec![
                "AVX-512: avx512dq avx512f",
                "AVX and AMX: avx2",
                "speculation controls: md_clear spec_ctrl",
                "virtualization: vmx",
                "other: fpu",
            ]
        );
        assert!(grouped(&FeatureSet::default()).is_empty());
    }

    #[test]
    fn names_are_deduplicated_and_unknown_names_kept() {
        assert_eq!(
            grouped_names(&["rtm", "hle", "rtm", "frobnicate"]),
            vec!["TSX: hle rtm", "other: frobnicate"]
        );
    }
}
