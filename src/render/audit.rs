//! The fleet audit as tables for people.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, ContentArrangement, Table};

use crate::analysis::audit::AuditReport;
use crate::analysis::fleet::Verdict;
use crate::catalog::FeatureSet;

fn mark(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "?",
    }
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(crate::render::width());
    t
}

/// Feature names, space separated.
pub fn names(set: &FeatureSet) -> String {
    set.names().join(" ")
}

/// Renders the whole audit.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::new();
    let a = &r.cpu;
    let _ = writeln!(
        out,
        "Fleet {:?}: {}, {} compatibility group(s) under the {} policy",
        r.fleet,
        super::count(r.hosts.len(), "host"),
        a.groups.len(),
        match a.policy {
            crate::analysis::fleet::Policy::Evc => "EVC (vendor must match; every feature counts)",
            crate::analysis::fleet::Policy::Esx3 =>
                "ESX 3 (vendor and family must match; SSE3, NX/XD, VT-x/AMD-V)",
        }
    );

    out.push_str("\nHosts\n");
    let mut t = table();
    t.set_header(vec![
        "Host",
        "Cluster",
        "Group",
        "Vendor",
        "Family",
        "Model",
        "SSE3",
        "NX/XD",
        "VT-x/AMD-V",
        "Microarchitecture",
        "Level",
        "Baseline",
        "Notes",
    ]);
    for h in &r.hosts {
        let mut notes = Vec::new();
        if let Some(e) = &h.error {
            notes.push(format!("NOT COLLECTED: {e}"));
        }
        if let Some(c) = h
            .completeness
            .filter(|c| c.is_partial() || *c == crate::cpuid::Completeness::FromProfile)
        {
            notes.push(c.describe().to_string());
        }
        if let Some(hv) = &h.hypervisor {
            notes.push(format!("dump taken inside a VM ({hv}): hypervisor's view"));
        }
        t.add_row(vec![
            Cell::new(&h.name),
            Cell::new(h.cluster.as_deref().unwrap_or("-")),
            Cell::new(h.group.as_deref().unwrap_or("-")),
            Cell::new(h.vendor.as_deref().unwrap_or("?")),
            Cell::new(h.family.map_or("?".into(), |f| format!("0x{f:x}"))),
            Cell::new(h.model.map_or("?".into(), |m| format!("0x{m:x}"))),
            Cell::new(mark(h.sse3)),
            Cell::new(mark(h.nx)),
            Cell::new(mark(h.virtualization)),
            Cell::new(h.microarchitecture.as_deref().unwrap_or("-")),
            Cell::new(h.x86_64_level.map_or("?".into(), |l| format!("v{l}"))),
            Cell::new(h.baseline.as_deref().unwrap_or("-")),
            Cell::new(notes.join("; ")),
        ]);
    }
    let _ = writeln!(out, "{}", crate::render::fit(&t));

    out.push_str("\nCompatibility groups\n");
    let mut t = table();
    t.set_header(vec!["Group", "Defined by", "Hosts", "Features"]);
    for g in &a.groups {
        let members: Vec<&str> = g
            .hosts
            .iter()
            .filter_map(|&i| r.hosts.get(i).map(|h| h.name.as_str()))
            .take(8)
            .collect();
        let more = g.hosts.len().saturating_sub(members.len());
        let mut hosts = members.join(", ");
        if more > 0 {
            let _ = write!(hosts, " and {more} more");
        }
        t.add_row(vec![
            Cell::new(&g.label),
            Cell::new(&g.name),
            Cell::new(format!("{} ({hosts})", g.hosts.len())),
            Cell::new(g.features.len()),
        ]);
    }
    let _ = writeln!(out, "{}", crate::render::fit(&t));
    if !r.groups_with_partial_dumps.is_empty() {
        let _ = writeln!(
            out,
            "note: group(s) {} contain partial dumps; their verdicts rest on incomplete CPUID",
            r.groups_with_partial_dumps.join(", ")
        );
    }

    if a.groups.len() > 1 {
        out.push_str(
            "\nMigration matrix (row: VM powered on in group; column: destination group)\n",
        );
        let mut t = table();
        let mut header = vec![Cell::new("from \\ to")];
        header.extend(a.groups.iter().map(|g| Cell::new(&g.label)));
        t.set_header(header);
        for (i, row) in a.matrix.iter().enumerate() {
            let mut cells = vec![Cell::new(&a.groups[i].label)];
            for v in row {
                let (text, color) = match v {
                    Verdict::Yes => ("yes", Color::Green),
                    Verdict::WithMask { .. } => ("mask", Color::Yellow),
                    Verdict::No { .. } => ("NO", Color::Red),
                };
                cells.push(Cell::new(text).fg(color));
            }
            t.add_row(cells);
        }
        let _ = writeln!(out, "{}", crate::render::fit(&t));
        for (i, row) in a.matrix.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let (from, to) = (&a.groups[i].label, &a.groups[j].label);
                match v {
                    Verdict::Yes => {}
                    Verdict::WithMask { missing, hide } => {
                        let _ = writeln!(
                            out,
                            "  {from} -> {to}: with mask; {to} lacks: {}",
                            names(missing)
                        );
                        if hide != missing {
                            let _ = writeln!(
                                out,
                                "           the mask also hides what requires them: {}",
                                names(&hide.difference(missing))
                            );
                        }
                    }
                    // Vendor mismatches are said once per vendor pair, below.
                    Verdict::No { .. } if a.groups[i].vendor != a.groups[j].vendor => {}
                    Verdict::No { reasons } => {
                        let _ = writeln!(out, "  {from} -> {to}: NO: {}", reasons.join("; "));
                    }
                }
            }
        }
        for (x, bx) in a.baselines.iter().enumerate() {
            for by in a.baselines.iter().skip(x + 1) {
                let labels = |v| {
                    a.groups
                        .iter()
                        .filter(|g| g.vendor == v)
                        .map(|g| g.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(
                    out,
                    "  {} groups ({}) <-> {} groups ({}): NO: the vendor differs; cold migration only, no mask can bridge vendors",
                    bx.vendor,
                    labels(bx.vendor),
                    by.vendor,
                    labels(by.vendor)
                );
            }
        }
    }

    out.push_str("\nBaselines (features every host of a vendor has)\n");
    for b in &a.baselines {
        let level = match b.x86_64_level {
            0 => "below x86-64-v1".to_string(),
            l => format!("x86-64-v{l}"),
        };
        let _ = writeln!(
            out,
            "  {}: {}, {} common features, {level}, named baseline: {}",
            b.vendor,
            super::count(b.hosts, "host"),
            b.features.len(),
            b.named_baseline.as_deref().unwrap_or("none reached")
        );
        if !b.differing.is_empty() {
            let _ = writeln!(out, "    differing: {}", names(&b.differing));
        }
    }

    if !a.weakest_links.is_empty() {
        out.push_str("\nWeakest links (removing the host raises its vendor's baseline)\n");
        for w in a.weakest_links.iter().take(20) {
            let name = r.hosts.get(w.host).map_or("?", |h| h.name.as_str());
            let _ = writeln!(out, "  {name}: the others would gain {}", names(&w.gain));
        }
    }

    let failures = r.failures();
    let _ = writeln!(
        out,
        "\nCPU verdict: {}{}",
        if a.all_reachable() {
            "every group can reach every other (with masks where marked)"
        } else {
            "some groups cannot reach each other (see NO above)"
        },
        if failures > 0 {
            format!("; {failures} host(s) could not be collected, so the verdict is incomplete")
        } else {
            String::new()
        }
    );
    out
}

/// The last line of the audit: the verdict over everything checked (CPU groups,
/// storage and network, VMs), so that no section's good news hides another's errors.
pub fn overall(r: &AuditReport, vm_errors: Option<usize>) -> String {
    let mut problems = Vec::new();
    if !r.cpu.all_reachable() {
        problems.push("some CPU groups cannot reach each other".to_string());
    }
    if let Some(n) = r
        .storage_network
        .as_ref()
        .map(|s| s.errors())
        .filter(|n| *n > 0)
    {
        problems.push(format!("{n} storage/network error(s)"));
    }
    if let Some(n) = vm_errors.filter(|n| *n > 0) {
        problems.push(format!("{n} VM readiness error(s)"));
    }
    let failures = r.failures();
    if failures > 0 {
        problems.push(format!("{failures} host(s) not collected"));
    }
    if problems.is_empty() {
        "\nOverall: ready: every check passed\n".to_string()
    } else {
        format!("\nOverall: NOT ready: {}\n", problems.join("; "))
    }
}
