//! `vmcompat check` for people: one screen per candidate, then a side-by-side
//! comparison when there are several.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};

use crate::analysis::check::CandidateCheck;
use crate::analysis::fleet::Verdict;

/// A short cell for the table; the details follow below it.
fn verdict(v: &Verdict) -> String {
    match v {
        Verdict::Yes => "yes".into(),
        Verdict::WithMask { hide, .. } => format!("with mask ({} hidden)", hide.len()),
        Verdict::No { reasons } if reasons.iter().any(|r| r.starts_with("vendor")) => {
            "NO (other vendor)".into()
        }
        Verdict::No { .. } => "NO".into(),
    }
}

/// The features behind a verdict, for the lines under the table.
fn detail(v: &Verdict) -> Option<String> {
    match v {
        Verdict::Yes => None,
        Verdict::WithMask { hide, .. } => Some(format!("hide {}", hide.names().join(" "))),
        Verdict::No { reasons } => Some(reasons.join("; ")),
    }
}

/// Renders every candidate's answer.
pub fn render(checks: &[CandidateCheck]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(
            out,
            "Candidate {}: {} — {}",
            c.candidate,
            c.fit.describe(),
            c.summary
        );
        match &c.joins_group {
            Some(g) => {
                let _ = writeln!(out, "  joins existing group {g} as it is");
            }
            None => {
                let _ = writeln!(out, "  forms a new compatibility group");
            }
        }
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(crate::render::width())
            .set_header(vec![
                "Group",
                "VMs from group -> candidate",
                "VMs from candidate -> group",
            ]);
        for d in &c.directions {
            t.add_row(vec![
                Cell::new(format!("{} {}", d.group, d.group_name)),
                Cell::new(verdict(&d.onto_candidate)),
                Cell::new(verdict(&d.from_candidate)),
            ]);
        }
        let _ = writeln!(out, "{}", crate::render::fit(&t));
        for d in &c.directions {
            // Vendor mismatches are said once, in the summary line above.
            let other_vendor = matches!(&d.onto_candidate, Verdict::No { reasons } if reasons.iter().any(|r| r.starts_with("vendor")));
            if other_vendor {
                continue;
            }
            if let Some(x) = detail(&d.onto_candidate) {
                let _ = writeln!(out, "  {} -> candidate: {x}", d.group);
            }
            if let Some(x) = detail(&d.from_candidate) {
                let _ = writeln!(out, "  candidate -> {}: {x}", d.group);
            }
        }
        if c.vendor_in_fleet {
            if c.baseline_loss.is_empty() {
                let _ = writeln!(out, "  the fleet's baseline stays as it is");
            } else {
                let _ = writeln!(
                    out,
                    "  the fleet's baseline would lose: {}",
                    c.baseline_loss.names().join(" ")
                );
            }
            if !c.extra_features.is_empty() {
                let _ = writeln!(
                    out,
                    "  it offers beyond the baseline (unused by migrating VMs): {}",
                    c.extra_features.names().join(" ")
                );
            }
            if !c.hide_after.is_empty() {
                let _ = writeln!(
                    out,
                    "  masks after adding it must hide: {}",
                    c.hide_after.names().join(" ")
                );
            }
        }
        if let Some(r) = &c.requirement {
            let _ = writeln!(
                out,
                "  required baseline {}: {}",
                r.name,
                if r.met {
                    "met".to_string()
                } else {
                    format!("NOT met (missing {})", r.missing.join(" "))
                }
            );
        }
        out.push('\n');
    }
    if checks.len() > 1 {
        out.push_str("Side by side\n");
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(crate::render::width())
            .set_header(vec![
                "Candidate",
                "Answer",
                "Joins group",
                "Baseline loses",
                "Requirement",
            ]);
        for c in checks {
            t.add_row(vec![
                Cell::new(&c.candidate),
                Cell::new(c.fit.describe()),
                Cell::new(c.joins_group.as_deref().unwrap_or("new group")),
                Cell::new(if c.baseline_loss.is_empty() {
                    "nothing".to_string()
                } else {
                    c.baseline_loss.names().join(" ")
                }),
                Cell::new(c.requirement.as_ref().map_or("-".to_string(), |r| {
                    format!("{} {}", r.name, if r.met { "met" } else { "NOT met" })
                })),
            ]);
        }
        let _ = writeln!(out, "{}", crate::render::fit(&t));
    }
    out
}
