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
            "Candidate {}{}: {} — {}",
            c.candidate,
            c.cluster
                .as_deref()
                .map_or(String::new(), |cl| format!(" in cluster {cl}")),
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
            match (&c.evc_mode_before, &c.evc_mode_after) {
                (Some(b), Some(a)) if a == b => {
                    let _ = writeln!(out, "  the cluster's EVC mode stays {b}");
                }
                (b, a) => {
                    let _ = writeln!(
                        out,
                        "  the cluster's EVC mode would change: {} -> {}",
                        b.as_deref().unwrap_or("none"),
                        a.as_deref().unwrap_or("none")
                    );
                }
            }
            if c.baseline_loss.is_empty() {
                let _ = writeln!(out, "  the cluster's baseline stays as it is");
            } else {
                let _ = writeln!(
                    out,
                    "  the cluster's baseline would lose: {}",
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
            let sep = if r.missing.iter().any(|m| m.contains(' ')) {
                "; "
            } else {
                " "
            };
            let _ = writeln!(
                out,
                "  requirement {}: {}",
                r.name,
                if r.met {
                    "met".to_string()
                } else {
                    format!("NOT met ({})", r.missing.join(sep))
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
                "Cluster",
                "Answer",
                "Joins group",
                "Baseline loses",
                "Requirement",
            ]);
        for c in checks {
            t.add_row(vec![
                Cell::new(&c.candidate),
                Cell::new(c.cluster.as_deref().unwrap_or("-")),
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

/// The direct answer to `--require`: per cluster, which candidates keep the
/// requirement ("Keeps avx512f in cluster prod: A, B. Does not: C (...)").
pub fn answer(req: &str, checks: &[CandidateCheck]) -> String {
    let mut out = String::new();
    let mut clusters: Vec<Option<&str>> = Vec::new();
    for c in checks {
        if !clusters.contains(&c.cluster.as_deref()) {
            clusters.push(c.cluster.as_deref());
        }
    }
    for cl in clusters {
        let here: Vec<&CandidateCheck> = checks
            .iter()
            .filter(|c| c.cluster.as_deref() == cl)
            .collect();
        let name = here
            .iter()
            .find_map(|c| c.requirement.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| req.to_string());
        let place = cl.map_or("the fleet".to_string(), |c| format!("cluster {c}"));
        let (yes, no): (Vec<&&CandidateCheck>, Vec<&&CandidateCheck>) = here
            .iter()
            .partition(|c| c.vendor_in_fleet && c.requirement.as_ref().is_some_and(|r| r.met));
        let why = |c: &CandidateCheck| -> String {
            if !c.vendor_in_fleet {
                return "another vendor".into();
            }
            c.requirement
                .as_ref()
                .map(|r| r.missing.join("; "))
                .unwrap_or_default()
        };
        let yes_names: Vec<&str> = yes.iter().map(|c| c.candidate.as_str()).collect();
        let line = match yes_names.as_slice() {
            [] => format!("Answer: no candidate keeps {name} in {place}."),
            [one] => format!("Answer: only {one} keeps {name} in {place}."),
            many => format!("Answer: {} keep {name} in {place}.", many.join(", ")),
        };
        super::audit::say(&mut out, 0, &line);
        for c in no {
            super::audit::say(
                &mut out,
                2,
                &format!("{} does not: {}", c.candidate, why(c)),
            );
        }
    }
    out
}

/// What `vmcompat check` prints: every candidate's answer and, with
/// `--require`, the answer to that requirement.
pub struct CheckOutput<'a> {
    /// Every candidate, per cluster.
    pub checks: &'a [CandidateCheck],
    /// The `--require` given, if any.
    pub require: Option<&'a str>,
}

impl super::Report for CheckOutput<'_> {
    fn text(&self) -> String {
        let mut t = render(self.checks);
        if let Some(req) = self.require {
            t.push_str(&answer(req, self.checks));
        }
        t
    }

    fn json(&self) -> String {
        super::json(&self.checks)
    }
}
