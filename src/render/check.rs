//! `vmcompat check` for people: one screen per candidate, then a side-by-side
//! comparison when there are several.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};

use crate::analysis::check::CandidateCheck;
use crate::analysis::fleet::Verdict;

fn verdict(v: &Verdict) -> String {
    match v {
        Verdict::Yes => "yes".into(),
        Verdict::WithMask { hide, .. } => format!("with mask (hide {})", hide.names().join(" ")),
        Verdict::No { reasons } => format!("NO: {}", reasons.join("; ")),
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
        let _ = writeln!(out, "{t}");
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
        let _ = writeln!(out, "{t}");
    }
    out
}
