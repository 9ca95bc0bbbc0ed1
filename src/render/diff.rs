//! `vmcompat diff` for people.

use std::fmt::Write as _;

use crate::analysis::diff::{describe, CpuDiff};
use crate::analysis::fleet::Verdict;
use crate::catalog::FeatureSet;

fn list(out: &mut String, title: &str, set: &FeatureSet) {
    if set.is_empty() {
        let _ = writeln!(out, "{title}: none");
        return;
    }
    let _ = writeln!(out, "{title} ({}):", set.len());
    if set.len() <= crate::render::features::INLINE_MAX {
        // A short list: one feature a line, with what it is.
        for id in set.iter() {
            let _ = writeln!(out, "  {}", describe(id));
        }
    } else {
        // A long list: one line per family (the output layer wraps them).
        for line in crate::render::features::grouped(set) {
            let _ = writeln!(out, "  {line}");
        }
    }
}

fn verdict(out: &mut String, from: &str, to: &str, v: &Verdict) {
    let text = match v {
        Verdict::Yes => "yes, no mask needed".to_string(),
        Verdict::WithMask { hide, .. } if hide.len() > crate::render::features::INLINE_MAX => {
            let _ = writeln!(
                out,
                "  VM powered on at {from} -> {to}: yes with a mask hiding {}:",
                crate::render::count(hide.len(), "feature")
            );
            for line in crate::render::features::grouped(hide) {
                let _ = writeln!(out, "    {line}");
            }
            return;
        }
        Verdict::WithMask { hide, .. } => {
            format!("yes with a mask hiding: {}", hide.names().join(" "))
        }
        Verdict::No { reasons } => format!("NO: {}", reasons.join("; ")),
    };
    let _ = writeln!(out, "  VM powered on at {from} -> {to}: {text}");
}

/// Renders the differences and the verdict both ways.
pub fn render(d: &CpuDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A = {}\nB = {}\n", d.a, d.b);
    if let Some((a, b)) = &d.vendor {
        let _ = writeln!(out, "Vendor differs: A is {a}, B is {b}\n");
    }
    if let Some((a, b)) = d.family {
        let _ = writeln!(out, "Family differs: A is 0x{a:x}, B is 0x{b:x}\n");
    }
    list(&mut out, "Only A has", &d.only_a);
    list(&mut out, "Only B has", &d.only_b);
    if !d.uncompared.is_empty() {
        crate::render::features::push_list(
            &mut out,
            0,
            "Also differ, not compared for migration:",
            &d.uncompared,
        );
    }
    for n in &d.numeric {
        let _ = writeln!(
            out,
            "{} ({}): A 0x{:x}, B 0x{:x}",
            n.field, n.description, n.a, n.b
        );
    }
    out.push_str("\nMigration\n");
    verdict(&mut out, "A", "B", &d.a_to_b);
    verdict(&mut out, "B", "A", &d.b_to_a);
    out
}

impl super::Text for CpuDiff {
    fn to_text(&self) -> String {
        render(self)
    }
}
